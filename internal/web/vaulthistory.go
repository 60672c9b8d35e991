package web

import (
	"fmt"
	"net/http"
	"strconv"

	"atrium/internal/vault"
)

// historyView is a vault's history: every saved version, and the line diff between the
// two picked.
type historyView struct {
	adminFrame
	Vault    vaultRow
	Versions []versionRow
	A, B     int // the versions compared; 0 when there is only one
	Diff     []diffLine
	Same     bool // the two versions hold the same text
}

// versionRow is one saved version.
type versionRow struct {
	Version  int
	Action   string
	Kind     string // the operation, for styling
	Who      string
	When     when
	Enabled  bool
	Format   string
	Current  bool
	CheckedA bool
	CheckedB bool
	Restore  dialogView
}

// actionLabel names a vault operation as history and the activity log show it.
func actionLabel(op string) string {
	switch op {
	case "create":
		return "Created"
	case "edit":
		return "Edited"
	case "enable":
		return "Activated"
	case "disable":
		return "Deactivated"
	case "restore":
		return "Restored"
	case "delete":
		return "Deleted"
	}
	return op
}

func (w *Web) historyPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	ctx := r.Context()
	versions, err := w.svc.Vaults.Versions(ctx, v.ID)
	var groups, names map[string]string
	if err == nil {
		groups, err = w.groupNames(ctx)
	}
	if err == nil {
		names, err = w.userNames(ctx, versionAuthors(versions))
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	hv := historyView{adminFrame: w.vaultsFrame(r, s, pathVaults, "History of "+vaultName(v)),
		Vault: w.vaultRowOf(v, groups, names)}
	hv.A, hv.B = pickVersions(versions, r.URL.Query().Get("a"), r.URL.Query().Get("b"))
	for _, x := range versions {
		hv.Versions = append(hv.Versions, w.versionRowOf(v, x, names, hv.A, hv.B, s.csrf))
	}
	if hv.A != 0 && hv.A != hv.B {
		diff, err := w.svc.Vaults.Diff(ctx, v.ID, hv.A, hv.B)
		if err != nil {
			w.serverError(rw, r, s, err)
			return
		}
		hv.Diff, hv.Same = diffLines(diff), diff == ""
	}
	w.render(rw, r, http.StatusOK, tmplVaultHistory, hv)
}

func versionAuthors(list []vault.Version) []string {
	var out []string
	for _, v := range list {
		out = append(out, v.CreatedBy)
	}
	return out
}

func (w *Web) versionRowOf(v vault.Vault, x vault.Version, names map[string]string, a, b int,
	csrf string) versionRow {
	row := versionRow{Version: x.Version, Action: actionLabel(x.Action), Kind: x.Action,
		Who: orDefault(names[x.CreatedBy], x.CreatedBy), When: pastOf(w.now(), x.CreatedAt),
		Enabled: x.Enabled, Format: formatLabel(x.Format), Current: x.Version == v.Version,
		CheckedA: x.Version == a, CheckedB: x.Version == b}
	row.Restore = restoreConfirmation(v, x.Version).dialog(
		"restore-"+strconv.Itoa(x.Version), csrf)
	return row
}

// pickVersions reads the two versions to compare, falling back to the one before the
// current and the current.
func pickVersions(list []vault.Version, rawA, rawB string) (int, int) {
	has := map[int]bool{}
	newest, second := 0, 0
	for _, v := range list {
		has[v.Version] = true
		switch {
		case v.Version > newest:
			newest, second = v.Version, newest
		case v.Version > second:
			second = v.Version
		}
	}
	a, errA := strconv.Atoi(rawA)
	b, errB := strconv.Atoi(rawB)
	if errA != nil || errB != nil || !has[a] || !has[b] {
		a, b = second, newest
	}
	return a, b
}

// restoreConfirmation asks before restoring version n of a vault.
func restoreConfirmation(v vault.Vault, n int) confirmation {
	name := vaultName(v)
	return confirmation{Heading: fmt.Sprintf("Restore version %d of %s?", n, name),
		Message: fmt.Sprintf("Restore version %d of the vault %s? Its content, format, name "+
			"and switch become those of version %d, saved as the new version %d. New sessions "+
			"that receive the vault get the restored content at once; the current content "+
			"stays in the history.", n, name, n, v.Version+1),
		Action: pathVaults + "/" + v.ID + "/restore?version=" + strconv.Itoa(n),
		Button: "Restore version " + strconv.Itoa(n)}
}

// restoreVersion reads the version to restore from the request.
func restoreVersion(r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.URL.Query().Get("version"))
	return n, err == nil && n > 0
}

func (w *Web) restorePage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	n, ok := restoreVersion(r)
	if !ok || n > v.Version {
		w.gone(rw, r, s, "version", pathVaults+"/"+v.ID+"/history")
		return
	}
	c := restoreConfirmation(v, n)
	w.showConfirmIn(rw, r, http.StatusOK, w.vaultsFrame(r, s, pathVaults, c.Button), c,
		pathVaults+"/"+v.ID+"/history", "")
}

func (w *Web) restoreVault(rw http.ResponseWriter, r *http.Request, s *session) {
	v, ok := w.pathVault(rw, r, s)
	if !ok {
		return
	}
	history := pathVaults + "/" + v.ID + "/history"
	n, ok := restoreVersion(r)
	if !ok {
		w.gone(rw, r, s, "version", history)
		return
	}
	if _, err := w.svc.Vaults.Restore(r.Context(), v.ID, n); err != nil {
		msg, status := w.refusal(r, err)
		c := restoreConfirmation(v, n)
		w.showConfirmIn(rw, r, status, w.vaultsFrame(r, s, pathVaults, c.Button), c, history,
			msg)
		return
	}
	redirectNotice(rw, r, history, "vault-restored")
}
