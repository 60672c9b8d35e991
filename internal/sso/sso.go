// Package sso owns identity provider connections (OIDC, SAML 2.0 and LDAP) and the sign-in
// flows behind them: it keeps each connection's settings with its secrets sealed, runs the
// protocol through the adapters in its sub-packages, maps what the provider returned onto a
// profile, decides who may get in (linked identity, verified e-mail, invitation, allowed
// domain or "create users on first login"), and synchronises group memberships and the
// admin role. It never issues sessions itself: callers turn the admitted user into a token.
package sso

import (
	"context"
	"time"
)

// Topic is the change topic for connections; the id is the workspace id.
const Topic = "sso_connection"

// Protocol is how a connection talks to its provider.
type Protocol string

// Protocols.
const (
	OIDC Protocol = "oidc"
	SAML Protocol = "saml"
	LDAP Protocol = "ldap"
)

// Settings is a connection's configuration without its secrets: the `configuration`
// object of the sso.* endpoints. Which fields apply depends on the protocol.
type Settings struct {
	// Admission and claim mapping (every protocol).
	CreateUsers bool `json:"create_users"`
	// TrustEmail lets a SAML or LDAP provider's e-mail addresses link to existing users
	// and admit allowed domains. Only for providers where people cannot set their own
	// address; OIDC providers say per person with email_verified.
	TrustEmail      bool   `json:"trust_email,omitempty"`
	ClaimUserID     string `json:"claim_user_id"`
	ClaimEmail      string `json:"claim_email"`
	ClaimName       string `json:"claim_name"`
	ClaimGivenName  string `json:"claim_given_name"`
	ClaimFamilyName string `json:"claim_family_name"`
	ClaimPicture    string `json:"claim_picture"`

	// Group synchronisation.
	GroupEnabled         bool   `json:"group_enabled"`
	ClaimGroups          string `json:"claim_groups"`
	GroupCaseInsensitive bool   `json:"group_case_insensitive"`
	GroupAdmins          List   `json:"group_admins"`
	GroupRequireKnown    bool   `json:"group_prohibit_user_login_if_not_in_group"`

	// OIDC.
	WellKnownURL          string `json:"well_known_url,omitempty"`
	Issuer                string `json:"issuer,omitempty"`
	ClientID              string `json:"client_id,omitempty"`
	AuthorizationEndpoint string `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string `json:"token_endpoint,omitempty"`
	UserinfoEndpoint      string `json:"userinfo_endpoint,omitempty"`
	RevocationEndpoint    string `json:"revocation_endpoint,omitempty"`
	EndSessionEndpoint    string `json:"end_session_endpoint,omitempty"`
	JWKSURI               string `json:"jwks_uri,omitempty"`
	InfoFromIDToken       bool   `json:"info_from_id_token,omitempty"`
	RequireVerifiedEmail  bool   `json:"require_verified_email,omitempty"`
	CodeChallengeMethod   string `json:"code_challenge_method,omitempty"`
	Scopes                List   `json:"scopes,omitempty"`
	AdditionalScopes      List   `json:"additional_scopes,omitempty"`
	AuthParams            Params `json:"auth_params,omitempty"`
	LogoutFromProvider    bool   `json:"logout_from_provider,omitempty"`

	// SAML.
	EntityID               string `json:"entity_id,omitempty"`
	IDPMetadata            string `json:"idp_metadata,omitempty"`
	IDPMetadataURL         string `json:"idp_metadata_url,omitempty"`
	RequireSignedResponse  bool   `json:"require_signed_response,omitempty"`
	RequireSignedAssertion bool   `json:"require_signed_assertion,omitempty"`
	SignRequests           bool   `json:"sign_requests,omitempty"`
	SPCertificate          string `json:"sp_certificate,omitempty"`
	ClockSkewSec           int    `json:"clock_skew_sec,omitempty"`

	// LDAP.
	ServerURL          string `json:"server_url,omitempty"`
	StartTLS           bool   `json:"start_tls,omitempty"`
	AllowPlaintext     bool   `json:"allow_plaintext,omitempty"`
	CACertificate      string `json:"ca_certificate,omitempty"`
	BindDN             string `json:"bind_dn,omitempty"`
	BaseDN             string `json:"base_dn,omitempty"`
	SearchFilter       string `json:"search_filter,omitempty"`
	GroupAttribute     string `json:"group_attribute,omitempty"`
	GroupBaseDN        string `json:"group_base_dn,omitempty"`
	GroupFilter        string `json:"group_filter,omitempty"`
	GroupNameAttribute string `json:"group_name_attribute,omitempty"`
	TimeoutSec         int    `json:"timeout_sec,omitempty"`
}

// Secrets are a connection's confidential settings, sealed at rest and never shown back.
type Secrets struct {
	ClientSecret string `json:"client_secret,omitempty"`
	SPPrivateKey string `json:"sp_private_key,omitempty"`
	BindPassword string `json:"bind_password,omitempty"`
}

// Connection is one configured identity provider.
type Connection struct {
	ID          string
	WorkspaceID string
	Provider    string // preset id, e.g. "okta" or "custom_oidc"
	Protocol    Protocol
	DisplayName string
	Active      bool
	Settings    Settings
	Secrets     Secrets
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Record is a connection as stored: settings as JSON and secrets sealed.
type Record struct {
	ID          string
	WorkspaceID string
	Provider    string
	Protocol    string
	DisplayName string
	Active      bool
	Settings    string
	Secrets     string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Link ties a provider's subject to a user, so later sign-ins find the user even after
// the e-mail changes.
type Link struct {
	WorkspaceID  string
	ConnectionID string
	Subject      string
	UserID       string
	CreatedAt    time.Time
	LastSeenAt   time.Time
}

// Store is what sso needs from the database. Missing rows are apperr NotFound; a display
// name used twice in a workspace and a consumed key seen again are apperr Conflict.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	Publish(ctx context.Context, topic, id string)

	SSOConnections(ctx context.Context, workspaceID string) ([]Record, error)
	// SSOConnection finds a connection by id in any workspace (callbacks carry only the id).
	SSOConnection(ctx context.Context, id string) (Record, error)
	SaveSSOConnection(ctx context.Context, r Record) error
	DeleteSSOConnection(ctx context.Context, workspaceID, id string) error

	SSOLink(ctx context.Context, workspaceID, connectionID, subject string) (Link, error)
	SaveSSOLink(ctx context.Context, l Link) error

	// ConsumeOnce records key until expires and fails with Conflict when it is already
	// recorded: SAML assertion ids and sign-in flows are accepted once.
	ConsumeOnce(ctx context.Context, workspaceID, key string, expires, now time.Time) error
}
