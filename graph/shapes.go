package graph

import (
	"time"

	"github.com/qrpin/qrpin/admin"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/qr"
	"github.com/qrpin/qrpin/store"
)

// OData type names.
const (
	typeMethod = "#microsoft.graph.qrCodePinAuthenticationMethod"
	typeCode   = "#microsoft.graph.qrCode"
	typeImage  = "#microsoft.graph.qrCodeImageDetails"
	typePIN    = "#microsoft.graph.qrPin"
	typePolicy = "#microsoft.graph.qrCodePinAuthenticationMethodConfiguration"
	typeUser   = "#microsoft.graph.user"
	typeGroup  = "#microsoft.graph.group"
)

// graphTime is a DateTimeOffset: UTC, RFC 3339 with Z; a zero time is
// "0001-01-01T00:00:00Z" (spec D8).
type graphTime time.Time

// MarshalText makes graphTime a JSON string: encoding/json quotes it
// without running its JSON scanner over the result, as a MarshalJSON's
// would be.
func (t graphTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(make([]byte, 0, len("2006-01-02T15:04:05.999999999Z")), time.RFC3339Nano), nil
}

type methodJSON struct {
	Context string    `json:"@odata.context,omitempty"`
	Type    string    `json:"@odata.type"`
	ID      string    `json:"id"`
	Created graphTime `json:"createdDateTime"`
	// LastUsed is beta's only (v1.0's authenticationMethod lacks it).
	LastUsed  *graphTime `json:"lastUsedDateTime,omitempty"`
	Standard  *codeJSON  `json:"standardQRCode"`
	Temporary *codeJSON  `json:"temporaryQRCode"`
	PIN       *pinJSON   `json:"pin"`
}

type codeJSON struct {
	Context  string     `json:"@odata.context,omitempty"`
	Type     string     `json:"@odata.type"`
	ID       string     `json:"id"`
	Start    graphTime  `json:"startDateTime"`
	Expire   graphTime  `json:"expireDateTime"`
	Created  graphTime  `json:"createdDateTime"`
	LastUsed graphTime  `json:"lastUsedDateTime"`
	Image    *imageJSON `json:"image"`
}

type imageJSON struct {
	Type                 string `json:"@odata.type"`
	BinaryValue          []byte `json:"binaryValue"`
	Version              int    `json:"version"`
	ErrorCorrectionLevel string `json:"errorCorrectionLevel"`
	RawContent           []byte `json:"rawContent"`
}

type pinJSON struct {
	Context string `json:"@odata.context,omitempty"`
	Type    string `json:"@odata.type"`
	// ID is v1.0's only (beta's qrPin has none): the method's id, the PIN
	// being the method's one PIN.
	ID          string    `json:"id,omitempty"`
	Code        *string   `json:"code"`
	ForceChange bool      `json:"forceChangePinNextSignIn"`
	Created     graphTime `json:"createdDateTime"`
	Updated     graphTime `json:"updatedDateTime"`
}

// toMethod shapes a method for the API version; secrets are added only
// by the create response. Beta's lastUsedDateTime is the latest sign-in
// with either QR code (the zero date when none, spec D8).
func (c *call) toMethod(m method.Method) *methodJSON {
	j := &methodJSON{
		Type:      typeMethod,
		ID:        m.ID,
		Created:   graphTime(m.Created),
		Standard:  toCode(m.Standard, nil),
		Temporary: toCode(m.Temporary, nil),
		PIN:       c.toPIN(m.ID, m.PIN, nil),
	}
	if c.version == "beta" {
		var last time.Time
		for _, qc := range []*method.QRCode{m.Standard, m.Temporary} {
			if qc != nil && qc.LastUsed.After(last) {
				last = qc.LastUsed
			}
		}
		j.LastUsed = (*graphTime)(&last)
	}
	return j
}

func toCode(c *method.QRCode, img *qr.Image) *codeJSON {
	if c == nil {
		return nil
	}
	j := &codeJSON{Type: typeCode, ID: c.ID, Start: graphTime(c.Start), Expire: graphTime(c.Expire),
		Created: graphTime(c.Created), LastUsed: graphTime(c.LastUsed)}
	if img != nil {
		j.Image = &imageJSON{Type: typeImage, BinaryValue: img.PNG, Version: img.Version,
			ErrorCorrectionLevel: img.ErrorCorrectionLevel, RawContent: img.RawContent}
	}
	return j
}

// toPIN shapes the PIN of method methodID for the API version.
func (c *call) toPIN(methodID string, p method.PIN, code *string) *pinJSON {
	j := &pinJSON{Type: typePIN, Code: code, ForceChange: p.ForceChange,
		Created: graphTime(p.Created), Updated: graphTime(p.Updated)}
	if c.version != "beta" {
		j.ID = methodID
	}
	return j
}

func (c *call) toCreatedMethod(cm admin.CreatedMethod) *methodJSON {
	j := c.toMethod(cm.Method)
	j.Standard = toCode(cm.Method.Standard, &cm.Standard.Image)
	j.PIN = c.toPIN(cm.Method.ID, cm.Method.PIN, &cm.PIN)
	return j
}

type policyJSON struct {
	Context               string              `json:"@odata.context,omitempty"`
	Type                  string              `json:"@odata.type"`
	ID                    string              `json:"id"`
	State                 string              `json:"state"`
	StandardLifetimeDays  int                 `json:"standardQRCodeLifetimeInDays"`
	PINLength             int                 `json:"pinLength"`
	ExcludeTargets        []excludeTargetJSON `json:"excludeTargets"`
	IncludeTargetsContext string              `json:"includeTargets@odata.context"`
	IncludeTargets        []includeTargetJSON `json:"includeTargets"`
}

type includeTargetJSON struct {
	TargetType             string `json:"targetType"`
	ID                     string `json:"id"`
	IsRegistrationRequired bool   `json:"isRegistrationRequired"`
}

type excludeTargetJSON struct {
	TargetType string `json:"targetType"`
	ID         string `json:"id"`
}

// policyID is the QR code + PIN configuration's id as the API version
// spells it: v1.0's documentation writes qrCodePin, beta's says it is
// "always QRCodePin". Paths match either, case-insensitively (spec D1).
func (c *call) policyID() string {
	if c.version == "beta" {
		return "QRCodePin"
	}
	return "qrCodePin"
}

func (c *call) toPolicy(p method.Policy) *policyJSON {
	j := &policyJSON{
		Context:              c.context("policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"),
		Type:                 typePolicy,
		ID:                   c.policyID(),
		State:                p.State,
		StandardLifetimeDays: p.StandardLifetimeDays,
		PINLength:            p.PINLength,
		ExcludeTargets:       []excludeTargetJSON{},
		IncludeTargetsContext: c.context("policies/authenticationMethodsPolicy/authenticationMethodConfigurations('%s')"+
			"/microsoft.graph.qrCodePinAuthenticationMethodConfiguration/includeTargets", c.policyID()),
		IncludeTargets: []includeTargetJSON{},
	}
	for _, t := range p.Include {
		j.IncludeTargets = append(j.IncludeTargets, includeTargetJSON{t.TargetType, t.ID, t.IsRegistrationRequired})
	}
	for _, t := range p.Exclude {
		j.ExcludeTargets = append(j.ExcludeTargets, excludeTargetJSON{t.TargetType, t.ID})
	}
	return j
}

type userJSON struct {
	Context        string    `json:"@odata.context,omitempty"`
	Type           string    `json:"@odata.type"`
	ID             string    `json:"id"`
	UPN            string    `json:"userPrincipalName"`
	DisplayName    string    `json:"displayName"`
	AccountEnabled bool      `json:"accountEnabled"`
	EmployeeID     *string   `json:"employeeId"` // null when none, as Graph shows it
	Created        graphTime `json:"createdDateTime"`
}

func toUser(u store.User) *userJSON {
	j := &userJSON{Type: typeUser, ID: u.ID, UPN: u.UPN, DisplayName: u.DisplayName,
		AccountEnabled: u.AccountEnabled, Created: graphTime(u.Created)}
	if u.EmployeeID != "" {
		j.EmployeeID = &u.EmployeeID
	}
	return j
}

type groupJSON struct {
	Context         string    `json:"@odata.context,omitempty"`
	Type            string    `json:"@odata.type"`
	ID              string    `json:"id"`
	DisplayName     string    `json:"displayName"`
	Description     *string   `json:"description"`
	MailNickname    string    `json:"mailNickname"`
	MailEnabled     bool      `json:"mailEnabled"`
	SecurityEnabled bool      `json:"securityEnabled"`
	Created         graphTime `json:"createdDateTime"`
}

func toGroup(g store.Group) *groupJSON {
	j := &groupJSON{Type: typeGroup, ID: g.ID, DisplayName: g.DisplayName, MailNickname: g.MailNickname,
		SecurityEnabled: true, Created: graphTime(g.Created)}
	if g.Description != "" {
		j.Description = &g.Description
	}
	return j
}

// collection is an OData collection response.
type collection[T any] struct {
	Context  string `json:"@odata.context"`
	NextLink string `json:"@odata.nextLink,omitempty"`
	Value    []T    `json:"value"`
}
