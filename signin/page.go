package signin

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"image"
	_ "image/jpeg" // camera frames
	_ "image/png"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/sync/semaphore"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/httperr"
)

//go:embed web
var web embed.FS

var page = template.Must(template.ParseFS(web, "web/page.html"))

// maxFrame bounds a camera frame sent for decoding.
const maxFrame = 4 << 20

// DefaultIdleTimeout is the sign-in page's idle timeout when the Handler
// sets none: short, because the page is on a shared device.
const DefaultIdleTimeout = 60 * time.Second

// assets are the page's static files, by name, with their content types.
var assets = map[string]string{
	"signin.js":  "text/javascript; charset=utf-8",
	"signin.css": "text/css; charset=utf-8",
}

// RegisterPage adds the sign-in page (GET /{tenant}/signin), its static
// files and the camera frame decoder (POST /{tenant}/signin/decode) to mux.
// Everything is embedded: the page fetches nothing from elsewhere.
func (h *Handler) RegisterPage(mux *http.ServeMux) {
	mux.HandleFunc("GET /{tenant}/signin", h.page)
	mux.HandleFunc("GET /{tenant}/signin/assets/{name}", h.asset)
	mux.HandleFunc("POST /{tenant}/signin/decode", h.decodeFrame)
}

func (h *Handler) securityHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if tenant != h.Service.TenantID {
		http.NotFound(w, r)
		return
	}
	h.securityHeaders(w)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var buf bytes.Buffer
	idle := h.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	data := pageData{Base: "/" + tenant + "/signin", IdleMillis: idle.Milliseconds()}
	status := http.StatusOK
	if ids, ok := r.URL.Query()["authRequest"]; ok {
		status = h.authorizeContext(r, ids, &data)
	}
	if err := page.Execute(&buf, data); err != nil {
		h.log().Error("sign-in page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// pageData is what the sign-in page shows. With Problem, the page shows
// only that message: no form, no script.
type pageData struct {
	Base       string
	IdleMillis int64
	// AuthRequest, AppName and UPN: the authorization request the page
	// signs a worker in for, its application and the user it asks for
	// (login hint), when there is one.
	AuthRequest, AppName, UPN string
	Problem                   string
}

// authorizeContext fills data for the page's authRequest parameter (ids:
// its values) and returns the page's status: 200 for a pending request;
// for a malformed id, several ids or a request that is not pending, a page
// with only the error's message, with its status (404 for an unknown
// request; 503 while the store is down).
func (h *Handler) authorizeContext(r *http.Request, ids []string, data *pageData) int {
	var p Pending
	err := errUnknownRequest()
	if len(ids) == 1 {
		p, err = h.Service.Pending(r.Context(), ids[0])
	}
	if err == nil {
		data.AuthRequest, data.AppName, data.UPN = ids[0], p.AppName, p.UPN
		return http.StatusOK
	}
	e, status, ok := httperr.Classify(err)
	if !ok { // a bug: nothing of it goes to the page
		h.log().Error("sign-in page", "err", err)
		data.Problem = "Something went wrong. Please try again."
		return status
	}
	data.Problem = e.Message
	return status
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ctype, ok := assets[name]
	if !ok || r.PathValue("tenant") != h.Service.TenantID {
		http.NotFound(w, r)
		return
	}
	b, err := web.ReadFile("web/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	h.securityHeaders(w)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// frameTurns bounds the camera frames this process decodes at once: half
// its CPUs, at least one. Anyone may send frames, and each costs tens of
// milliseconds of CPU; the bound keeps the rest of the cores for the PIN
// checks of sign-ins, whatever the rate of frames.
var frameTurns = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// frameBudget bounds the bytes of camera frames this process holds at once,
// across all uploads: eight frames of the largest size. An upload reserves
// its declared length before its body is read, so that slow uploads,
// however many, hold no more than this.
const frameBudget = 8 * maxFrame

// frameBytes is what is left of frameBudget.
var frameBytes = semaphore.NewWeighted(frameBudget)

func errDecoderBusy() error {
	e := apperr.New(apperr.Throttled, "TooManyRequests", "The camera decoder is busy. Try again in a moment.")
	e.RetryAfter = time.Second
	return e
}

// decodeFrame reads a QR code from a camera frame (JPEG or PNG) for
// browsers without a barcode detector: {"qrCode": "..."}, or
// {"qrCode": ""} when the frame holds none. Before it reads the body, it
// reserves the frame's declared length from frameBytes; when that is
// spent, or when frameTurns are all taken after the upload, it answers 429
// at once (the page sends its next frame later).
func (h *Handler) decodeFrame(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.PathValue("tenant") != h.Service.TenantID {
		h.write(w, r, Step{}, errTenant())
		return
	}
	n, err := reserveFrame(r.ContentLength)
	if err != nil {
		h.write(w, r, Step{}, err)
		return
	}
	defer frameBytes.Release(n)
	body := make([]byte, n)
	if _, err := io.ReadFull(r.Body, body); err != nil { // the upload broke off
		h.write(w, r, Step{}, apperr.BadRequest("The camera frame could not be read."))
		return
	}
	select { // after the upload, so that a slow one holds no turn
	case frameTurns <- struct{}{}:
		defer func() { <-frameTurns }()
	default:
		h.write(w, r, Step{}, errDecoderBusy())
		return
	}
	text := DecodeQR(body)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(struct {
		QRCode string `json:"qrCode"`
	}{text})
}

// reserveFrame takes a frame's declared length (-1: not declared) from
// frameBytes, or says why not: a frame must declare its length (a browser
// always does), at most maxFrame. The caller releases it.
func reserveFrame(n int64) (int64, error) {
	switch {
	case n < 0:
		return 0, apperr.BadRequest("The camera frame must be sent with its length (Content-Length).")
	case n > maxFrame:
		return 0, errFrameTooLarge()
	case !frameBytes.TryAcquire(n):
		return 0, errDecoderBusy()
	}
	return n, nil
}

// DecodeQR returns the text of the QR code in an image (JPEG or PNG), or ""
// when it holds none or is not an image.
func DecodeQR(img []byte) string {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil || cfg.Width*cfg.Height > 16<<20 { // no decompression bombs
		return ""
	}
	m, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return ""
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(m)
	if err != nil {
		return ""
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		return ""
	}
	return res.GetText()
}
