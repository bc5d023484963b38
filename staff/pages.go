package staff

import (
	"bytes"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/auth"
	"github.com/qrpin/qrpin/badge"
	"github.com/qrpin/qrpin/internal/httperr"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

//go:embed web
var web embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
}).ParseFS(web, "web/*.html"))

// assets are the page's static files, by name, with their content types.
var assets = map[string]string{
	"staff.css": "text/css; charset=utf-8",
	"staff.js":  "text/javascript; charset=utf-8",
}

// maxResults is how many team members a search shows.
const maxResults = 50

// view is what a page shows.
type view struct {
	Base    string
	Title   string
	Manager string // the signed-in manager's UPN; "" when signed out
	CSRF    string
	Status  string // a result, announced (aria-live)
	Problem string // an error, announced

	Query    string
	Users    []store.User
	More     bool // the search found more than it shows
	Nobody   bool // the manager manages nobody
	Searched bool

	User   *store.User
	Member *memberStatus

	PIN      string       // a PIN just reset, shown once
	CodePNG  template.URL // a QR code just made, as a data: URL
	CodeKind string       // "temporary" or "badge"
	Expires  time.Time    // the code's expiry
	BadgePDF template.URL // the new badge, one-badge PDF, as a data: URL
	Hours    []int        // the lifetimes a temporary code may have
}

// memberStatus is a team member's method, as the page shows it.
type memberStatus struct {
	HasMethod     bool
	HasBadge      bool // a live standard code
	BadgeExpires  time.Time
	BadgeLastUsed time.Time
	HasTemporary  bool
	TempExpires   time.Time
	Locked        bool // temporarily, after wrong PINs
	LockedUntil   time.Time
	Disabled      bool // until a reset
	Failures      int
	ForceChange   bool
}

func statusOf(m method.Method, now time.Time) *memberStatus {
	st := &memberStatus{HasMethod: true, Failures: m.Lockout.Failures, Disabled: m.Lockout.Disabled,
		ForceChange: m.PIN.ForceChange}
	if c := m.Code(method.Standard); c.Live(now) {
		st.HasBadge, st.BadgeExpires, st.BadgeLastUsed = true, c.Expire, c.LastUsed
	}
	if c := m.Code(method.Temporary); c.Live(now) {
		st.HasTemporary, st.TempExpires = true, c.Expire
	}
	if now.Before(m.Lockout.LockedUntil) {
		st.Locked, st.LockedUntil = true, m.Lockout.LockedUntil
	}
	return st
}

func (h *Handler) view(s session, title string) view {
	return view{Base: h.base(), Title: title, Manager: s.p.UPN, CSRF: h.csrf(s.handle), Hours: []int{1, 2, 4, 8, 12}}
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, v view) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, v); err != nil {
		h.log().Error("staff: page", "page", name, "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// problem answers an error page (no session needed).
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, status, "problem.html", view{Base: h.base(), Title: "Something went wrong", Problem: msg})
}

// fail answers a service error: its message (which never holds a secret)
// with its status; anything unclassified is a bug, logged, and 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae, status, ok := httperr.Classify(err)
	if !ok {
		h.log().Error("staff: internal error", "path", r.URL.Path, "err", err.Error())
		h.problem(w, r, http.StatusInternalServerError, "An internal error occurred.")
		return
	}
	if ae.Kind == apperr.Forbidden && ae.Code == "accessDenied" { // the service's reason follows
		h.problem(w, r, status, "You cannot manage this person: they are not in your team, or they hold an administrator role. "+ae.Message)
		return
	}
	h.problem(w, r, status, ae.Message)
}

func (h *Handler) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ct, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := web.ReadFile("web/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// home (GET /staff) is the team search: ?q= searches by the start of a
// name or userPrincipalName, or an employee id (admin's
// SearchManagedUsers); a manager who manages nobody is told so.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	s, ok := h.current(w, r)
	if !ok {
		return
	}
	v := h.view(s, "My staff")
	q, searched := r.URL.Query()["q"]
	if searched {
		v.Query, v.Searched = strings.TrimSpace(q[0]), true
	}
	if len(v.Query) > maxQuery {
		v.Problem, v.Query = "The search is too long: type the start of a name, an e-mail address or an employee id.", ""
		h.render(w, http.StatusBadRequest, "home.html", v)
		return
	}
	users, err := h.Service.SearchManagedUsers(r.Context(), s.p, v.Query, "", maxResults+1)
	if ae, ok := apperr.As(err); ok && ae.Kind == apperr.Forbidden {
		v.Nobody = true
		h.render(w, http.StatusOK, "nobody.html", v)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(users) > maxResults {
		users, v.More = users[:maxResults], true
	}
	v.Users = users
	switch {
	case !searched:
	case len(users) == 0:
		v.Status = "Nobody in your team matches."
	case v.More:
		v.Status = "More than " + strconv.Itoa(maxResults) + " people match: the first " + strconv.Itoa(maxResults) + " are shown."
	case len(users) == 1:
		v.Status = "1 person matches."
	default:
		v.Status = strconv.Itoa(len(users)) + " people match."
	}
	h.render(w, http.StatusOK, "home.html", v)
}

// userKey is the {id} of a user path, bounded.
func userKey(r *http.Request) (admin.UserRef, bool) {
	id := r.PathValue("id")
	return admin.UserRef{Key: id}, id != "" && len(id) <= maxUserID
}

// member shows one team member's status (GET /staff/users/{id}), with
// status as the result of an action just done.
func (h *Handler) member(w http.ResponseWriter, r *http.Request, s session, status string) {
	ref, ok := userKey(r)
	if !ok {
		h.problem(w, r, http.StatusBadRequest, "No such person.")
		return
	}
	u, m, err := h.Service.GetMethod(r.Context(), s.p, ref)
	v := h.view(s, "")
	if ae, ok := apperr.As(err); ok && ae.Code == "itemNotFound" && u.ID != "" {
		v.User, v.Member = &u, &memberStatus{}
	} else if err != nil {
		h.fail(w, r, err)
		return
	} else {
		v.User, v.Member = &u, statusOf(m, h.now())
	}
	v.Title, v.Status = u.DisplayName, status
	h.render(w, http.StatusOK, "user.html", v)
}

func (h *Handler) user(w http.ResponseWriter, r *http.Request) {
	if s, ok := h.current(w, r); ok {
		h.member(w, r, s, "")
	}
}

// action checks what every change needs: a session, the form token and,
// when sensitive, a sign-in within auth.RecentSignIn (else the browser is
// sent to sign in again, and back to the member's page).
func (h *Handler) action(w http.ResponseWriter, r *http.Request, sensitive bool) (session, admin.UserRef, bool) {
	s, ok := h.current(w, r)
	if !ok {
		return session{}, admin.UserRef{}, false
	}
	if !h.csrfOK(r, s.handle) {
		h.problem(w, r, http.StatusForbidden, "The form has expired. Reload the page and try again.")
		return session{}, admin.UserRef{}, false
	}
	ref, ok := userKey(r)
	if !ok {
		h.problem(w, r, http.StatusBadRequest, "No such person.")
		return session{}, admin.UserRef{}, false
	}
	if sensitive && !auth.Recent(s.AuthTime, h.now()) {
		h.toSignIn(w, r, true)
		return session{}, admin.UserRef{}, false
	}
	return s, ref, true
}

// resetPIN (POST .../reset-pin) resets the PIN (admin's ResetPIN) and
// shows the temporary PIN once, large, with a printable slip.
func (h *Handler) resetPIN(w http.ResponseWriter, r *http.Request) {
	s, ref, ok := h.action(w, r, true)
	if !ok {
		return
	}
	res, err := h.Service.ResetPIN(r.Context(), s.p, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(s, "New PIN for "+res.User.DisplayName)
	v.User, v.PIN = &res.User, res.Code
	v.Status = "The PIN is reset. Give the new temporary PIN to " + res.User.DisplayName + ": it is shown only now."
	h.render(w, http.StatusOK, "pin.html", v)
}

// unlock (POST .../unlock) lifts a PIN lockout (admin's UnlockPIN) and
// shows the member again.
func (h *Handler) unlock(w http.ResponseWriter, r *http.Request) {
	s, ref, ok := h.action(w, r, false)
	if !ok {
		return
	}
	u, err := h.Service.UnlockPIN(r.Context(), s.p, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.member(w, r, s, "The PIN of "+u.DisplayName+" is unlocked.")
}

// temporaryCode (POST .../temporary-code, hours=1 to 12) issues a
// temporary QR code (admin's PatchCode) and shows it, to scan on the spot
// or print.
func (h *Handler) temporaryCode(w http.ResponseWriter, r *http.Request) {
	s, ref, ok := h.action(w, r, true)
	if !ok {
		return
	}
	hours, err := strconv.Atoi(r.PostForm.Get("hours"))
	if err != nil || hours < 1 || hours > 12 {
		h.problem(w, r, http.StatusBadRequest, "Choose how long the temporary code lasts: 1 to 12 hours.")
		return
	}
	res, err := h.Service.PatchCode(r.Context(), s.p, ref, method.Temporary,
		admin.CodeInput{Expire: h.now().Add(time.Duration(hours) * time.Hour)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(s, "Temporary code for "+res.User.DisplayName)
	v.User, v.CodeKind, v.Expires = &res.User, "temporary", res.Code.Code.Expire
	v.CodePNG = pngURL(res.Code.Image.PNG)
	v.Status = "A temporary code for " + res.User.DisplayName + " is ready: scan it now or print it. It is shown only now."
	h.render(w, http.StatusOK, "code.html", v)
}

// newBadge (POST .../new-badge) revokes the standard code, if any
// (admin's DeleteCode), issues a new one (PatchCode), and shows the badge
// with its one-badge PDF (the badge package's CR80 layout).
func (h *Handler) newBadge(w http.ResponseWriter, r *http.Request) {
	s, ref, ok := h.action(w, r, true)
	if !ok {
		return
	}
	err := h.Service.DeleteCode(r.Context(), s.p, ref, method.Standard)
	if ae, ok := apperr.As(err); ok && ae.Code == "itemNotFound" {
		err = nil // no badge to revoke (or no method: PatchCode tells)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := h.Service.PatchCode(r.Context(), s.p, ref, method.Standard, admin.CodeInput{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var pdf bytes.Buffer
	if _, err := badge.Sheet(&pdf, badge.LayoutCR80, badge.PaperA4, []badge.Badge{{
		Payload: string(res.Code.Image.RawContent), DisplayName: res.User.DisplayName, UPN: res.User.UPN,
		EmployeeID: res.User.EmployeeID, Expires: res.Code.Code.Expire}}); err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(s, "New badge for "+res.User.DisplayName)
	v.User, v.CodeKind, v.Expires = &res.User, "badge", res.Code.Code.Expire
	v.CodePNG = pngURL(res.Code.Image.PNG)
	v.BadgePDF = template.URL("data:application/pdf;base64," + base64.StdEncoding.EncodeToString(pdf.Bytes()))
	v.Status = "The old badge of " + res.User.DisplayName + " no longer signs in. Print the new badge now: it is shown only now."
	h.render(w, http.StatusOK, "code.html", v)
}

func pngURL(b []byte) template.URL {
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b))
}

// signedOut (GET /staff/signed-out) is where the provider's logout sends
// the browser back.
func (h *Handler) signedOut(w http.ResponseWriter, r *http.Request) {
	h.render(w, http.StatusOK, "signedout.html", view{Base: h.base(), Title: "Signed out", Status: "You are signed out."})
}
