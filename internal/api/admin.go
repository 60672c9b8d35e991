package api

import (
	"time"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

func (a *API) adminEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "users.get_all_ex", Handle: a.getAllUsersEx},
		{Name: "users.set_role", Handle: a.setRole},
		{Name: "users.deactivate", Handle: a.deactivateUser},
		{Name: "users.reactivate", Handle: a.reactivateUser},
		{Name: "users.delete", Handle: a.deleteUser},
		{Name: "auth.create_user", Handle: a.createUser},
		{Name: "auth.edit_user", Handle: a.editUser},
		{Name: "auth.delete_user", Handle: a.deleteUser},
		{Name: "users.invite", Handle: a.inviteUsers},
		{Name: "users.get_invitations", Handle: a.getInvitations},
		{Name: "users.resend_invitation", Handle: a.resendInvitation},
		{Name: "users.cancel_invitation", Handle: a.cancelInvitation},
		{Name: "login.get_settings", Handle: a.getLoginSettings},
		{Name: "login.set_domains", Handle: a.setDomains},
		{Name: "login.set_settings", Handle: a.setLoginSettings},
		{Name: "users.get_service_users", Handle: a.getServiceUsers},
		{Name: "auth.create_service_user", Handle: a.createServiceUser},
		{Name: "users.update_service_user", Handle: a.updateServiceUser},
		{Name: "users.delete_service_user", Handle: a.deleteUser},
	}
}

// userExJSON is a users table row: the user, their groups and activity.
type userExJSON struct {
	userJSON
	Status          string   `json:"status"`
	Groups          []string `json:"groups"`
	ServiceAccount  bool     `json:"service_account"`
	LastLogin       *Time    `json:"last_login,omitempty"`
	LastLoginMethod string   `json:"last_login_method,omitempty"`
	LastUIActivity  *Time    `json:"last_ui_activity,omitempty"`
	LastAPIUse      *Time    `json:"last_api_use,omitempty"`
	Credentials     int      `json:"credentials"`
	AllowRunAsOwner bool     `json:"allow_running_as_owner,omitempty"`
}

func userExOut(r identity.UserRow, company companyJSON) userExJSON {
	u := userOut(r.User)
	u.Company = company
	return userExJSON{userJSON: u, Status: string(r.Status), Groups: r.Groups,
		ServiceAccount: r.Kind == identity.KindService, LastLogin: timePtr(r.LastLoginAt),
		LastLoginMethod: r.LastLoginMethod, LastUIActivity: timePtr(r.LastUIAt),
		LastAPIUse: timePtr(r.LastCredentials), Credentials: r.Credentials,
		AllowRunAsOwner: r.AllowImpersonation}
}

// getAllUsersEx lists users with activity for admins (search, status, paging, total); other
// callers get the plain listing with the company expanded.
func (a *API) getAllUsersEx(c *Call) (any, error) {
	if !c.Principal.IsAdmin() {
		data, err := a.getAllUsers(c)
		if err != nil {
			return nil, err
		}
		return data, nil
	}
	var req struct {
		Name           string   `json:"name"`
		Search         string   `json:"search"`
		ID             []string `json:"id"`
		Status         []string `json:"status"`
		ServiceAccount *bool    `json:"service_account"`
		OnlyFields     []string `json:"only_fields"`
		Page           *int     `json:"page"`
		PageSize       *int     `json:"page_size"`
		OrderBy        []string `json:"order_by"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	page, size, err := paging(req.Page, req.PageSize)
	if err != nil {
		return nil, err
	}
	q := identity.UserQuery{Search: req.Search, IDs: req.ID, Page: page, PageSize: size,
		Kind: identity.KindPerson}
	if q.Search == "" {
		q.Search = req.Name
	}
	if req.ServiceAccount != nil && *req.ServiceAccount {
		q.Kind = identity.KindService
	}
	if len(req.OrderBy) > 0 {
		q.OrderBy = req.OrderBy[0]
	}
	for _, st := range req.Status {
		q.Statuses = append(q.Statuses, identity.Status(st))
	}
	res, err := a.svc.Identity.UsersEx(c.Context(), q)
	if err != nil {
		return nil, err
	}
	company := companyJSON{ID: c.Principal.WorkspaceID, Name: c.Principal.WorkspaceName}
	out := make([]any, len(res.Users))
	for i, r := range res.Users {
		out[i] = userExOut(r, company)
		if len(req.OnlyFields) > 0 {
			out[i] = onlyFields(out[i], req.OnlyFields)
		}
	}
	return map[string]any{"users": out, "total": res.Total}, nil
}

type userRef struct {
	User string `json:"user"`
}

func decodeUser(c *Call) (string, error) {
	var req userRef
	if err := c.Decode(&req); err != nil {
		return "", err
	}
	if req.User == "" {
		return "", missing("user")
	}
	return req.User, nil
}

func (a *API) setRole(c *Call) (any, error) {
	var req struct {
		User string `json:"user"`
		Role string `json:"role"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" || req.Role == "" {
		return nil, missing("user", "role")
	}
	if err := a.svc.Identity.SetRole(c.Context(), req.User, identity.Role(req.Role)); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "fields": map[string]any{"role": req.Role}}, nil
}

func (a *API) deactivateUser(c *Call) (any, error) {
	id, err := decodeUser(c)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Identity.Deactivate(c.Context(), id); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}

func (a *API) reactivateUser(c *Call) (any, error) {
	id, err := decodeUser(c)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Identity.Reactivate(c.Context(), id); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}

func (a *API) deleteUser(c *Call) (any, error) {
	id, err := decodeUser(c)
	if err != nil {
		return nil, err
	}
	if err := a.svc.Identity.Remove(c.Context(), id); err != nil {
		return nil, err
	}
	return map[string]any{"deleted": 1}, nil
}

// createUser is ClearML's auth.create_user: an active person, created directly.
func (a *API) createUser(c *Call) (any, error) {
	var req struct {
		Name       string `json:"name"`
		Company    string `json:"company"`
		Email      string `json:"email"`
		Role       string `json:"role"`
		GivenName  string `json:"given_name"`
		FamilyName string `json:"family_name"`
		Password   string `json:"password"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" || req.Email == "" {
		return nil, missing("name", "email")
	}
	if req.Company != "" && req.Company != c.Principal.WorkspaceID {
		return nil, apperr.Invalidf("Validation error (company must be the caller's own: %s)",
			c.Principal.WorkspaceID).WithSub(400, 12)
	}
	u, err := a.svc.Identity.AddUser(c.Context(), req.Email, req.Name, identity.Role(req.Role),
		req.Password)
	if err != nil {
		return nil, err
	}
	if req.GivenName != "" || req.FamilyName != "" {
		_, err := a.svc.Identity.UpdateProfile(c.Context(), u.ID, identity.Profile{
			GivenName: &req.GivenName, FamilyName: &req.FamilyName})
		if err != nil {
			return nil, err
		}
	}
	return map[string]any{"id": u.ID}, nil
}

// editUser is ClearML's auth.edit_user: a role change.
func (a *API) editUser(c *Call) (any, error) {
	var req struct {
		User string `json:"user"`
		Role string `json:"role"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" {
		return nil, missing("user")
	}
	if req.Role == "" {
		return map[string]any{"updated": 0, "fields": map[string]any{}}, nil
	}
	if err := a.svc.Identity.SetRole(c.Context(), req.User, identity.Role(req.Role)); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1, "fields": map[string]any{"role": req.Role}}, nil
}

type inviteJSON struct {
	ID    string `json:"id"`
	User  string `json:"user"`
	Email string `json:"email"`
	Sent  bool   `json:"sent"`
	Link  string `json:"link,omitempty"`
	Error string `json:"error,omitempty"`
}

func inviteOut(r identity.InviteResult) inviteJSON {
	out := inviteJSON{ID: r.InvitationID, User: r.UserID, Email: r.Email, Sent: r.Sent,
		Error: r.SendError}
	if !r.Sent {
		out.Link = r.Link // no e-mail went out: the admin passes the link on
	}
	return out
}

func (a *API) inviteUsers(c *Call) (any, error) {
	var req struct {
		Emails []string `json:"emails"`
		Email  string   `json:"email"`
		Role   string   `json:"role"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Email != "" {
		req.Emails = append(req.Emails, req.Email)
	}
	if len(req.Emails) == 0 {
		return nil, missing("emails")
	}
	results, err := a.svc.Identity.Invite(c.Context(), req.Emails, identity.Role(req.Role))
	if err != nil {
		return nil, err
	}
	out := make([]inviteJSON, len(results))
	for i, r := range results {
		out[i] = inviteOut(r)
	}
	return map[string]any{"invitations": out}, nil
}

func (a *API) getInvitations(c *Call) (any, error) {
	list, err := a.svc.Identity.Invitations(c.Context())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]map[string]any, len(list))
	for i, inv := range list {
		out[i] = map[string]any{"id": inv.ID, "user": inv.UserID, "email": inv.Email,
			"role": inv.Role, "invited_by": inv.InvitedBy, "created": Time(inv.CreatedAt),
			"expires": Time(inv.ExpiresAt), "expired": !now.Before(inv.ExpiresAt)}
	}
	return map[string]any{"invitations": out}, nil
}

type idRef struct {
	ID string `json:"id"`
}

func (a *API) resendInvitation(c *Call) (any, error) {
	var req idRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, missing("id")
	}
	r, err := a.svc.Identity.ResendInvitation(c.Context(), req.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"invitation": inviteOut(r)}, nil
}

func (a *API) cancelInvitation(c *Call) (any, error) {
	var req idRef
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ID == "" {
		return nil, missing("id")
	}
	if err := a.svc.Identity.CancelInvitation(c.Context(), req.ID); err != nil {
		return nil, err
	}
	return map[string]any{"deleted": 1}, nil
}

func (a *API) getLoginSettings(c *Call) (any, error) {
	if !c.Principal.IsAdmin() {
		return nil, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, "+
			"allowed=(admin, system)", c.Principal.Role).WithSub(403, 20)
	}
	domains, err := a.svc.Identity.AllowedDomains(c.Context())
	if err != nil {
		return nil, err
	}
	forced, err := a.svc.Identity.ScriptsBlockedByAdmin(c.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"allowed_domains": domains, "force_block_user_scripts": forced}, nil
}

// setLoginSettings is Atrium's: workspace switches an admin sets for everyone.
func (a *API) setLoginSettings(c *Call) (any, error) {
	var req struct {
		ForceBlockUserScripts *bool `json:"force_block_user_scripts"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ForceBlockUserScripts == nil {
		return nil, missing("force_block_user_scripts")
	}
	if err := a.svc.Identity.SetScriptsBlockedByAdmin(c.Context(),
		*req.ForceBlockUserScripts); err != nil {
		return nil, err
	}
	return map[string]any{"force_block_user_scripts": *req.ForceBlockUserScripts}, nil
}

func (a *API) setDomains(c *Call) (any, error) {
	var req struct {
		Domains []string `json:"domains"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Domains == nil {
		return nil, missing("domains")
	}
	domains, err := a.svc.Identity.SetAllowedDomains(c.Context(), req.Domains)
	if err != nil {
		return nil, err
	}
	return map[string]any{"allowed_domains": domains}, nil
}

func (a *API) getServiceUsers(c *Call) (any, error) {
	rows, err := a.svc.Identity.ServiceAccounts(c.Context())
	if err != nil {
		return nil, err
	}
	company := companyJSON{ID: c.Principal.WorkspaceID, Name: c.Principal.WorkspaceName}
	out := make([]userExJSON, len(rows))
	for i, r := range rows {
		out[i] = userExOut(r, company)
	}
	return map[string]any{"service_users": out}, nil
}

type serviceUserRequest struct {
	User                string    `json:"user"`
	Name                *string   `json:"name"`
	AllowRunningAsOwner *bool     `json:"allow_running_as_owner"`
	Admin               *bool     `json:"admin"`
	Groups              *[]string `json:"groups"`
}

func (r serviceUserRequest) input() identity.ServiceAccountInput {
	return identity.ServiceAccountInput{Name: r.Name, AllowImpersonation: r.AllowRunningAsOwner,
		Admin: r.Admin, Groups: r.Groups}
}

func (a *API) createServiceUser(c *Call) (any, error) {
	var req serviceUserRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Name == nil {
		return nil, missing("name")
	}
	u, err := a.svc.Identity.CreateServiceAccount(c.Context(), req.input())
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": u.ID, "name": u.Name}, nil
}

func (a *API) updateServiceUser(c *Call) (any, error) {
	var req serviceUserRequest
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" {
		return nil, missing("user")
	}
	if _, err := a.svc.Identity.UpdateServiceAccount(c.Context(), req.User, req.input()); err != nil {
		return nil, err
	}
	return map[string]any{"updated": 1}, nil
}
