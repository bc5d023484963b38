package signin

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/internal/clientaddr"
	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/pin"
	"github.com/qrpin/qrpin/telemetry"
)

// maxBody bounds a sign-in request body.
const maxBody = 4 << 10

// Handler serves the sign-in API (and, with Page, the sign-in page) under
// /{tenant}/signin.
type Handler struct {
	Service *Service
	Log     *slog.Logger // nil: slog.Default
	// IdleTimeout is how long the sign-in page waits without input before
	// it wipes what it holds and returns to the scan screen; 0:
	// DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Register adds the sign-in endpoints to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /{tenant}/signin/qr", h.tenant(telemetry.StageQR, h.qr))
	mux.HandleFunc("POST /{tenant}/signin/pin", h.tenant(telemetry.StagePIN, h.pin))
	mux.HandleFunc("POST /{tenant}/signin/newpin", h.tenant(telemetry.StageNewPIN, h.newPIN))
}

func errTenant() error { return apperr.New(apperr.NotFound, "tenantNotFound", "Unknown tenant.") }

func errFrameTooLarge() error {
	return apperr.New(apperr.TooLarge, "requestTooLarge", "The camera frame is too large.")
}

// QRRequest is the body of POST /{tenant}/signin/qr.
type QRRequest struct {
	QRCode string `json:"qrCode"`
	// AuthRequest is the OpenID provider's authorization request the
	// sign-in is for (the page's authRequest parameter); "" or absent: a
	// sign-in to qrpin itself.
	AuthRequest string `json:"authRequest,omitempty"`
}

// PINRequest is the body of POST /{tenant}/signin/pin.
type PINRequest struct {
	Transaction string `json:"transaction"`
	PIN         string `json:"pin"`
	// IDToken asks for an ID token beside the access token when this
	// step completes the sign-in.
	IDToken bool `json:"idToken,omitempty"`
}

// NewPINRequest is the body of POST /{tenant}/signin/newpin.
type NewPINRequest struct {
	Transaction string `json:"transaction"`
	NewPIN      string `json:"newPin"`
	// IDToken asks for an ID token beside the access token.
	IDToken bool `json:"idToken,omitempty"`
}

// StepResponse is a successful answer, or the retry handle of an error. The
// last step of a sign-in for an authorization request answers only
// {"next":"redirect","location":URL}: no token.
type StepResponse struct {
	Next            string `json:"next"`
	Transaction     string `json:"transaction,omitempty"`
	ExpiresDateTime string `json:"expiresDateTime,omitempty"`
	PINLength       int    `json:"pinLength,omitempty"`
	TokenType       string `json:"token_type,omitempty"`
	AccessToken     string `json:"access_token,omitempty"`
	IDToken         string `json:"id_token,omitempty"`
	ExpiresIn       int    `json:"expires_in,omitempty"`
	Scope           string `json:"scope,omitempty"`
	Location        string `json:"location,omitempty"`
}

// ErrorResponse is an error answer. Transaction, when set, is the handle to
// try again with (after an invalid PIN). InnerError, as in Graph's errors,
// names the request (its request-id header and log line) when the server
// gave it an id.
type ErrorResponse struct {
	Error struct {
		Code       string      `json:"code"`
		Message    string      `json:"message"`
		InnerError *InnerError `json:"innerError,omitempty"`
	} `json:"error"`
	Transaction string `json:"transaction,omitempty"`
	PINLength   int    `json:"pinLength,omitempty"`
}

// InnerError names the request an error answers.
type InnerError struct {
	RequestID string `json:"request-id"`
	Date      string `json:"date"`
}

// tenant serves the sign-in step stage (a telemetry stage) with next, for
// our tenant only, and tells the request's telemetry the step's result.
func (h *Handler) tenant(stage string, next func(http.ResponseWriter, *http.Request, string) (Step, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.PathValue("tenant") != h.Service.TenantID {
			h.write(w, r, Step{}, errTenant())
			return
		}
		step, err := next(w, r.WithContext(WithClient(r)), clientaddr.Of(r))
		telemetry.SignIn(r.Context(), stage, result(stage, err))
		h.write(w, r, step, err)
	}
}

// result names a step's outcome for the metrics, from its client-facing
// error (the error codes of Service's answers).
func result(stage string, err error) string {
	if err == nil {
		return telemetry.ResultSuccess
	}
	e, _, ok := httperr.Classify(err)
	if !ok {
		return telemetry.ResultError
	}
	switch e.Code {
	case "incorrectQRCode", "unexpectedUser":
		return telemetry.ResultIncorrectQR
	case pin.CodeTooShort:
		return telemetry.ResultPINRule
	case pin.CodeInvalid: // a wrong PIN, or a new PIN that breaks the rules
		if stage == telemetry.StageNewPIN {
			return telemetry.ResultPINRule
		}
		return telemetry.ResultInvalidPIN
	case "pinLocked":
		return telemetry.ResultLocked
	case "pinDisabled":
		return telemetry.ResultDisabled
	case "invalidTransaction":
		return telemetry.ResultInvalidTransaction
	}
	switch e.Kind {
	case apperr.Throttled:
		return telemetry.ResultThrottled
	case apperr.Unavailable:
		return telemetry.ResultUnavailable
	}
	return telemetry.ResultInvalidRequest
}

func (h *Handler) qr(w http.ResponseWriter, r *http.Request, addr string) (Step, error) {
	var req QRRequest
	if err := decode(w, r, &req); err != nil {
		return Step{}, err
	}
	return h.Service.StartQRFor(r.Context(), addr, req.QRCode, req.AuthRequest)
}

func (h *Handler) pin(w http.ResponseWriter, r *http.Request, addr string) (Step, error) {
	var req PINRequest
	if err := decode(w, r, &req); err != nil {
		return Step{}, err
	}
	return h.Service.SubmitPIN(r.Context(), addr, req.Transaction, req.PIN, req.IDToken)
}

func (h *Handler) newPIN(w http.ResponseWriter, r *http.Request, addr string) (Step, error) {
	var req NewPINRequest
	if err := decode(w, r, &req); err != nil {
		return Step{}, err
	}
	return h.Service.ChangePIN(r.Context(), addr, req.Transaction, req.NewPIN, req.IDToken)
}

// decode reads a JSON request body into v: one object, at most maxBody
// bytes. Its errors never quote the body (it may hold a PIN).
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return apperr.New(apperr.TooLarge, "requestTooLarge", "The request body is too large.")
		}
		return apperr.BadRequest("The request body could not be read.")
	}
	return DecodeRequest(body, v)
}

// DecodeRequest parses a sign-in request body into v (a pointer to one of
// the request types): a single JSON object whose fields have the right
// types; unknown fields are ignored.
func DecodeRequest(body []byte, v any) error {
	if len(body) > maxBody {
		return apperr.New(apperr.TooLarge, "requestTooLarge", "The request body is too large.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return apperr.BadRequest("The property '%s' has the wrong type.", te.Field)
		}
		return apperr.BadRequest("The request body must be a JSON object.")
	}
	return nil
}

func (h *Handler) write(w http.ResponseWriter, r *http.Request, step Step, err error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if err == nil {
		w.WriteHeader(http.StatusOK)
		json.NewEncoder(w).Encode(stepResponse(step))
		return
	}
	var resp ErrorResponse
	e, status, ok := httperr.Classify(err)
	if !ok { // a bug: nothing of it goes to the client
		h.log().Error("sign-in failed", "request-id", telemetry.RequestID(r.Context()), "err", err)
		resp.Error.Code, resp.Error.Message = "internalServerError", "Something went wrong. Please try again."
		resp.Error.InnerError = h.innerError(r)
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(resp)
		return
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	resp.Error.Code, resp.Error.Message, resp.Error.InnerError = e.Code, e.Message, h.innerError(r)
	resp.Transaction, resp.PINLength = step.Transaction, step.PINLength
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(resp)
}

// innerError names r, when it has a request id.
func (h *Handler) innerError(r *http.Request) *InnerError {
	id := telemetry.RequestID(r.Context())
	if id == "" {
		return nil
	}
	return &InnerError{RequestID: id, Date: h.Service.Time().Format("2006-01-02T15:04:05")}
}

func stepResponse(s Step) StepResponse {
	r := StepResponse{Next: s.Next, Transaction: s.Transaction, PINLength: s.PINLength, Location: s.Location}
	if !s.Expires.IsZero() {
		r.ExpiresDateTime = s.Expires.UTC().Format(time.RFC3339)
	}
	if t := s.Tokens; t != nil {
		r.TokenType, r.AccessToken, r.IDToken, r.ExpiresIn, r.Scope = "Bearer", t.AccessToken, t.IDToken, t.ExpiresIn, t.Scope
	}
	return r
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
