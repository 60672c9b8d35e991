package api

import "atrium/internal/identity"

func (a *API) permissionEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "permissions.get_user_groups", Handle: a.getUserGroups},
		{Name: "permissions.add_or_update_user_group", Handle: a.saveUserGroup},
		{Name: "permissions.delete_user_groups", Handle: a.deleteUserGroups},
		{Name: "permissions.set_user_groups_order", Handle: a.setUserGroupsOrder},
	}
}

type groupJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Users       []string `json:"users"`
	System      bool     `json:"system"`
	Assignable  bool     `json:"assignable"`
}

func groupOut(g identity.GroupView) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, Description: g.Description, Users: g.Members,
		System: g.System, Assignable: g.Assignable}
}

func (a *API) getUserGroups(c *Call) (any, error) {
	var req struct {
		Groups []string `json:"groups"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	views, err := a.svc.Identity.Groups(c.Context())
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range req.Groups {
		want[id] = true
	}
	out := []groupJSON{}
	for _, g := range views {
		if len(want) == 0 || want[g.ID] {
			out = append(out, groupOut(g))
		}
	}
	return map[string]any{"groups": out}, nil
}

func (a *API) saveUserGroup(c *Call) (any, error) {
	var req struct {
		ID          string    `json:"id"`
		Name        *string   `json:"name"`
		Description *string   `json:"description"`
		Users       *[]string `json:"users"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.ID == "" && req.Name == nil {
		return nil, missing("name")
	}
	g, err := a.svc.Identity.SaveGroup(c.Context(), identity.GroupInput{ID: req.ID,
		Name: req.Name, Description: req.Description, Members: req.Users})
	if err != nil {
		return nil, err
	}
	return groupOut(g), nil
}

func (a *API) deleteUserGroups(c *Call) (any, error) {
	var req struct {
		Groups []string `json:"groups"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.Groups) == 0 {
		return nil, missing("groups")
	}
	n, err := a.svc.Identity.DeleteGroups(c.Context(), req.Groups)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}

// setUserGroupsOrder is Atrium's: the admin-set order of groups, which decides the
// precedence of group vaults (later groups win).
func (a *API) setUserGroupsOrder(c *Call) (any, error) {
	var req struct {
		Groups []string `json:"groups"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.Groups) == 0 {
		return nil, missing("groups")
	}
	if err := a.svc.Identity.SetGroupOrder(c.Context(), req.Groups); err != nil {
		return nil, err
	}
	return map[string]any{"updated": len(req.Groups)}, nil
}
