package vault

import (
	"context"

	"atrium/internal/apperr"
	"atrium/internal/hocon"
	"atrium/internal/identity"
)

// EffectiveLeaf is one key of a merged configuration and the vault that set it.
type EffectiveLeaf struct {
	Path      string
	Value     string // HOCON text of the value
	VaultID   string
	VaultName string
	Scope     Scope
}

// Effective is the configuration a user's SDK and agent sessions receive from vaults,
// merged as the clients merge it (objects key by key, later scalars and lists replace), with
// substitutions that name configuration paths resolved.
type Effective struct {
	UserID string
	JSON   []byte
	Leaves []EffectiveLeaf
	Vaults []Delivered // the vaults merged, lowest precedence first
}

// Effective previews the merged client configuration of a user or service account: the
// caller's own, or anyone's in the workspace for admins.
func (s *Service) Effective(ctx context.Context, userID string) (Effective, error) {
	p, err := caller(ctx)
	if err != nil {
		return Effective{}, err
	}
	if userID == "" {
		userID = p.UserID
	}
	if userID != p.UserID && !p.IsAdmin() {
		return Effective{}, apperr.Forbiddenf("Forbidden (not allowed for role): role=%s, "+
			"allowed=(admin, system)", p.Role).WithSub(403, 20)
	}
	target, err := s.groups.Principal(ctx, p.WorkspaceID, userID)
	if err != nil {
		return Effective{}, apperr.Invalidf("Invalid user id %s", userID).WithSub(400, 301)
	}
	enabled := true
	list, err := s.ForCaller(identity.WithPrincipal(ctx, target), Query{Enabled: &enabled,
		Types: []Type{TypeConfig}})
	if err != nil {
		return Effective{}, err
	}
	return merged(userID, list)
}

func merged(userID string, list []Delivered) (Effective, error) {
	layers := make([]hocon.Layer, 0, len(list))
	byID := map[string]Delivered{}
	all := &hocon.Object{}
	for _, d := range list {
		p, err := parseData(d.Format, d.Data)
		if err != nil {
			continue // stored vaults were valid when saved; a parser change must not hide the rest
		}
		layers = append(layers, hocon.Layer{Source: d.ID, Config: p.tree})
		byID[d.ID] = d
		hocon.Merge(all, p.tree)
	}
	resolved, _ := resolve(all, all).(*hocon.Object)
	js, err := resolved.JSON()
	if err != nil {
		return Effective{}, err
	}
	out := Effective{UserID: userID, JSON: js, Vaults: list}
	for _, l := range hocon.Effective(layers) {
		d := byID[l.Source]
		out.Leaves = append(out.Leaves, EffectiveLeaf{Path: l.Key(),
			Value:   hocon.Render(resolve(all, l.Value)),
			VaultID: d.ID, VaultName: d.Description, Scope: d.Scope})
	}
	return out, nil
}

// preview renders data as JSON with every string leaf hidden, to show a vault's shape
// without its secrets.
func preview(format Format, data string) string {
	p, err := parseData(format, data)
	if err != nil {
		return "{}"
	}
	js, err := mask(p.tree).(*hocon.Object).JSON()
	if err != nil {
		return "{}"
	}
	return string(js)
}

func mask(v hocon.Value) hocon.Value {
	switch t := v.(type) {
	case *hocon.Object:
		out := &hocon.Object{}
		for _, k := range t.Keys() {
			child, _ := t.Get(k)
			out.Set(k, mask(child))
		}
		return out
	case hocon.Array:
		out := make(hocon.Array, len(t))
		for i, e := range t {
			out[i] = mask(e)
		}
		return out
	case hocon.String, hocon.Concat, hocon.Substitution:
		return hocon.String("********")
	}
	return v
}
