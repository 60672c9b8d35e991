package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"atrium/internal/identity"
	"atrium/internal/vault"
)

// pickerLimit is how many people and service accounts a search on the effective
// configuration page lists.
const pickerLimit = 20

// effectiveView is the effective configuration page: what the chosen user's SDK and agent
// sessions receive from vaults, merged, key by key with the vault each key came from.
type effectiveView struct {
	adminFrame
	Admin    bool
	Self     bool
	TargetID string
	Target   string
	Service  bool // the target is a service account
	Query    string
	Matches  []memberChoice
	More     bool
	Problem  string // the chosen user could not be previewed
	Vaults   []effectiveVault
	JSON     string
	Leaves   []effectiveLeaf
}

// effectiveVault is one vault merged, lowest precedence first.
type effectiveVault struct {
	N     int
	Name  string
	Scope string
	Group string
	Link  string
}

// effectiveLeaf is one key of the merged configuration.
type effectiveLeaf struct {
	Path      string
	Value     string
	VaultName string
	Scope     string
	Link      string
}

func (w *Web) effectivePage(rw http.ResponseWriter, r *http.Request, s *session) {
	admin := s.principal.IsAdmin()
	target := s.principal.UserID
	if id := strings.TrimSpace(r.URL.Query().Get("user")); admin && id != "" {
		target = id
	}
	v := effectiveView{Admin: admin, Self: target == s.principal.UserID, TargetID: target,
		Target: s.principal.Name}
	if admin {
		v.adminFrame = w.vaultsFrame(r, s, pathEffective, "Effective configuration")
	} else {
		v.adminFrame = adminFrame{chrome: w.chrome(r, s, "Effective configuration",
			pathWorkspace)}
	}
	if err := w.fillEffective(r, &v); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	status := http.StatusOK
	if v.Problem != "" {
		status = http.StatusNotFound
	}
	w.render(rw, r, status, tmplEffective, v)
}

// fillEffective loads the picker's matches and the target's merged configuration.
func (w *Web) fillEffective(r *http.Request, v *effectiveView) error {
	ctx := r.Context()
	if v.Admin {
		v.Query = strings.TrimSpace(r.URL.Query().Get("q"))
		if err := w.pickerMatches(ctx, v); err != nil {
			return err
		}
		if !v.Self {
			if err := w.describeTarget(ctx, v); err != nil || v.Problem != "" {
				return err
			}
		}
	}
	eff, err := w.svc.Vaults.Effective(ctx, v.TargetID)
	if err != nil {
		v.Problem = "This user or service account does not exist or was removed."
		w.log.Debug("effective configuration", "user", v.TargetID, "error", err)
		return nil
	}
	groups, err := w.groupNames(ctx)
	if err != nil {
		return err
	}
	w.effectiveOf(v, eff, groups)
	return nil
}

// pickerMatches lists the people and service accounts matching the search.
func (w *Web) pickerMatches(ctx context.Context, v *effectiveView) error {
	if v.Query == "" {
		return nil
	}
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{Search: v.Query,
		OrderBy: "name", PageSize: pickerLimit})
	if err != nil {
		return err
	}
	for _, u := range res.Users {
		v.Matches = append(v.Matches, memberChoiceOf(u.User))
	}
	v.More = res.Total > len(res.Users)
	return nil
}

// describeTarget names the user an admin picked.
func (w *Web) describeTarget(ctx context.Context, v *effectiveView) error {
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: []string{v.TargetID}})
	if err != nil {
		return err
	}
	if len(res.Users) == 0 {
		v.Problem = "This user or service account does not exist or was removed."
		return nil
	}
	u := res.Users[0]
	v.Target, v.Service = who(u.User), u.Kind == identity.KindService
	return nil
}

// effectiveOf fills the view from the merged configuration, keys in alphabetical order.
func (w *Web) effectiveOf(v *effectiveView, eff vault.Effective, groups map[string]string) {
	links := map[string]string{}
	for i, d := range eff.Vaults {
		ev := effectiveVault{N: i + 1, Name: vaultName(d.Vault), Scope: scopeLabel(d.Scope),
			Group: groupLabel(d.Vault, groups), Link: w.vaultLink(v, d.Vault)}
		links[d.ID] = ev.Link
		v.Vaults = append(v.Vaults, ev)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, eff.JSON, "", "  "); err != nil {
		pretty.Reset()
		pretty.Write(eff.JSON)
	}
	v.JSON = pretty.String()
	leaves := append([]vault.EffectiveLeaf(nil), eff.Leaves...)
	sort.SliceStable(leaves, func(i, j int) bool { return leaves[i].Path < leaves[j].Path })
	for _, l := range leaves {
		v.Leaves = append(v.Leaves, effectiveLeaf{Path: l.Path, Value: l.Value,
			Scope: scopeLabel(l.Scope), Link: links[l.VaultID],
			VaultName: orDefault(strings.TrimSpace(l.VaultName), "Unnamed vault")})
	}
}

// vaultLink is where a merged vault can be seen: its edit page for admins, the Workspace
// page for one's own vault, and nowhere for a vault only admins may open.
func (w *Web) vaultLink(v *effectiveView, d vault.Vault) string {
	switch {
	case v.Admin:
		return pathVaults + "/" + d.ID
	case d.Scope == vault.ScopeUser && v.Self:
		return pathWorkspace + "#vault"
	}
	return ""
}
