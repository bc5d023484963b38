package graph

import "strings"

// deviceDetailJSON is Graph's deviceDetail: what a browser tells of itself.
// qrpin knows no devices: deviceId, displayName and trustType are empty and
// the device is neither compliant nor managed, as Entra shows an
// unregistered device.
type deviceDetailJSON struct {
	DeviceID        string `json:"deviceId"`
	DisplayName     string `json:"displayName"`
	OperatingSystem string `json:"operatingSystem"`
	Browser         string `json:"browser"`
	IsCompliant     bool   `json:"isCompliant"`
	IsManaged       bool   `json:"isManaged"`
	TrustType       string `json:"trustType"`
}

// browsers are the browser families a User-Agent names, in the order to
// look for them: Edge and Opera also say Chrome, and Chrome also says Safari.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"SamsungBrowser/", "Samsung Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"},
	{"Version/", "Safari"}, // Safari writes its version as Version/x ... Safari/y
}

// systems are the operating system families, in the names Entra's sign-in
// logs use, in the order to look for them (Android says Linux, iOS says
// Mac OS X).
var systems = []struct{ token, name string }{
	{"Windows NT 10", "Windows10"}, {"Windows", "Windows"},
	{"Android", "Android"},
	{"iPhone", "Ios"}, {"iPad", "Ios"}, {"iPod", "Ios"},
	{"CrOS", "ChromeOS"},
	{"Mac OS X", "MacOs"}, {"Macintosh", "MacOs"},
	{"Linux", "Linux"},
}

// maxVersion bounds the version kept after a browser's token.
const maxVersion = 16

// parseUserAgent reads the browser (family and version, "Chrome 124.0.6367")
// and the operating system family from a User-Agent, as Entra's
// deviceDetail shows them; what it does not recognise is "". It does a
// bounded number of substring searches over a string the store already
// capped (store.MaxUserAgent).
func parseUserAgent(ua string) deviceDetailJSON {
	var d deviceDetailJSON
	for _, b := range browsers {
		i := strings.Index(ua, b.token)
		if i < 0 || (b.name == "Safari" && !strings.Contains(ua, "Safari/")) {
			continue
		}
		v := ua[i+len(b.token):]
		n := 0
		for n < len(v) && n < maxVersion && (v[n] == '.' || v[n] >= '0' && v[n] <= '9') {
			n++
		}
		d.Browser = strings.TrimSpace(b.name + " " + strings.TrimRight(v[:n], "."))
		break
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			d.OperatingSystem = s.name
			break
		}
	}
	return d
}
