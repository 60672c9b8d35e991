package api

import (
	"atrium/internal/access"
)

func (a *API) accessEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "permissions.get_access_rules", Handle: a.getAccessRules},
		{Name: "permissions.add_or_update_access_rule", Handle: a.saveAccessRule},
		{Name: "permissions.delete_access_rules", Handle: a.deleteAccessRules},
		{Name: "permissions.get_entity_access_categories", Handle: a.getAccessCategories},
		{Name: "permissions.restore_default_access_rules", Handle: a.restoreDefaultRules},
		{Name: "permissions.explain_access", Handle: a.explainAccess},
	}
}

type ruleJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	EntityType  string   `json:"entity_type"`
	EntityID    string   `json:"entity_id"`
	Permission  string   `json:"access_permission"`
	Users       []string `json:"users"`
	Groups      []string `json:"groups"`
	Autocreated bool     `json:"autocreated"`
	Created     Time     `json:"created"`
	LastUpdate  Time     `json:"last_update"`
	Dangling    []string `json:"dangling,omitempty"`
}

func ruleOut(r access.Rule, dangling []string) ruleJSON {
	return ruleJSON{ID: r.ID, Name: r.Name, Description: r.Description,
		EntityType: string(r.EntityType), EntityID: r.EntityID, Permission: r.Permission.String(),
		Users: r.Users, Groups: r.Groups, Autocreated: r.Autocreated, Created: Time(r.CreatedAt),
		LastUpdate: Time(r.UpdatedAt), Dangling: dangling}
}

func (a *API) getAccessRules(c *Call) (any, error) {
	var req struct {
		EntityType string `json:"entity_type"`
		Entity     string `json:"entity"`
		EntityID   string `json:"entity_id"`
		User       string `json:"user"`
		Group      string `json:"group"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	list, err := a.svc.Access.Rules(c.Context(), access.Filter{
		EntityType: access.EntityType(req.EntityType), EntityID: first(req.Entity, req.EntityID),
		User: req.User, Group: req.Group})
	if err != nil {
		return nil, err
	}
	out := make([]ruleJSON, len(list))
	for i, v := range list {
		out[i] = ruleOut(v.Rule, v.Dangling)
	}
	return map[string]any{"rules": out}, nil
}

func (a *API) saveAccessRule(c *Call) (any, error) {
	var req struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Description string   `json:"description"`
		EntityType  string   `json:"entity_type"`
		EntityID    string   `json:"entity_id"`
		Permission  string   `json:"access_permission"`
		Users       []string `json:"users"`
		Groups      []string `json:"groups"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Name == "" || req.EntityType == "" || req.Permission == "" {
		return nil, missing("name", "entity_type", "access_permission")
	}
	r, err := a.svc.Access.Save(c.Context(), access.Input{ID: req.ID, Name: req.Name,
		Description: req.Description, EntityType: req.EntityType, EntityID: req.EntityID,
		Permission: req.Permission, Users: req.Users, Groups: req.Groups})
	if err != nil {
		return nil, err
	}
	return map[string]any{"id": r.ID}, nil
}

func (a *API) deleteAccessRules(c *Call) (any, error) {
	var req struct {
		Rules []string `json:"rules"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.Rules) == 0 {
		return nil, missing("rules")
	}
	n, err := a.svc.Access.Delete(c.Context(), req.Rules)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}

func (a *API) getAccessCategories(c *Call) (any, error) {
	types := make([]map[string]any, len(access.EntityTypes))
	for i, t := range access.EntityTypes {
		types[i] = map[string]any{"entity_type": t,
			"permissions": []string{"read", "read_write"}}
	}
	return map[string]any{"categories": types}, nil
}

func (a *API) restoreDefaultRules(c *Call) (any, error) {
	n, err := a.svc.Access.RestoreDefaults(c.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"restored": n}, nil
}

// explainAccess is Atrium's: every grant that gives a user access to one object.
func (a *API) explainAccess(c *Call) (any, error) {
	var req struct {
		User       string `json:"user"`
		EntityType string `json:"entity_type"`
		EntityID   string `json:"entity_id"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.User == "" || req.EntityType == "" || req.EntityID == "" {
		return nil, missing("user", "entity_type", "entity_id")
	}
	grants, err := a.svc.Access.ExplainFor(c.Context(), req.User, access.EntityType(req.EntityType),
		req.EntityID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(grants))
	best := access.None
	for i, g := range grants {
		out[i] = map[string]any{"permission": g.Permission.String(), "reason": g.Reason}
		if g.Rule != nil {
			out[i]["rule"] = ruleOut(*g.Rule, nil)
		}
		best = max(best, g.Permission)
	}
	return map[string]any{"grants": out, "permission": best.String()}, nil
}
