package api

func (a *API) loginEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "login.supported_modes", Auth: AuthOptional, Handle: a.supportedModes},
		{Name: "login.logout", Auth: AuthOptional, Handle: a.logout},
		{Name: "auth.fixed_users_mode", Auth: AuthNone, Handle: a.fixedUsersMode},
	}
}

// supportedModes tells the web app how people sign in: with a password form, plus any
// single sign-on connections (none yet).
func (a *API) supportedModes(c *Call) (any, error) {
	return map[string]any{
		"basic": map[string]any{
			"enabled": true,
			"guest":   map[string]any{"enabled": false},
		},
		"sso":           map[string]any{},
		"sso_providers": []any{},
		"server_errors": map[string]any{"missed_es_upgrade": false, "es_connection_error": false},
		"authenticated": c.Authed,
	}, nil
}

// fixedUsersMode tells the web app that people sign in with e-mail and password (ClearML's
// "fixed users" mode) and that there is no guest account.
func (a *API) fixedUsersMode(c *Call) (any, error) {
	return map[string]any{"enabled": true, "guest": map[string]any{"enabled": false},
			"server_errors": map[string]any{"missed_es_upgrade": false, "es_connection_error": false}},
		nil
}
