package api

import (
	"context"
	"net/http"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/webauth"
)

func (a *API) authEndpoints() []*Endpoint {
	admins := []identity.Role{identity.RoleSystem, identity.RoleAdmin}
	return []*Endpoint{
		{Name: "auth.login", Handle: a.login},
		{Name: "auth.logout", Handle: a.logout},
		{Name: "auth.create_credentials", Handle: a.createCredentials},
		{Name: "auth.get_credentials", Handle: a.getCredentials},
		{Name: "auth.edit_credentials", Handle: a.editCredentials},
		{Name: "auth.revoke_credentials", Handle: a.revokeCredentials},
		{Name: "auth.rotate_credentials", Handle: a.rotateCredentials},
		{Name: "auth.validate_token", Roles: admins, Handle: a.validateToken},
		{Name: "auth.sign_out_everywhere", Handle: a.signOutEverywhere},
	}
}

// login issues a token for whoever the call authenticated as: Basic credentials, a
// password, or an existing token (refresh). It also sets the session cookie.
func (a *API) login(c *Call) (any, error) {
	var req struct {
		ExpirationSec *int64 `json:"expiration_sec"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	var tok credential.Token
	var err error
	if c.Claims != nil {
		tok, err = a.svc.Credentials.Renew(c.Principal, *c.Claims, req.ExpirationSec)
	} else {
		tok, err = a.svc.Credentials.Login(c.Principal, req.ExpirationSec)
	}
	if err != nil {
		return nil, err
	}
	c.SetCookie(a.sessionCookie(tok.Raw, tok.Claims))
	return map[string]any{"token": tok.Raw}, nil
}

func (a *API) sessionCookie(raw string, claims credential.Claims) *http.Cookie {
	var expires time.Time
	if claims.ExpiresAt != nil {
		expires = claims.ExpiresAt.Time
	}
	return webauth.Cookie(raw, expires, a.opts.SecureCookies)
}

func (a *API) clearCookie(c *Call) {
	c.SetCookie(webauth.ClearCookie(a.opts.SecureCookies))
}

// logout revokes the caller's token session and clears the cookie.
func (a *API) logout(c *Call) (any, error) {
	if c.Claims != nil {
		if err := a.svc.Credentials.Logout(c.Context(), *c.Claims); err != nil {
			return nil, err
		}
	}
	a.clearCookie(c)
	if ck, err := c.R.Cookie(webauth.IdPCookieName); err == nil && ck.Value != "" {
		c.SetCookie(webauth.ClearIdPCookie(a.opts.SecureCookies))
		if u := a.svc.SSO.ProviderLogout(c.Context(), ck.Value); u != "" {
			return map[string]any{"redirect_url": u}, nil
		}
	}
	return map[string]any{}, nil
}

type credentialJSON struct {
	AccessKey    string `json:"access_key"`
	SecretKey    string `json:"secret_key,omitempty"`
	Label        string `json:"label,omitempty"`
	Created      *Time  `json:"created,omitempty"`
	Expires      *Time  `json:"expires,omitempty"`
	LastUsed     *Time  `json:"last_used,omitempty"`
	LastUsedFrom string `json:"last_used_from,omitempty"`
	SuccessorOf  string `json:"successor_of,omitempty"`
}

func credentialOut(v credential.View) credentialJSON {
	return credentialJSON{AccessKey: v.AccessKey, Label: v.Label, Created: timePtr(v.CreatedAt),
		Expires: timePtr(v.ExpiresAt), LastUsed: timePtr(v.LastUsedAt),
		LastUsedFrom: v.LastUsedFrom, SuccessorOf: v.SuccessorOf}
}

// createCredentials makes a pair for the caller or, when an admin names a service
// account in "user" (Atrium's addition), for that service account.
func (a *API) createCredentials(c *Call) (any, error) {
	var req struct {
		Label         string `json:"label"`
		ExpirationSec *int64 `json:"expiration_sec"`
		User          string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	var created credential.Created
	var err error
	if req.User != "" {
		created, err = a.svc.Credentials.CreateFor(c.Context(), req.User, req.Label,
			req.ExpirationSec)
	} else {
		created, err = a.svc.Credentials.Create(c.Context(), req.Label, req.ExpirationSec)
	}
	if err != nil {
		return nil, err
	}
	out := credentialOut(created.View)
	out.SecretKey = created.SecretKey
	return map[string]any{"credentials": out}, nil
}

func (a *API) getCredentials(c *Call) (any, error) {
	var req struct {
		User string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	var list []credential.View
	var err error
	if req.User != "" {
		list, err = a.svc.Credentials.ListFor(c.Context(), req.User)
	} else {
		list, err = a.svc.Credentials.List(c.Context())
	}
	if err != nil {
		return nil, err
	}
	out := make([]credentialJSON, len(list))
	for i, v := range list {
		out[i] = credentialOut(v)
	}
	return map[string]any{"credentials": out, "additional_credentials": map[string]any{},
		"max_credentials": a.svc.Credentials.MaxPerUser()}, nil
}

func (a *API) editCredentials(c *Call) (any, error) {
	var req struct {
		AccessKey string  `json:"access_key"`
		Label     *string `json:"label"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.AccessKey == "" {
		return nil, missing("access_key")
	}
	label := ""
	if req.Label != nil {
		label = *req.Label
	}
	changed, err := a.svc.Credentials.EditLabel(c.Context(), req.AccessKey, label)
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(changed)}, nil
}

func (a *API) revokeCredentials(c *Call) (any, error) {
	var req struct {
		AccessKey string `json:"access_key"`
		User      string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.AccessKey == "" {
		return nil, missing("access_key")
	}
	revoke := a.svc.Credentials.Revoke
	if req.User != "" {
		revoke = func(ctx context.Context, key string) error {
			return a.svc.Credentials.RevokeFor(ctx, req.User, key)
		}
	}
	if err := revoke(c.Context(), req.AccessKey); err != nil {
		return nil, err
	}
	return map[string]any{"revoked": 1}, nil
}

// rotateCredentials is Atrium's own: a successor pair, and the old one expires after
// grace_period_sec (default one day).
func (a *API) rotateCredentials(c *Call) (any, error) {
	var req struct {
		AccessKey      string `json:"access_key"`
		GracePeriodSec *int64 `json:"grace_period_sec"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.AccessKey == "" {
		return nil, missing("access_key")
	}
	grace := 24 * time.Hour
	if req.GracePeriodSec != nil {
		if *req.GracePeriodSec < 0 || *req.GracePeriodSec > 90*86400 {
			return nil, apperr.Invalidf("Validation error (grace_period_sec must be between 0 and "+
				"7776000)").WithSub(400, 12)
		}
		grace = time.Duration(*req.GracePeriodSec) * time.Second
	}
	created, err := a.svc.Credentials.Rotate(c.Context(), req.AccessKey, grace)
	if err != nil {
		return nil, err
	}
	out := credentialOut(created.View)
	out.SecretKey = created.SecretKey
	return map[string]any{"credentials": out, "previous": req.AccessKey}, nil
}

func (a *API) validateToken(c *Call) (any, error) {
	var req struct {
		Token string `json:"token"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Token == "" {
		return nil, missing("token")
	}
	p, err := a.svc.Credentials.Validate(c.Context(), req.Token)
	if err != nil {
		msg := err.Error()
		if e := apperr.As(err); e != nil {
			msg = e.Msg
		}
		return map[string]any{"valid": false, "msg": msg}, nil
	}
	return map[string]any{"valid": true, "user": p.UserID, "company": p.WorkspaceID}, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// signOutEverywhere is Atrium's: every token and web session of the caller issued before now
// stops working; the answer carries a fresh token and cookie for the caller's client.
func (a *API) signOutEverywhere(c *Call) (any, error) {
	if err := a.svc.Identity.SignOutEverywhere(c.Context()); err != nil {
		return nil, err
	}
	p, err := a.svc.Identity.Principal(c.Context(), c.Principal.WorkspaceID, c.Principal.UserID)
	if err != nil {
		return nil, err
	}
	tok, err := a.svc.Credentials.Login(p, nil)
	if err != nil {
		return nil, err
	}
	c.SetCookie(a.sessionCookie(tok.Raw, tok.Claims))
	return map[string]any{"token": tok.Raw}, nil
}
