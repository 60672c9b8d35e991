package sso

// Field describes one input of the connection form. The API's configuration template and
// the web wizard are both built from this list, so the two never disagree.
type Field struct {
	Name     string   `json:"name"` // key in the configuration object
	Label    string   `json:"label"`
	Type     string   `json:"type"` // text, url, secret, bool, textarea, select, list, number
	Section  string   `json:"section"`
	Help     string   `json:"help,omitempty"`
	Required bool     `json:"required,omitempty"`
	Options  []string `json:"options,omitempty"`
	// ReadOnly fields are derived by the server and shown to copy.
	ReadOnly bool `json:"read_only,omitempty"`
}

// Sections, in the order the form shows them.
const (
	SectionGeneral   = "General"
	SectionProvider  = "Provider"
	SectionSecurity  = "Security"
	SectionClaims    = "Claim mapping"
	SectionGroups    = "Group synchronisation"
	SectionAdvanced  = "Additional settings"
	SectionDirectory = "Directory"
)

// trustField is the SAML and LDAP switch that lets e-mails link accounts.
var trustField = Field{Name: "trust_email", Label: "Trust e-mail addresses", Type: "bool",
	Section: SectionSecurity, Help: "Link people to existing users (admins included) and " +
		"admit allowed domains by the e-mail this provider sends. Only when people cannot " +
		"change their own address there."}

var commonHead = []Field{
	{Name: "display_name", Label: "Display name", Type: "text", Section: SectionGeneral,
		Required: true, Help: "The label of the sign-in button; unique among connections."},
	{Name: "active", Label: "Active", Type: "bool", Section: SectionGeneral,
		Help: "Active connections appear on the sign-in page."},
	{Name: "create_users", Label: "Create new users on first login", Type: "bool",
		Section: SectionGeneral, Help: "Off: only existing members, invited people and " +
			"e-mails of allowed domains get in."},
}

var oidcFields = []Field{
	{Name: "callback_url", Label: "Callback URL", Type: "url", Section: SectionGeneral,
		ReadOnly: true, Help: "Paste into the provider's redirect (callback) URL setting."},
	{Name: "well_known_url", Label: "Discovery URL", Type: "url", Section: SectionProvider,
		Help: "The provider's .well-known/openid-configuration; fills the endpoints below."},
	{Name: "issuer", Label: "Issuer", Type: "url", Section: SectionProvider,
		Help: "The iss value of the provider's tokens; taken from discovery."},
	{Name: "client_id", Label: "Client ID", Type: "text", Section: SectionProvider, Required: true},
	{Name: "client_secret", Label: "Client secret", Type: "secret", Section: SectionProvider,
		Help: "Stored encrypted; leave empty to keep the saved one."},
	{Name: "authorization_endpoint", Label: "Authorization endpoint", Type: "url",
		Section: SectionProvider, Required: true},
	{Name: "token_endpoint", Label: "Access token endpoint", Type: "url",
		Section: SectionProvider, Required: true},
	{Name: "userinfo_endpoint", Label: "User info endpoint", Type: "url", Section: SectionProvider,
		Help: "Required when user information is not taken from the identity token."},
	{Name: "jwks_uri", Label: "JWKS URI", Type: "url", Section: SectionProvider,
		Help: "Where the provider publishes the keys that sign its identity tokens; " +
			"needed, with the issuer, to sign in. Taken from discovery."},
	{Name: "revocation_endpoint", Label: "Revocation endpoint", Type: "url",
		Section: SectionProvider},
	{Name: "end_session_endpoint", Label: "End-session endpoint", Type: "url",
		Section: SectionProvider},
	{Name: "info_from_id_token", Label: "Obtain user information from the identity token",
		Type: "bool", Section: SectionSecurity,
		Help: "Off: the user info endpoint is called as well and its claims win."},
	{Name: "require_verified_email", Label: "Require a verified e-mail", Type: "bool",
		Section: SectionSecurity, Help: "Only people whose e-mail the provider marks " +
			"email_verified get in."},
	{Name: "logout_from_provider", Label: "Sign out at the provider too", Type: "bool",
		Section: SectionSecurity, Help: "Signing out of Atrium also ends the provider " +
			"session, when it has an end-session endpoint."},
	{Name: "code_challenge_method", Label: "Code challenge method (PKCE)", Type: "select",
		Section: SectionAdvanced, Options: []string{"none", "plain", "S256"},
		Help: "Must match the provider's setting; S256 when in doubt."},
	{Name: "scopes", Label: "Standard user info scopes", Type: "list", Section: SectionAdvanced,
		Help: "Comma-separated; openid is always sent."},
	{Name: "additional_scopes", Label: "Additional scopes", Type: "list",
		Section: SectionAdvanced},
	{Name: "auth_params", Label: "Additional authorization parameters", Type: "textarea",
		Section: SectionAdvanced, Help: "One name=value per line, e.g. prompt=select_account."},
}

var samlFields = []Field{
	{Name: "acs_url", Label: "Reply (ACS) URL", Type: "url", Section: SectionGeneral,
		ReadOnly: true, Help: "Paste into the provider's Assertion Consumer Service URL."},
	{Name: "metadata_url", Label: "Service provider metadata", Type: "url",
		Section: SectionGeneral, ReadOnly: true, Help: "Atrium's metadata, for providers " +
			"that import it."},
	{Name: "entity_id", Label: "Entity ID", Type: "text", Section: SectionProvider,
		Help: "The identifier of this application at the provider (audience); default: " +
			"the metadata URL."},
	{Name: "idp_metadata", Label: "Identity provider metadata", Type: "textarea",
		Section: SectionProvider, Help: "The XML document downloaded from the provider, " +
			"or leave empty and give its URL."},
	{Name: "idp_metadata_url", Label: "Identity provider metadata URL", Type: "url",
		Section: SectionProvider, Help: "Fetched once when saving."},
	{Name: "require_signed_response", Label: "Require signed responses", Type: "bool",
		Section: SectionSecurity},
	{Name: "require_signed_assertion", Label: "Require signed assertions", Type: "bool",
		Section: SectionSecurity, Help: "Either the response or the assertion is always " +
			"signed; these make one of them mandatory."},
	{Name: "sign_requests", Label: "Sign requests", Type: "bool", Section: SectionSecurity,
		Help: "Sign AuthnRequests with the key pair below; leave both empty to generate one."},
	{Name: "sp_certificate", Label: "Public key (PEM certificate)", Type: "textarea",
		Section: SectionSecurity},
	{Name: "sp_private_key", Label: "Private key (PEM)", Type: "secret", Section: SectionSecurity,
		Help: "Stored encrypted; leave empty to keep the saved one."},
	{Name: "clock_skew_sec", Label: "Clock skew allowance (seconds)", Type: "number",
		Section: SectionAdvanced, Help: "0 to 600; default 90."},
}

var ldapFields = []Field{
	{Name: "server_url", Label: "Server URL", Type: "url", Section: SectionDirectory,
		Required: true, Help: "ldap://host:389 with StartTLS, or ldaps://host:636."},
	{Name: "start_tls", Label: "Use StartTLS", Type: "bool", Section: SectionDirectory},
	{Name: "allow_plaintext", Label: "Allow unencrypted ldap://", Type: "bool",
		Section: SectionDirectory, Help: "Passwords cross the network in the clear; only " +
			"for a directory on this machine."},
	{Name: "ca_certificate", Label: "CA certificate (PEM)", Type: "textarea",
		Section: SectionDirectory, Help: "Empty: the system's trusted roots."},
	{Name: "bind_dn", Label: "Service bind DN", Type: "text", Section: SectionDirectory,
		Required: true},
	{Name: "bind_password", Label: "Service bind password", Type: "secret",
		Section: SectionDirectory, Help: "Stored encrypted; leave empty to keep the saved one."},
	{Name: "base_dn", Label: "Base DN", Type: "text", Section: SectionDirectory, Required: true},
	{Name: "search_filter", Label: "User search filter", Type: "text", Section: SectionDirectory,
		Required: true, Help: "{0} is replaced by the escaped username."},
	{Name: "group_attribute", Label: "Group attribute", Type: "text", Section: SectionGroups,
		Help: "An attribute of the user entry listing group DNs, e.g. memberOf."},
	{Name: "group_base_dn", Label: "Group search base DN", Type: "text", Section: SectionGroups,
		Help: "Alternatively search for groups under this DN."},
	{Name: "group_filter", Label: "Group search filter", Type: "text", Section: SectionGroups,
		Help: "{dn} is the user's DN, {0} the username, e.g. (member={dn})."},
	{Name: "group_name_attribute", Label: "Group name attribute", Type: "text",
		Section: SectionGroups},
	{Name: "timeout_sec", Label: "Timeout (seconds)", Type: "number", Section: SectionAdvanced},
}

var claimFields = []Field{
	{Name: "claim_user_id", Label: "User id claim", Type: "text", Section: SectionClaims,
		Help: "Stable id of the person at the provider; empty: the subject / NameID / DN."},
	{Name: "claim_email", Label: "E-mail claim", Type: "text", Section: SectionClaims,
		Required: true},
	{Name: "claim_name", Label: "Name claim", Type: "text", Section: SectionClaims},
	{Name: "claim_given_name", Label: "Given name claim", Type: "text", Section: SectionClaims,
		Help: "Used when the name claim is empty."},
	{Name: "claim_family_name", Label: "Family name claim", Type: "text", Section: SectionClaims},
	{Name: "claim_picture", Label: "Picture claim", Type: "text", Section: SectionClaims},
}

var groupFields = []Field{
	{Name: "group_enabled", Label: "Synchronise groups", Type: "bool", Section: SectionGroups,
		Help: "At every sign-in, add the person to existing groups named in the groups claim " +
			"and remove them from the others. Groups are never created."},
	{Name: "claim_groups", Label: "Groups claim", Type: "text", Section: SectionGroups},
	{Name: "group_case_insensitive", Label: "Match group names ignoring case", Type: "bool",
		Section: SectionGroups},
	{Name: "group_admins", Label: "Admin groups", Type: "list", Section: SectionGroups,
		Help: "Comma-separated provider groups whose members become admins (and others " +
			"not); empty: roles are managed in Atrium."},
	{Name: "group_prohibit_user_login_if_not_in_group", Label: "Refuse people in no known group",
		Type: "bool", Section: SectionGroups},
}

// Fields returns the form of a protocol, in display order.
func Fields(p Protocol) []Field {
	out := append([]Field{}, commonHead...)
	switch p {
	case OIDC:
		out = append(out, oidcFields...)
	case SAML:
		out = append(out, samlFields...)
		out = append(out, trustField)
	case LDAP:
		out = append(out, ldapFields...)
		out = append(out, trustField)
	}
	out = append(out, claimFields...)
	for _, f := range groupFields {
		if p == LDAP && f.Name == "claim_groups" {
			continue // a directory's groups come from its own group settings
		}
		out = append(out, f)
	}
	return out
}
