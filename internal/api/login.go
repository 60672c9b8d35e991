package api

func (a *API) loginEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "login.supported_modes", Auth: AuthOptional, Handle: a.supportedModes},
		{Name: "login.logout", Auth: AuthOptional, Handle: a.logout},
		{Name: "auth.fixed_users_mode", Auth: AuthNone, Handle: a.fixedUsersMode},
	}
}

// supportedModes tells the web app how people sign in: with a password form, plus the
// workspace's active identity provider connections.
func (a *API) supportedModes(c *Call) (any, error) {
	wsID := c.Principal.WorkspaceID
	if wsID == "" {
		ws, err := a.svc.Identity.DefaultWorkspace(c.Context())
		if err != nil {
			return nil, err
		}
		wsID = ws.ID
	}
	buttons, err := a.svc.SSO.Buttons(c.Context(), wsID)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"basic": map[string]any{
			"enabled": true,
			"guest":   map[string]any{"enabled": false},
		},
		"sso":           map[string]any{"directory": a.svc.SSO.HasDirectory(c.Context(), wsID)},
		"sso_providers": buttons,
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
