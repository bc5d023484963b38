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

func (t graphTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339Nano) + `"`), nil
}

type methodJSON struct {
	Context   string    `json:"@odata.context,omitempty"`
	Type      string    `json:"@odata.type"`
	ID        string    `json:"id"`
	Created   graphTime `json:"createdDateTime"`
	Standard  *codeJSON `json:"standardQRCode"`
	Temporary *codeJSON `json:"temporaryQRCode"`
	PIN       *pinJSON  `json:"pin"`
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
	Context     string    `json:"@odata.context,omitempty"`
	Type        string    `json:"@odata.type"`
	Code        *string   `json:"code"`
	ForceChange bool      `json:"forceChangePinNextSignIn"`
	Created     graphTime `json:"createdDateTime"`
	Updated     graphTime `json:"updatedDateTime"`
}

// toMethod shapes a method; secrets are added only by the create response.
func toMethod(m method.Method) *methodJSON {
	return &methodJSON{
		Type:      typeMethod,
		ID:        m.ID,
		Created:   graphTime(m.Created),
		Standard:  toCode(m.Standard, nil),
		Temporary: toCode(m.Temporary, nil),
		PIN:       toPIN(m.PIN, nil),
	}
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

func toPIN(p method.PIN, code *string) *pinJSON {
	return &pinJSON{Type: typePIN, Code: code, ForceChange: p.ForceChange,
		Created: graphTime(p.Created), Updated: graphTime(p.Updated)}
}

func toCreatedMethod(c admin.CreatedMethod) *methodJSON {
	j := toMethod(c.Method)
	j.Standard = toCode(c.Method.Standard, &c.Standard.Image)
	j.PIN = toPIN(c.Method.PIN, &c.PIN)
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

func (c *call) toPolicy(p method.Policy) *policyJSON {
	j := &policyJSON{
		Context:              c.context("policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"),
		Type:                 typePolicy,
		ID:                   "qrCodePin",
		State:                p.State,
		StandardLifetimeDays: p.StandardLifetimeDays,
		PINLength:            p.PINLength,
		ExcludeTargets:       []excludeTargetJSON{},
		IncludeTargetsContext: c.context("policies/authenticationMethodsPolicy/authenticationMethodConfigurations('qrCodePin')" +
			"/microsoft.graph.qrCodePinAuthenticationMethodConfiguration/includeTargets"),
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
