package api

func (a *API) loginEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "login.supported_modes", Auth: AuthOptional, Handle: a.supportedModes},
		{Name: "login.logout", Auth: AuthOptional, Handle: a.logout},
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
