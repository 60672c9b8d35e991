package api

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"atrium/internal/identity"
	"atrium/internal/vault"
)

func (a *API) vaultEndpoints() []*Endpoint {
	return []*Endpoint{
		{Name: "users.get_vaults", Handle: a.getVaults},
		{Name: "users.add_or_update_vault", Handle: a.saveVault},
		{Name: "users.delete_vaults", Handle: a.deleteVaults},
		{Name: "users.get_organization_vaults", Handle: a.getOrganizationVaults},
		{Name: "users.get_vault_operations_log", Handle: a.getVaultOperations},
		{Name: "users.get_vault_operations_log_filters", Handle: a.getVaultOperationFilters},
		{Name: "users.get_vault_versions", Handle: a.getVaultVersions},
		{Name: "users.diff_vault_versions", Handle: a.diffVaultVersions},
		{Name: "users.restore_vault_version", Handle: a.restoreVaultVersion},
		{Name: "users.get_effective_config", Handle: a.getEffectiveConfig},
	}
}

// vaultJSON is a vault as users.get_vaults returns it; clients read id, scope,
// description and data.
type vaultJSON struct {
	ID          string `json:"id"`
	Scope       string `json:"scope"`
	Type        string `json:"type"`
	Format      string `json:"format"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	Data        string `json:"data"`
	Group       string `json:"group,omitempty"`
	GroupName   string `json:"group_name,omitempty"`
	User        string `json:"user,omitempty"`
	Version     int    `json:"version"`
	LastUpdate  Time   `json:"last_update"`
	UpdatedBy   string `json:"updated_by,omitempty"`
}

func vaultOut(d vault.Delivered) vaultJSON {
	return vaultJSON{ID: d.ID, Scope: string(d.Scope), Type: string(d.Type),
		Format: string(d.Format), Description: d.Description, Enabled: d.Enabled,
		Data: d.Deliver, Group: d.GroupID, GroupName: d.GroupName, User: d.UserID,
		Version: d.Version, LastUpdate: Time(d.UpdatedAt), UpdatedBy: d.UpdatedBy}
}

// vaultCache keeps each delivered vault's encoded JSON by id and version, and each caller's
// last users.get_vaults answer with the snapshot revision it came from, so serving the same
// vaults to every SDK session costs a lookup, not an encode.
type vaultCache struct {
	m         sync.Map
	mu        sync.Mutex
	responses map[string]cachedVaults // by user id
}

type cachedVaults struct {
	revision uint64
	key      string // role, groups and query the answer was built for
	body     json.RawMessage
}

const maxCachedVaultAnswers = 10_000

func (vc *vaultCache) answer(userID, key string, revision uint64) (json.RawMessage, bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	c, ok := vc.responses[userID]
	if !ok || c.revision != revision || c.key != key {
		return nil, false
	}
	return c.body, true
}

func (vc *vaultCache) remember(userID, key string, revision uint64, body json.RawMessage) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.responses == nil || len(vc.responses) >= maxCachedVaultAnswers {
		vc.responses = map[string]cachedVaults{}
	}
	vc.responses[userID] = cachedVaults{revision: revision, key: key, body: body}
}

// answerKey names what a caller's vault answer depends on besides the revision.
func answerKey(p identity.Principal, enabled *bool, types []string, preview bool) string {
	h := fnv.New64a()
	for _, g := range p.Groups {
		h.Write([]byte(g))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("%s|%x|%v|%v|%v", p.Role, h.Sum64(), enabled != nil && *enabled,
		enabled == nil, types) + strconv.FormatBool(preview)
}

func (vc *vaultCache) encode(d vault.Delivered) []byte {
	key := d.ID + ":" + strconv.Itoa(d.Version) + ":" + d.GroupName
	if b, ok := vc.m.Load(key); ok {
		return b.([]byte)
	}
	b, _ := json.Marshal(vaultOut(d))
	vc.m.Store(key, b)
	return b
}

// getVaults answers the SDK's GET /users.get_vaults?enabled=true&types=config&types=config
// (query string, no body) and the POST form with preview_data.
func (a *API) getVaults(c *Call) (any, error) {
	var req struct {
		Enabled     *bool    `json:"enabled"`
		Types       listArg  `json:"types"`
		PreviewData bool     `json:"preview_data"`
		Type        string   `json:"type"`
		Extra       []string `json:"-"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	types := []string(req.Types)
	if req.Type != "" {
		types = append(types, req.Type)
	}
	key := answerKey(c.Principal, req.Enabled, types, req.PreviewData)
	if rev, ok := a.svc.Vaults.Revision(c.Principal.WorkspaceID); ok {
		if body, ok := a.vaults.answer(c.Principal.UserID, key, rev); ok {
			return body, nil
		}
	}
	d, err := a.svc.Vaults.Deliver(c.Context(), vault.Query{Enabled: req.Enabled,
		Types: vault.ParseTypes(types), Preview: req.PreviewData})
	if err != nil {
		return nil, err
	}
	list := d.Vaults
	buf := make([]byte, 0, 256*len(list)+16)
	buf = append(buf, `{"vaults":[`...)
	for i, d := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		if req.PreviewData {
			b, _ := json.Marshal(vaultOut(d))
			buf = append(buf, b...)
			continue
		}
		buf = append(buf, a.vaults.encode(d)...)
	}
	buf = append(buf, "]}"...)
	a.vaults.remember(c.Principal.UserID, key, d.Revision, buf)
	return json.RawMessage(buf), nil
}

// listArg accepts a JSON list or a single string.
type listArg []string

// UnmarshalJSON reads ["a","b"] or "a".
func (l *listArg) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

func (a *API) saveVault(c *Call) (any, error) {
	var req struct {
		Vault *struct {
			ID          string  `json:"id"`
			Scope       string  `json:"scope"`
			Type        string  `json:"type"`
			Format      string  `json:"format"`
			Description *string `json:"description"`
			Data        *string `json:"data"`
			Enabled     *bool   `json:"enabled"`
			Version     int     `json:"version"`
			Group       string  `json:"group"`
			User        string  `json:"user"`
		} `json:"vault"`
		Group string `json:"group"`
		User  string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Vault == nil {
		return nil, missing("vault")
	}
	v := req.Vault
	in := vault.Input{ID: v.ID, Scope: vault.Scope(v.Scope), Type: vault.Type(v.Type),
		Format: vault.Format(v.Format), Description: v.Description, Data: v.Data,
		Enabled: v.Enabled, GroupID: first(req.Group, v.Group), UserID: first(req.User, v.User),
		Version: v.Version}
	saved, err := a.svc.Vaults.Save(c.Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"vault": saved.ID, "version": saved.Version}, nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (a *API) deleteVaults(c *Call) (any, error) {
	var req struct {
		Vaults []string `json:"vaults"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if len(req.Vaults) == 0 {
		return nil, missing("vaults")
	}
	n, err := a.svc.Vaults.Delete(c.Context(), req.Vaults)
	if err != nil {
		return nil, err
	}
	return map[string]any{"deleted": n}, nil
}

func (a *API) getOrganizationVaults(c *Call) (any, error) {
	list, err := a.svc.Vaults.Organization(c.Context())
	if err != nil {
		return nil, err
	}
	out := make([]vaultJSON, len(list))
	for i, v := range list {
		out[i] = vaultOut(vault.Delivered{Vault: v, Deliver: v.Data})
	}
	return map[string]any{"vaults": out}, nil
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

func (a *API) getVaultOperations(c *Call) (any, error) {
	var req struct {
		Vaults        []string `json:"vaults"`
		Users         []string `json:"users"`
		Operations    []string `json:"operations"`
		FromTimestamp int64    `json:"from_timestamp"`
		ToTimestamp   int64    `json:"to_timestamp"`
		Order         string   `json:"order"`
		PageSize      int      `json:"page_size"`
		Group         *bool    `json:"group_operations"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	ops, err := a.svc.Vaults.Operations(c.Context(), vault.OpFilter{Vaults: req.Vaults,
		Users: req.Users, Operations: req.Operations, From: msTime(req.FromTimestamp),
		To: msTime(req.ToTimestamp), Ascending: req.Order == "asc", Limit: req.PageSize,
		NoGrouping: req.Group != nil && !*req.Group})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(ops))
	for i, op := range ops {
		out[i] = map[string]any{"created": Time(op.At), "last": Time(op.Until),
			"operation": op.Operation, "user": map[string]string{"id": op.UserID,
				"name": op.UserName}, "scope": op.Scope, "vault": op.VaultID,
			"vault_description": op.VaultName, "ip": op.Address, "count": op.Count}
	}
	return map[string]any{"operations": out}, nil
}

func (a *API) getVaultOperationFilters(c *Call) (any, error) {
	ops, err := a.svc.Vaults.Operations(c.Context(), vault.OpFilter{NoGrouping: true,
		Limit: 10000})
	if err != nil {
		return nil, err
	}
	vaults, users := map[string]string{}, map[string]string{}
	for _, op := range ops {
		vaults[op.VaultID], users[op.UserID] = op.VaultName, op.UserName
	}
	list := func(m map[string]string) []map[string]string {
		out := []map[string]string{}
		for id, name := range m {
			out = append(out, map[string]string{"id": id, "name": name})
		}
		return out
	}
	return map[string]any{"vaults": list(vaults), "users": list(users),
		"operations": []string{"create", "edit", "delete", "enable", "disable", "restore"}}, nil
}

func (a *API) getVaultVersions(c *Call) (any, error) {
	var req struct {
		Vault string `json:"vault"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Vault == "" {
		return nil, missing("vault")
	}
	list, err := a.svc.Vaults.Versions(c.Context(), req.Vault)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = map[string]any{"version": v.Version, "action": v.Action, "format": v.Format,
			"description": v.Description, "enabled": v.Enabled, "data": v.Data,
			"created": Time(v.CreatedAt), "created_by": v.CreatedBy}
	}
	return map[string]any{"versions": out}, nil
}

func (a *API) diffVaultVersions(c *Call) (any, error) {
	var req struct {
		Vault string `json:"vault"`
		From  int    `json:"from"`
		To    int    `json:"to"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Vault == "" || req.From == 0 || req.To == 0 {
		return nil, missing("vault", "from", "to")
	}
	diff, err := a.svc.Vaults.Diff(c.Context(), req.Vault, req.From, req.To)
	if err != nil {
		return nil, err
	}
	return map[string]any{"diff": diff}, nil
}

func (a *API) restoreVaultVersion(c *Call) (any, error) {
	var req struct {
		Vault   string `json:"vault"`
		Version int    `json:"version"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	if req.Vault == "" || req.Version == 0 {
		return nil, missing("vault", "version")
	}
	v, err := a.svc.Vaults.Restore(c.Context(), req.Vault, req.Version)
	if err != nil {
		return nil, err
	}
	return map[string]any{"vault": v.ID, "version": v.Version}, nil
}

func (a *API) getEffectiveConfig(c *Call) (any, error) {
	var req struct {
		User string `json:"user"`
	}
	if err := c.Decode(&req); err != nil {
		return nil, err
	}
	eff, err := a.svc.Vaults.Effective(c.Context(), req.User)
	if err != nil {
		return nil, err
	}
	leaves := make([]map[string]any, len(eff.Leaves))
	for i, l := range eff.Leaves {
		leaves[i] = map[string]any{"path": l.Path, "value": l.Value, "vault": l.VaultID,
			"vault_description": l.VaultName, "scope": l.Scope}
	}
	return map[string]any{"user": eff.UserID, "config": json.RawMessage(eff.JSON),
		"leaves": leaves}, nil
}
