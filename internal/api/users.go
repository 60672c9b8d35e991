package api

import (
	"encoding/json"
	"regexp"
	"strings"

	"atrium/internal/apperr"
	"atrium/internal/identity"
)

func (a *API) userEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "users.get_current_user", Handle: a.getCurrentUser},
		{Name: "users.get_by_id", Handle: a.getUserByID},
		{Name: "users.get_all", Handle: a.getAllUsers},
		{Name: "users.update", Handle: a.updateUser},
		{Name: "users.get_preferences", Handle: a.getPreferences},
		{Name: "users.set_preferences", Handle: a.setPreferences},
	}
}

// userJSON is the backend user record ClearML returns.
type userJSON struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	GivenName        string `json:"given_name"`
	FamilyName       string `json:"family_name"`
	Avatar           string `json:"avatar,omitempty"`
	Email            string `json:"email,omitempty"`
	Company          any    `json:"company"`
	Role             string `json:"role,omitempty"`
	Created          *Time  `json:"created,omitempty"`
	CreatedInVersion string `json:"created_in_version,omitempty"`
}

// userFor renders a user for the caller: e-mail and role only for admins and oneself.
func userFor(p identity.Principal, u identity.User) userJSON {
	out := userOut(u)
	if !p.IsAdmin() && p.UserID != u.ID {
		out.Email, out.Role = "", ""
	}
	return out
}

func userOut(u identity.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName,
		Avatar: u.Avatar, Email: u.Email, Company: u.WorkspaceID, Role: string(u.Role),
		Created: timePtr(u.CreatedAt), CreatedInVersion: u.CreatedInVersion}
}

// currentUserJSON is the users.get_current_user payload (the >= 2.31 shape).
type currentUserJSON struct {
	User           userJSON       `json:"user"`
	GettingStarted gettingStarted `json:"getting_started"`
	Settings       struct {
		MaxDownloadItems int `json:"max_download_items"`
	} `json:"settings"`
}

type companyJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type gettingStarted struct {
	AgentName   string `json:"agentName"`
	Configure   string `json:"configure"`
	Install     string `json:"install"`
	PackageName string `json:"packageName"`
}

func (a *API) getCurrentUser(c *Call) (any, error) {
	u, err := a.svc.Identity.Me(c.Context())
	if err != nil {
		return nil, err
	}
	out := currentUserJSON{User: userOut(u), GettingStarted: gettingStarted{
		AgentName: "clearml", Configure: "clearml-init", Install: "pip install clearml",
		PackageName: "clearml"}}
	out.User.Company = companyJSON{ID: c.Principal.WorkspaceID, Name: c.Principal.WorkspaceName}
	out.User.Role = string(c.Principal.Role)
	out.Settings.MaxDownloadItems = 1000
	return &out, nil
}

func (a *API) getUserByID(c *Call) (any, error) {
	var req struct {
		User string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" {
		return nil, missing("user")
	}
	u, err := a.svc.Identity.User(c.Context(), req.User)
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": userFor(c.Principal, u)}, nil
}

const maxPageSize = 500

func (a *API) getAllUsers(c *Call) (any, error) {
	var req struct {
		Name       string   `json:"name"`
		ID         []string `json:"id"`
		OnlyFields []string `json:"only_fields"`
		Page       *int     `json:"page"`
		PageSize   *int     `json:"page_size"`
		OrderBy    []string `json:"order_by"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	f := identity.UserFilter{IDs: req.ID}
	if len(req.OrderBy) > 0 {
		f.OrderBy = req.OrderBy[0]
	}
	page, size, err := paging(req.Page, req.PageSize)
	if err != nil {
		return nil, err
	}
	var pattern *regexp.Regexp
	if req.Name != "" {
		if pattern, err = regexp.Compile(req.Name); err != nil {
			return nil, apperr.Invalidf("Validation error (name is not a valid regular expression)").
				WithSub(400, 12)
		}
	} else if size > 0 {
		f.Limit, f.Offset = size, page*size
	}
	users, err := a.svc.Identity.Users(c.Context(), f)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(users))
	for _, u := range users {
		if pattern != nil && !pattern.MatchString(u.Name) {
			continue
		}
		out = append(out, userFor(c.Principal, u))
	}
	if pattern != nil && size > 0 {
		out = pageSlice(out, page, size)
	}
	if len(req.OnlyFields) > 0 {
		for i, u := range out {
			out[i] = onlyFields(u, req.OnlyFields)
		}
	}
	return map[string]any{"users": out}, nil
}

// paging validates ClearML's page and page_size; size 0 means "everything".
func paging(page, size *int) (int, int, error) {
	p, s := 0, 0
	if page != nil {
		p = *page
	}
	if size != nil {
		s = *size
	}
	if p < 0 || s < 0 || s > maxPageSize || (page != nil && size == nil) {
		return 0, 0, apperr.Invalidf("Validation error (page must be >= 0 and page_size between "+
			"1 and %d, given together)", maxPageSize).WithSub(400, 12)
	}
	return p, s, nil
}

func pageSlice(items []any, page, size int) []any {
	start := page * size
	if start >= len(items) {
		return []any{}
	}
	return items[start:min(start+size, len(items))]
}

// onlyFields keeps the listed fields of v (a struct rendered as JSON); "a.b" keeps a nested
// field. "id" is always kept.
func onlyFields(v any, fields []string) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return v
	}
	out := map[string]any{"id": m["id"]}
	for _, f := range fields {
		copyPath(out, m, strings.Split(f, "."))
	}
	return out
}

func copyPath(dst, src map[string]any, path []string) {
	v, ok := src[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		dst[path[0]] = v
		return
	}
	sub, ok := v.(map[string]any)
	if !ok {
		return
	}
	next, ok := dst[path[0]].(map[string]any)
	if !ok {
		next = map[string]any{}
		dst[path[0]] = next
	}
	copyPath(next, sub, path[1:])
}

func (a *API) updateUser(c *Call) (any, error) {
	var req struct {
		User       string  `json:"user"`
		Name       *string `json:"name"`
		GivenName  *string `json:"given_name"`
		FamilyName *string `json:"family_name"`
		Avatar     *string `json:"avatar"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" {
		return nil, missing("user")
	}
	changed, err := a.svc.Identity.UpdateProfile(c.Context(), req.User, identity.Profile{
		Name: req.Name, GivenName: req.GivenName, FamilyName: req.FamilyName, Avatar: req.Avatar})
	if err != nil {
		return nil, err
	}
	return map[string]any{"updated": boolInt(len(changed) > 0), "fields": changed}, nil
}

func (a *API) getPreferences(c *Call) (any, error) {
	prefs, err := a.svc.Identity.Preferences(c.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"preferences": prefs}, nil
}

func (a *API) setPreferences(c *Call) (any, error) {
	var req struct {
		Preferences   map[string]json.RawMessage `json:"preferences"`
		ReturnUpdated *bool                      `json:"return_updated"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Preferences == nil {
		return nil, missing("preferences")
	}
	update, err := decodePreferenceValues(req.Preferences)
	if err != nil {
		return nil, err
	}
	changed, doc, err := a.svc.Identity.SetPreferences(c.Context(), update)
	if err != nil {
		return nil, err
	}
	fields := map[string]any{}
	if changed && (req.ReturnUpdated == nil || *req.ReturnUpdated) {
		fields["preferences"] = doc
	}
	return map[string]any{"updated": boolInt(changed), "fields": fields}, nil
}

// decodePreferenceValues keeps numbers exact (json.Number) so stored documents round-trip.
func decodePreferenceValues(raw map[string]json.RawMessage) (map[string]any, error) {
	out := make(map[string]any, len(raw))
	for k, v := range raw {
		m, err := decodeObject([]byte(`{"v":` + string(v) + `}`))
		if err != nil {
			return nil, err
		}
		out[k] = m["v"]
	}
	return out, nil
}
