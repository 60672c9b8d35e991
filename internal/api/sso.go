package api

import (
	"encoding/json"
	"strings"

	"atrium/internal/identity"
	"atrium/internal/sso"
	"atrium/internal/sso/oidcrp"
)

func (a *API) ssoEndpoints() []*Endpoint {
	admins := []identity.Role{identity.RoleSystem, identity.RoleAdmin}
	return []*Endpoint{
		{Name: "sso.get_supported_providers", Roles: admins, Handle: a.ssoProviders},
		{Name: "sso.get_provider_configurations", Roles: admins, Handle: a.ssoConfigurations},
		{Name: "sso.get_provider_configuration_template", Roles: admins, Handle: a.ssoTemplate},
		{Name: "sso.save_provider_configuration", Roles: admins, Handle: a.ssoSave},
		{Name: "sso.test_provider_configuration", Roles: admins, Handle: a.ssoTest},
		{Name: "sso.set_provider_configurations_active", Roles: admins, Handle: a.ssoSetActive},
		{Name: "sso.delete_provider_configurations", Roles: admins, Handle: a.ssoDelete},
		{Name: "sso.download_saml_sp_metadata", Roles: admins, Handle: a.ssoSPMetadata},
		{Name: "sso.get_oidc_provider_data_from_well_known_url", Roles: admins, Handle: a.ssoWellKnown},
	}
}

// ssoProviders is the catalogue of presets. Admins only (the endpoint's roles), like the
// rest of the section.
func (a *API) ssoProviders(c *Call) (any, error) {
	return map[string]any{"providers": sso.Presets()}, nil
}

func connectionOut(v sso.View) map[string]any {
	out := v.Configuration()
	out["id"] = v.ID
	out["provider"] = v.Provider
	out["protocol"] = v.Protocol
	out["created"] = Time(v.CreatedAt)
	out["last_update"] = Time(v.UpdatedAt)
	return out
}

func (a *API) ssoConfigurations(c *Call) (any, error) {
	list, err := a.svc.SSO.Connections(c.Context())
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = connectionOut(v)
	}
	return map[string]any{"configurations": out}, nil
}

func (a *API) ssoTemplate(c *Call) (any, error) {
	var req struct {
		Provider     string `json:"provider"`
		ID           string `json:"id"`
		WellKnownURL string `json:"well_known_url"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Provider == "" && req.ID == "" {
		return nil, missing("provider")
	}
	preset, fields, conf, err := a.svc.SSO.Template(c.Context(), req.Provider, req.ID)
	if err != nil {
		return nil, err
	}
	if req.WellKnownURL != "" {
		d, err := a.svc.SSO.Discover(c.Context(), req.WellKnownURL)
		if err != nil {
			return nil, err
		}
		conf["well_known_url"] = req.WellKnownURL
		for k, v := range discoveryOut(d) {
			if v != "" {
				conf[k] = v
			}
		}
	}
	return map[string]any{"provider": preset, "protocol": preset.Category, "fields": fields,
		"configuration": conf}, nil
}

func (a *API) ssoSave(c *Call) (any, error) {
	var req struct {
		ID            string          `json:"id"`
		Provider      string          `json:"provider"`
		Configuration json.RawMessage `json:"configuration"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.Configuration) == 0 || (req.Provider == "" && req.ID == "") {
		return nil, missing("provider", "configuration")
	}
	if req.ID == "" {
		var inner struct {
			ID string `json:"id"`
		}
		json.Unmarshal(req.Configuration, &inner)
		req.ID = inner.ID
	}
	in, err := a.svc.SSO.DecodeOver(c.Context(), req.ID, req.Provider, req.Configuration)
	if err != nil {
		return nil, err
	}
	id, err := a.svc.SSO.Save(c.Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": id}, nil
}

// ssoTest answers where the admin's browser starts a test sign-in (OIDC, SAML), or, for a
// directory, runs the test right away with the username and password given.
func (a *API) ssoTest(c *Call) (any, error) {
	var req struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, missing("id")
	}
	v, err := a.svc.SSO.Connection(c.Context(), req.ID)
	if err != nil {
		return nil, err
	}
	if v.Protocol != sso.LDAP {
		return map[string]any{"redirect_url": strings.TrimRight(a.opts.PublicURL, "/") +
			"/settings/identity-providers/" + v.ID + "/test"}, nil
	}
	r, err := a.svc.SSO.TestDirectory(c.Context(), req.ID, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	return map[string]any{"report": r}, nil
}

func (a *API) ssoSetActive(c *Call) (any, error) {
	var req struct {
		IDs    []string `json:"ids"`
		Active *bool    `json:"active"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 || req.Active == nil {
		return nil, missing("ids", "active")
	}
	n, err := a.svc.SSO.SetActive(c.Context(), req.IDs, *req.Active)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": n}, nil
}

func (a *API) ssoDelete(c *Call) (any, error) {
	var req struct {
		IDs []string `json:"ids"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.IDs) == 0 {
		return nil, missing("ids")
	}
	n, err := a.svc.SSO.Delete(c.Context(), req.IDs)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}

func (a *API) ssoSPMetadata(c *Call) (any, error) {
	var req struct {
		ID string `json:"id"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, missing("id")
	}
	if _, err := a.svc.SSO.Connection(c.Context(), req.ID); err != nil {
		return nil, err
	}
	doc, err := a.svc.SSO.SPMetadata(c.Context(), req.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"metadata": string(doc), "url": a.svc.SSO.MetadataURL(req.ID)}, nil
}

func (a *API) ssoWellKnown(c *Call) (any, error) {
	var req struct {
		URL          string `json:"url"`
		WellKnownURL string `json:"well_known_url"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	u := first(req.WellKnownURL, req.URL)
	if u == "" {
		return nil, missing("well_known_url")
	}
	d, err := a.svc.SSO.Discover(c.Context(), u)
	if err != nil {
		return nil, err
	}
	return discoveryOut(d), nil
}

func discoveryOut(d oidcrp.Discovery) map[string]string {
	return map[string]string{"issuer": d.Issuer,
		"authorization_endpoint": d.AuthorizationEndpoint, "token_endpoint": d.TokenEndpoint,
		"userinfo_endpoint": d.UserinfoEndpoint, "revocation_endpoint": d.RevocationEndpoint,
		"end_session_endpoint": d.EndSessionEndpoint, "jwks_uri": d.JWKSURI}
}
