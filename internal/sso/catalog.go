package sso

import "slices"

// Preset is an entry of the provider catalogue: a protocol with defaults and hints for one
// kind of identity provider.
type Preset struct {
	ID          string   `json:"id"`
	DisplayName string   `json:"display_name"`
	Category    Protocol `json:"category"`
	// WellKnownHint shows where the provider publishes its discovery document.
	WellKnownHint string `json:"well_known_hint,omitempty"`
	// Help is one sentence on where to find the values.
	Help     string   `json:"help,omitempty"`
	defaults Settings `json:"-"`
}

// oidcDefaults are the standard OpenID Connect claim names.
var oidcDefaults = Settings{ClaimUserID: "sub", ClaimEmail: "email", ClaimName: "name",
	ClaimGivenName: "given_name", ClaimFamilyName: "family_name", ClaimPicture: "picture",
	ClaimGroups: "groups", CodeChallengeMethod: "S256", Scopes: []string{"openid", "email",
		"profile"}, InfoFromIDToken: true}

// samlDefaults are attribute names most SAML providers can be set to send.
var samlDefaults = Settings{ClaimUserID: "", ClaimEmail: "email", ClaimName: "displayName",
	ClaimGivenName: "givenName", ClaimFamilyName: "surname", ClaimGroups: "groups",
	RequireSignedAssertion: true, ClockSkewSec: 90}

// msDefaults are the claim URIs Microsoft's SAML applications send.
var msDefaults = Settings{
	ClaimUserID:            "http://schemas.microsoft.com/identity/claims/objectidentifier",
	ClaimEmail:             "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
	ClaimName:              "http://schemas.microsoft.com/identity/claims/displayname",
	ClaimGivenName:         "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
	ClaimFamilyName:        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
	ClaimGroups:            "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
	RequireSignedAssertion: true, ClockSkewSec: 90}

// ldapDefaults suit an OpenLDAP directory with inetOrgPerson entries.
var ldapDefaults = Settings{ClaimUserID: "uid", ClaimEmail: "mail", ClaimName: "cn",
	ClaimGivenName: "givenName", ClaimFamilyName: "sn", StartTLS: true,
	SearchFilter: "(&(objectClass=inetOrgPerson)(uid={0}))", GroupAttribute: "memberOf",
	GroupNameAttribute: "cn", TimeoutSec: 10}

// adDefaults suit Active Directory.
var adDefaults = Settings{ClaimUserID: "objectGUID", ClaimEmail: "mail", ClaimName: "displayName",
	ClaimGivenName: "givenName", ClaimFamilyName: "sn", StartTLS: true,
	SearchFilter: "(&(objectClass=user)(sAMAccountName={0}))", GroupAttribute: "memberOf",
	GroupNameAttribute: "cn", TimeoutSec: 10}

func with(base Settings, fn func(*Settings)) Settings {
	s := base
	s.Scopes = slices.Clone(base.Scopes)
	if fn != nil {
		fn(&s)
	}
	return s
}

// catalogue lists the presets in the order the wizard shows them.
var catalogue = []Preset{
	{ID: "google", DisplayName: "Google", Category: OIDC,
		WellKnownHint: "https://accounts.google.com/.well-known/openid-configuration",
		Help:          "Google Cloud console, APIs & Services, Credentials: an OAuth client of type Web application.",
		defaults:      with(oidcDefaults, func(s *Settings) { s.ClaimGroups = "" })},
	{ID: "microsoft_entra", DisplayName: "Microsoft Entra ID", Category: OIDC,
		WellKnownHint: "https://login.microsoftonline.com/<tenant id>/v2.0/.well-known/openid-configuration",
		Help:          "Entra admin center, App registrations: the application (client) id and a client secret.",
		defaults:      with(oidcDefaults, func(s *Settings) { s.ClaimUserID = "oid" })},
	{ID: "okta", DisplayName: "Okta", Category: OIDC,
		WellKnownHint: "https://<your domain>.okta.com/oauth2/default/.well-known/openid-configuration",
		Help:          "Okta admin console, Applications: an OIDC web application; add a groups claim to send groups.",
		defaults:      with(oidcDefaults, func(s *Settings) { s.AdditionalScopes = []string{"groups"} })},
	{ID: "keycloak", DisplayName: "Keycloak", Category: OIDC,
		WellKnownHint: "https://<host>/realms/<realm>/.well-known/openid-configuration",
		Help:          "Keycloak admin console, Clients: a confidential OpenID Connect client; a group membership mapper sends groups.",
		defaults:      with(oidcDefaults, nil)},
	{ID: "auth0", DisplayName: "Auth0", Category: OIDC,
		WellKnownHint: "https://<tenant>.auth0.com/.well-known/openid-configuration",
		Help:          "Auth0 dashboard, Applications: a Regular Web Application.",
		defaults:      with(oidcDefaults, nil)},
	{ID: "cognito", DisplayName: "AWS Cognito", Category: OIDC,
		WellKnownHint: "https://cognito-idp.<region>.amazonaws.com/<user pool id>/.well-known/openid-configuration",
		Help:          "Cognito user pool, App integration: an app client with a secret.",
		defaults:      with(oidcDefaults, func(s *Settings) { s.ClaimGroups = "cognito:groups" })},
	{ID: "ping", DisplayName: "Ping Identity", Category: OIDC,
		WellKnownHint: "https://auth.pingone.com/<environment id>/as/.well-known/openid-configuration",
		Help:          "PingOne, Applications: an OIDC web app.",
		defaults:      with(oidcDefaults, nil)},
	{ID: "custom_oidc", DisplayName: "Custom OIDC", Category: OIDC,
		Help:     "Any OpenID Connect provider: its discovery URL, or the endpoints by hand.",
		defaults: with(oidcDefaults, nil)},
	{ID: "duo", DisplayName: "Duo", Category: SAML,
		Help: "Duo admin panel, Applications: a Generic SAML Service Provider.", defaults: samlDefaults},
	{ID: "google_saml", DisplayName: "Google Workspace (SAML)", Category: SAML,
		Help: "Google admin console, Apps, Web and mobile apps: a custom SAML app.", defaults: samlDefaults},
	{ID: "jumpcloud", DisplayName: "JumpCloud", Category: SAML,
		Help: "JumpCloud admin portal, SSO applications: a custom SAML application.", defaults: samlDefaults},
	{ID: "microsoft_ad", DisplayName: "Microsoft Entra ID (SAML)", Category: SAML,
		Help:     "Entra admin center, Enterprise applications: a non-gallery application with SAML sign-on.",
		defaults: msDefaults},
	{ID: "custom_saml", DisplayName: "Custom SAML", Category: SAML,
		Help: "Any SAML 2.0 identity provider: its metadata document.", defaults: samlDefaults},
	{ID: "openldap", DisplayName: "OpenLDAP", Category: LDAP,
		Help: "A directory with inetOrgPerson entries, searched with a service account.", defaults: ldapDefaults},
	{ID: "active_directory", DisplayName: "Active Directory (LDAP)", Category: LDAP,
		Help: "Active Directory over LDAP with StartTLS or LDAPS.", defaults: adDefaults},
	{ID: "custom_ldap", DisplayName: "Custom LDAP", Category: LDAP,
		Help: "Any LDAP v3 directory.", defaults: ldapDefaults},
}

// Presets returns the provider catalogue.
func Presets() []Preset { return slices.Clone(catalogue) }

// PresetByID finds a preset.
func PresetByID(id string) (Preset, bool) {
	for _, p := range catalogue {
		if p.ID == id {
			return p, true
		}
	}
	return Preset{}, false
}

// Defaults returns a fresh copy of the preset's default settings.
func (p Preset) Defaults() Settings { return with(p.defaults, nil) }
