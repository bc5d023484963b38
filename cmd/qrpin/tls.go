package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/pflag"
)

// Files of the self-signed development certificate, in the data directory.
const (
	devCertFile = "tls/localhost-cert.pem"
	devKeyFile  = "tls/localhost-key.pem"
	// devCertLifetime is how long a development certificate is valid; one
	// that expires within devCertRenew is replaced at start.
	devCertLifetime = 365 * 24 * time.Hour
	devCertRenew    = 24 * time.Hour
)

// tlsFlags configures TLS for the whole server.
type tlsFlags struct {
	cert, key  string // PEM files
	selfSigned bool   // a development certificate for localhost, kept in the data directory
}

func (f *tlsFlags) flags(fs *pflag.FlagSet) {
	fs.StringVar(&f.cert, "tls-cert", env("tls-cert", ""), "serve HTTPS with this PEM certificate (chain) file; needs --tls-key (QRPIN_TLS_CERT)")
	fs.StringVar(&f.key, "tls-key", env("tls-key", ""), "the PEM private key of --tls-cert (QRPIN_TLS_KEY)")
	self, _ := strconv.ParseBool(env("tls-self-signed", "false"))
	fs.BoolVar(&f.selfSigned, "tls-self-signed", self,
		"serve HTTPS with a self-signed development certificate for localhost, 127.0.0.1 and ::1, created once in <data>/tls (QRPIN_TLS_SELF_SIGNED)")
}

// enabled reports whether the server speaks HTTPS.
func (f *tlsFlags) enabled() bool { return f.selfSigned || f.cert != "" || f.key != "" }

// scheme is the URL scheme the server speaks.
func (f *tlsFlags) scheme() string {
	if f.enabled() {
		return "https"
	}
	return "http"
}

// config returns the server's TLS configuration (nil without TLS) and, for
// a self-signed certificate, the path of the certificate clients trust.
func (f *tlsFlags) config(dataDir string) (*tls.Config, string, error) {
	switch {
	case !f.enabled():
		return nil, "", nil
	case f.selfSigned && (f.cert != "" || f.key != ""):
		return nil, "", errors.New("give either --tls-self-signed or --tls-cert and --tls-key, not both")
	case f.selfSigned:
		cert, path, err := devCertificate(dataDir, time.Now())
		if err != nil {
			return nil, "", err
		}
		return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, path, nil
	case f.cert == "" || f.key == "":
		return nil, "", errors.New("--tls-cert and --tls-key go together")
	}
	cert, err := tls.LoadX509KeyPair(f.cert, f.key)
	if err != nil {
		return nil, "", fmt.Errorf("TLS certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, "", nil
}

// devCertificate returns the development certificate kept in dataDir,
// creating it when there is none or it expires within devCertRenew: an
// ECDSA P-256 key (file mode 0600) and a self-signed certificate for
// localhost, 127.0.0.1 and ::1. It returns the certificate's file too.
func devCertificate(dataDir string, now time.Time) (tls.Certificate, string, error) {
	certPath, keyPath := filepath.Join(dataDir, devCertFile), filepath.Join(dataDir, devKeyFile)
	// Two servers starting at once may each write a pair; whichever pair
	// loads whole afterwards is used.
	for range 3 {
		if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && cert.Leaf != nil &&
			cert.Leaf.NotAfter.After(now.Add(devCertRenew)) {
			return cert, certPath, nil
		}
		if err := writeDevCertificate(certPath, keyPath, now); err != nil {
			return tls.Certificate{}, "", fmt.Errorf("development certificate: %w", err)
		}
	}
	return tls.Certificate{}, "", fmt.Errorf("development certificate: %s and %s do not load as a pair", certPath, keyPath)
}

// writeDevCertificate creates a new key and self-signed certificate.
func writeDevCertificate(certPath, keyPath string, now time.Time) error {
	if err := os.MkdirAll(filepath.Dir(certPath), 0o700); err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"qrpin"}, CommonName: "qrpin development certificate (localhost)"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devCertLifetime),
		// Its own root, as Go's httptest certificate: clients trust this file.
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// writeFileAtomic writes data to path with mode perm: a reader sees the
// old file or the new one, never a part. It is durable when it returns:
// the file is synced before the rename, the directory after it, so a crash
// of the machine keeps it too.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = dir.Sync()
	if cerr := dir.Close(); err == nil {
		err = cerr
	}
	return err
}
