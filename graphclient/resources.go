package graphclient

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// User is a directory user.
type User struct {
	ID             string `json:"id"`
	UPN            string `json:"userPrincipalName"`
	DisplayName    string `json:"displayName"`
	EmployeeID     string `json:"employeeId"`
	AccountEnabled bool   `json:"accountEnabled"`
}

// userSelect names the properties read ($select: employeeId is not in
// Entra's default set).
const userSelect = "id,userPrincipalName,displayName,employeeId,accountEnabled"

// NewUser is what CreateUser sends.
type NewUser struct {
	UPN            string
	DisplayName    string
	EmployeeID     string
	AccountEnabled bool
}

// Group is a directory group.
type Group struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// QRCode is a standard or temporary QR code; Payload is the content of its
// image (rawContent, decoded), only in the answer that creates it.
type QRCode struct {
	ID      string    `json:"id"`
	Start   time.Time `json:"startDateTime"`
	Expire  time.Time `json:"expireDateTime"`
	Created time.Time `json:"createdDateTime"`
	Image   *struct {
		RawContent string `json:"rawContent"`
	} `json:"image"`
}

// Payload returns the code's content from the image's rawContent (base64),
// or "" when the answer has no image.
func (q *QRCode) Payload() (string, error) {
	if q == nil || q.Image == nil || q.Image.RawContent == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(q.Image.RawContent)
	if err != nil {
		return "", fmt.Errorf("the QR code's rawContent is not base64: %w", err)
	}
	return string(b), nil
}

// Method is a user's QR code + PIN method; PIN is the PIN only in the
// answer that creates it.
type Method struct {
	ID       string  `json:"id"`
	Standard *QRCode `json:"standardQRCode"`
	PIN      *struct {
		Code *string `json:"code"`
	} `json:"pin"`
}

// PINCode returns the PIN the answer carries, or "".
func (m *Method) PINCode() string {
	if m == nil || m.PIN == nil || m.PIN.Code == nil {
		return ""
	}
	return *m.PIN.Code
}

// Target is an include or exclude target of the policy.
type Target struct {
	TargetType string `json:"targetType"`
	ID         string `json:"id"`
}

// Policy is the tenant's QR code + PIN policy, as far as provisioning reads it.
type Policy struct {
	State                string   `json:"state"`
	PINLength            int      `json:"pinLength"`
	StandardLifetimeDays int      `json:"standardQRCodeLifetimeInDays"`
	IncludeTargets       []Target `json:"includeTargets"`
	ExcludeTargets       []Target `json:"excludeTargets"`
}

// AllUsers is the include target id of every user.
const AllUsers = "all_users"

type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// quote is an OData string literal's content: ' doubled.
func quote(s string) string { return strings.ReplaceAll(s, "'", "''") }

// UsersByEmployeeID returns the users with the employee id (Entra does not
// make it unique).
func (c *Client) UsersByEmployeeID(ctx context.Context, id string) ([]User, error) {
	var p page[User]
	err := c.Do(ctx, http.MethodGet, UsersByEmployeeIDPath(id), nil, &p)
	return p.Value, err
}

// UsersByEmployeeIDPath is the request of UsersByEmployeeID (for a batch).
func UsersByEmployeeIDPath(id string) string {
	return "users?" + url.Values{"$filter": {"employeeId eq '" + quote(id) + "'"}, "$select": {userSelect}}.Encode()
}

// UserByUPN returns the user with the userPrincipalName, or nil when there
// is none.
func (c *Client) UserByUPN(ctx context.Context, upn string) (*User, error) {
	var u User
	err := c.Do(ctx, http.MethodGet, UserByUPNPath(upn), nil, &u)
	if IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// UserByUPNPath is the request of UserByUPN (for a batch).
func UserByUPNPath(upn string) string {
	return "users/" + url.PathEscape(upn) + "?" + url.Values{"$select": {userSelect}}.Encode()
}

// CreateUser creates a user. Entra requires mailNickname and a password
// profile: the nickname is the UPN's local part and the password a random
// one nobody sees (workers sign in with their badge and PIN).
func (c *Client) CreateUser(ctx context.Context, in NewUser) (User, error) {
	var u User
	err := c.Do(ctx, http.MethodPost, "users", NewUserBody(in), &u)
	return u, err
}

// NewUserBody is the body of CreateUser (for a batch).
func NewUserBody(in NewUser) map[string]any {
	nick, _, _ := strings.Cut(in.UPN, "@")
	body := map[string]any{
		"userPrincipalName": in.UPN,
		"displayName":       in.DisplayName,
		"accountEnabled":    in.AccountEnabled,
		"mailNickname":      nick,
		"passwordProfile":   map[string]any{"password": randomPassword(), "forceChangePasswordNextSignIn": true},
	}
	if in.EmployeeID != "" {
		body["employeeId"] = in.EmployeeID
	}
	return body
}

// randomPassword is a password of 32 random characters from a set that
// meets Entra's complexity rule.
func randomPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "Qp1!" + base64.RawURLEncoding.EncodeToString(b)
}

// ListUsers returns every user, following the pages.
func (c *Client) ListUsers(ctx context.Context) ([]User, error) {
	return all[User](ctx, c, "users?"+url.Values{"$select": {userSelect}, "$top": {"999"}}.Encode())
}

// Groups returns every group, following the pages.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	return all[Group](ctx, c, "groups?"+url.Values{"$select": {"id,displayName"}, "$top": {"999"}}.Encode())
}

// Members returns the members of a group.
func (c *Client) Members(ctx context.Context, groupID string) ([]User, error) {
	return all[User](ctx, c, "groups/"+url.PathEscape(groupID)+"/members?"+url.Values{"$select": {userSelect}, "$top": {"999"}}.Encode())
}

// all follows a list's next links.
func all[T any](ctx context.Context, c *Client, path string) ([]T, error) {
	var out []T
	for path != "" {
		var p page[T]
		if err := c.Do(ctx, http.MethodGet, path, nil, &p); err != nil {
			return nil, err
		}
		out = append(out, p.Value...)
		path = ""
		if p.NextLink != "" {
			next, ok := strings.CutPrefix(p.NextLink, c.BaseURL+"/")
			if !ok {
				return nil, fmt.Errorf("a next link outside %s: %s", c.BaseURL, p.NextLink)
			}
			path = next
		}
	}
	return out, nil
}

// AddMember adds a user to a group; a user already in it is not an error.
func (c *Client) AddMember(ctx context.Context, groupID, userID string) error {
	err := c.Do(ctx, http.MethodPost, "groups/"+url.PathEscape(groupID)+"/members/$ref", AddMemberBody(c.BaseURL, userID), nil)
	if IsStatus(err, http.StatusBadRequest) && strings.Contains(err.Error(), "already exist") {
		return nil
	}
	return err
}

// AddMemberBody is the body of AddMember (for a batch).
func AddMemberBody(base, userID string) map[string]string {
	return map[string]string{"@odata.id": base + "/directoryObjects/" + userID}
}

// MethodPath is the user's QR code + PIN method (for a batch).
func MethodPath(userID string) string {
	return "users/" + url.PathEscape(userID) + "/authentication/qrCodePinMethod"
}

// Method returns the user's QR code + PIN method, or nil when there is none.
func (c *Client) Method(ctx context.Context, userID string) (*Method, error) {
	var m Method
	err := c.Do(ctx, http.MethodGet, MethodPath(userID), nil, &m)
	if IsStatus(err, http.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// CreateMethod gives the user the method with a standard QR code from
// start to expire (expire zero: the policy's lifetime) and a PIN the server
// generates (spec D18); the answer carries the image and the PIN, once.
func (c *Client) CreateMethod(ctx context.Context, userID string, start, expire time.Time) (Method, error) {
	var m Method
	err := c.Do(ctx, http.MethodPut, MethodPath(userID), map[string]any{
		"@odata.type":    "#microsoft.graph.qrCodePinAuthenticationMethod",
		"standardQRCode": codeBody(start, expire),
	}, &m)
	return m, err
}

// codeBody is a qrCode with its dates; zero dates are left out.
func codeBody(start, expire time.Time) map[string]any {
	b := map[string]any{"@odata.type": "#microsoft.graph.qrCode"}
	if !start.IsZero() {
		b["startDateTime"] = start.UTC().Format(time.RFC3339)
	}
	if !expire.IsZero() {
		b["expireDateTime"] = expire.UTC().Format(time.RFC3339)
	}
	return b
}

// DeleteMethod deletes the user's method: its codes and its PIN stop
// working. A method already gone is not an error.
func (c *Client) DeleteMethod(ctx context.Context, userID string) error {
	err := c.Do(ctx, http.MethodDelete, MethodPath(userID), nil, nil)
	if IsStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// DeleteStandardCode revokes the user's standard QR code (the PIN stays).
// A code already gone is not an error.
func (c *Client) DeleteStandardCode(ctx context.Context, userID string) error {
	err := c.Do(ctx, http.MethodDelete, MethodPath(userID)+"/standardQRCode", nil, nil)
	if IsStatus(err, http.StatusNotFound) && !IsCode(err, "Request_ResourceNotFound") {
		return nil
	}
	return err
}

// CreateStandardCode creates a standard QR code for a user whose method has
// no active one (spec D3: 201 with the image); the PIN stays.
func (c *Client) CreateStandardCode(ctx context.Context, userID string, start, expire time.Time) (QRCode, error) {
	var q QRCode
	err := c.Do(ctx, http.MethodPatch, MethodPath(userID)+"/standardQRCode", codeBody(start, expire), &q)
	return q, err
}

// Policy returns the tenant's QR code + PIN policy.
func (c *Client) Policy(ctx context.Context) (Policy, error) {
	var p Policy
	err := c.Do(ctx, http.MethodGet, "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/qrCodePin", nil, &p)
	return p, err
}
