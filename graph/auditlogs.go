package graph

import (
	"net/http"
	"strings"
	"time"

	"github.com/qrpin/qrpin/apperr"
	"github.com/qrpin/qrpin/method"
	"github.com/qrpin/qrpin/store"
)

// registerAuditLogs adds GET /auditLogs/signIns and /auditLogs/directoryAudits.
func (s *Server) registerAuditLogs(r *router) {
	r.add(http.MethodGet, "auditLogs/signIns", s.listSignIns)
	r.add(http.MethodGet, "auditLogs/directoryAudits", s.listDirectoryAudits)
}

// graphResourceID is Microsoft Graph's application id: the resource of
// the sign-in's tokens.
const graphResourceID = "00000003-0000-0000-c000-000000000000"

type signInStatusJSON struct {
	ErrorCode         int     `json:"errorCode"`
	FailureReason     *string `json:"failureReason"`
	AdditionalDetails *string `json:"additionalDetails"`
}

type authDetailJSON struct {
	Method      string    `json:"authenticationMethod"`
	Detail      string    `json:"authenticationMethodDetail"`
	StepTime    graphTime `json:"authenticationStepDateTime"`
	Requirement string    `json:"authenticationStepRequirement"`
	Result      string    `json:"authenticationStepResultDetail"`
	Succeeded   bool      `json:"succeeded"`
}

type signInJSON struct {
	ID                  string           `json:"id"`
	Created             graphTime        `json:"createdDateTime"`
	UserID              string           `json:"userId"`
	UPN                 string           `json:"userPrincipalName"`
	UserDisplayName     *string          `json:"userDisplayName"`
	AppID               string           `json:"appId"`
	AppDisplayName      string           `json:"appDisplayName"`
	IPAddress           string           `json:"ipAddress"`
	ClientAppUsed       string           `json:"clientAppUsed"`
	CorrelationID       *string          `json:"correlationId"`
	UserAgent           *string          `json:"userAgent"`
	DeviceDetail        deviceDetailJSON `json:"deviceDetail"`
	IsInteractive       bool             `json:"isInteractive"`
	ResourceID          string           `json:"resourceId"`
	ResourceDisplayName string           `json:"resourceDisplayName"`
	// The rest is beta's only: v1.0's signIn has none of it.
	AuthenticationProtocol    string           `json:"authenticationProtocol,omitempty"`
	AuthenticationMethodsUsed []string         `json:"authenticationMethodsUsed,omitempty"`
	AuthenticationRequirement string           `json:"authenticationRequirement,omitempty"`
	ConditionalAccessStatus   string           `json:"conditionalAccessStatus"`
	Status                    signInStatusJSON `json:"status"`
	AuthenticationDetails     []authDetailJSON `json:"authenticationDetails,omitempty"`
}

// stepNames says which step of a sign-in failed, for authenticationDetails.
var stepNames = map[string]string{"qrCode": "QR code", "pin": "PIN", "newPin": "new PIN"}

// protocols are beta's authenticationProtocol (protocolType) of the
// OpenID provider's flows (store.SignInLog.Flow); any other sign-in, such
// as the sign-in page's own, is "none", which Graph uses for every
// sign-in of no listed protocol.
var protocols = map[string]string{"authorizationCode": "oAuth2", "deviceCode": "deviceCode"}

// toSignIn returns a sign-in log entry as the API version (c.version)
// shows it.
func toSignIn(e store.SignInLog, version string) *signInJSON {
	j := &signInJSON{
		ID: e.ID, Created: graphTime(e.Created), UserID: e.UserID, UPN: e.UPN, UserDisplayName: optional(e.UserDisplayName),
		AppID: e.AppID, AppDisplayName: e.AppName, IPAddress: e.IPAddress, ClientAppUsed: "Browser",
		CorrelationID: optional(e.CorrelationID), UserAgent: optional(e.UserAgent), DeviceDetail: parseUserAgent(e.UserAgent),
		IsInteractive: true, ResourceID: graphResourceID, ResourceDisplayName: "Microsoft Graph", ConditionalAccessStatus: "notApplied",
		Status: signInStatusJSON{ErrorCode: e.ErrorCode},
	}
	beta := version == "beta"
	if beta {
		j.AuthenticationProtocol = protocols[e.Flow]
		if j.AuthenticationProtocol == "" {
			j.AuthenticationProtocol = "none"
		}
		// QR code + PIN is one factor (the concept docs say so); Entra
		// names the method "QR code", as authenticationDetails do.
		j.AuthenticationMethodsUsed = []string{"QR code"}
		j.AuthenticationRequirement = "singleFactorAuthentication"
	}
	if e.Resource != "" && e.Resource != j.ResourceDisplayName { // an application's own API, through the OpenID provider
		j.ResourceID, j.ResourceDisplayName = e.AppID, e.Resource
	}
	if e.ErrorCode != 0 {
		reason := e.FailureReason
		j.Status.FailureReason = &reason
	}
	if !beta {
		return j
	}
	detail := authDetailJSON{Method: "QR code", Detail: "QR code and PIN", StepTime: graphTime(e.Created),
		Requirement: "Primary authentication", Succeeded: e.ErrorCode == 0, Result: "MFA requirement satisfied by claim in the token"}
	if e.ErrorCode == 0 {
		detail.Result = "Correct QR code and PIN"
	} else {
		detail.Result = "Failed at the " + stepNames[e.Step] + " step: " + e.FailureReason
	}
	j.AuthenticationDetails = []authDetailJSON{detail}
	return j
}

type auditUserJSON struct {
	ID          string  `json:"id"`
	DisplayName *string `json:"displayName"`
	UPN         string  `json:"userPrincipalName"`
	IPAddress   *string `json:"ipAddress"`
}

type auditAppJSON struct {
	AppID                string `json:"appId"`
	DisplayName          string `json:"displayName"`
	ServicePrincipalID   string `json:"servicePrincipalId"`
	ServicePrincipalName string `json:"servicePrincipalName"`
}

type initiatedByJSON struct {
	User *auditUserJSON `json:"user"`
	App  *auditAppJSON  `json:"app"`
}

type targetResourceJSON struct {
	ID                 string  `json:"id"`
	DisplayName        *string `json:"displayName"`
	Type               string  `json:"type"`
	UPN                *string `json:"userPrincipalName"`
	ModifiedProperties []any   `json:"modifiedProperties"`
}

type directoryAuditJSON struct {
	ID                string               `json:"id"`
	Category          string               `json:"category"`
	CorrelationID     string               `json:"correlationId"`
	Result            string               `json:"result"`
	ResultReason      string               `json:"resultReason"`
	ActivityName      string               `json:"activityDisplayName"`
	ActivityTime      graphTime            `json:"activityDateTime"`
	LoggedByService   string               `json:"loggedByService"`
	OperationType     string               `json:"operationType"`
	InitiatedBy       initiatedByJSON      `json:"initiatedBy"`
	TargetResources   []targetResourceJSON `json:"targetResources"`
	AdditionalDetails []any                `json:"additionalDetails"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toDirectoryAudit(e store.DirectoryAudit) *directoryAuditJSON {
	j := &directoryAuditJSON{
		ID: e.ID, Category: e.Category, CorrelationID: e.ID, Result: e.Result, ActivityName: e.Activity,
		ActivityTime: graphTime(e.Time), LoggedByService: "Core Directory", OperationType: e.OperationType,
		TargetResources: []targetResourceJSON{}, AdditionalDetails: []any{},
	}
	if e.InitiatorKind == "user" {
		j.InitiatedBy.User = &auditUserJSON{ID: e.InitiatorID, UPN: e.InitiatorName, IPAddress: optional(e.InitiatorAddress)}
	} else {
		j.InitiatedBy.App = &auditAppJSON{AppID: e.InitiatorAppID, DisplayName: e.InitiatorName,
			ServicePrincipalID: e.InitiatorID, ServicePrincipalName: e.InitiatorName}
	}
	for _, t := range e.Targets {
		j.TargetResources = append(j.TargetResources, targetResourceJSON{ID: t.ID, DisplayName: optional(t.DisplayName),
			Type: t.Type, UPN: optional(t.UPN), ModifiedProperties: []any{}})
	}
	return j
}

// auditFields names the properties an audit log's $filter may use.
type auditFields struct {
	what, time, userID, upn string
}

var (
	signInFields = auditFields{"sign-ins", "createdDateTime", "userId", "userPrincipalName"}
	auditFieldsD = auditFields{"directory audits", "activityDateTime", "initiatedBy/user/id", "initiatedBy/user/userPrincipalName"}
)

// parseAuditFilter reads an audit log's $filter: clauses joined by "and",
// each "<time> ge|le <DateTimeOffset>", "<user id> eq '<id>'" or "<upn> eq
// '<upn>'" (property names and operators case-insensitive).
func parseAuditFilter(s string, fields auditFields) (store.AuditFilter, error) {
	var f store.AuditFilter
	if strings.TrimSpace(s) == "" {
		return f, nil
	}
	unsupported := func(why string) error {
		return apperr.New(apperr.Invalid, "Request_UnsupportedQuery",
			"Unsupported $filter: %s. The %s can be filtered by %s ge/le a date and time, %s eq '{id}' and %s eq '{upn}', joined by 'and'.",
			why, fields.what, fields.time, fields.userID, fields.upn)
	}
	rest := s
	for {
		var prop, op string
		var ok bool
		if prop, rest, ok = filterWord(rest); !ok {
			return f, unsupported("a property name is missing")
		}
		if op, rest, ok = filterWord(rest); !ok {
			return f, unsupported("an operator is missing")
		}
		switch {
		case strings.EqualFold(prop, fields.time):
			var word string
			if word, rest, ok = filterWord(rest); !ok {
				return f, unsupported("a date and time is missing")
			}
			t, err := time.Parse(time.RFC3339Nano, word)
			if err != nil {
				return f, unsupported("'" + word + "' is not a date and time such as 2026-03-01T09:00:00Z")
			}
			t = t.UTC()
			if err := method.CheckDate(fields.time, t); err != nil {
				return f, err
			}
			switch {
			case strings.EqualFold(op, "ge"):
				f.From = t
			case strings.EqualFold(op, "le"):
				f.To = t
			default:
				return f, unsupported("dates support only 'ge' and 'le'")
			}
		case strings.EqualFold(prop, fields.userID), strings.EqualFold(prop, fields.upn):
			if !strings.EqualFold(op, "eq") {
				return f, unsupported("'" + prop + "' supports only 'eq'")
			}
			var val string
			if val, rest, ok = filterString(rest); !ok || val == "" {
				return f, unsupported("the value of '" + prop + "' must be a string in single quotes")
			}
			if strings.EqualFold(prop, fields.userID) {
				f.UserID = strings.ToLower(val)
			} else {
				f.UPN = val
			}
		default:
			return f, unsupported("filtering on '" + prop + "' is not supported")
		}
		if strings.TrimSpace(rest) == "" {
			return f, nil
		}
		var and string
		if and, rest, ok = filterWord(rest); !ok || !strings.EqualFold(and, "and") {
			return f, unsupported("clauses must be joined by 'and'")
		}
	}
}

// auditPage reads the $filter and paging of an audit log list.
func (c *call) auditPage(fields auditFields) (store.AuditFilter, int, error) {
	f, err := parseAuditFilter(c.r.URL.Query().Get("$filter"), fields)
	if err != nil {
		return f, 0, err
	}
	before, top, err := c.page()
	f.Before = before
	return f, top, err
}

func (s *Server) listSignIns(c *call) (int, any, error) {
	f, top, err := c.auditPage(signInFields)
	if err != nil {
		return 0, nil, err
	}
	es, err := s.Admin.ListSignInLogs(c.r.Context(), c.p, f, top)
	if err != nil {
		return 0, nil, err
	}
	toJSON := func(e store.SignInLog) *signInJSON { return toSignIn(e, c.version) }
	return http.StatusOK, pageOf(c, "auditLogs/signIns", es, toJSON, top, func(e store.SignInLog) string { return e.ID }), nil
}

func (s *Server) listDirectoryAudits(c *call) (int, any, error) {
	f, top, err := c.auditPage(auditFieldsD)
	if err != nil {
		return 0, nil, err
	}
	es, err := s.Admin.ListDirectoryAudits(c.r.Context(), c.p, f, top)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pageOf(c, "auditLogs/directoryAudits", es, toDirectoryAudit, top, func(e store.DirectoryAudit) string { return e.ID }), nil
}
