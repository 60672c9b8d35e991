package web

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"atrium/internal/vault"
)

// activityLimit is how many log entries the Activity log tab reads, before grouping.
const activityLimit = 500

// choicesLimit is how many recent entries the filters' vault and user lists come from.
const choicesLimit = 2000

// activityView is the Activity log tab: vault operations, newest first, adjacent identical
// ones grouped, with filters.
type activityView struct {
	adminFrame
	Vaults    []choice
	Actions   []choice
	Users     []choice
	From, To  string
	Filtered  bool
	Rows      []operationRow
	Truncated bool
	Errors    fieldErrors
}

// operationRow is one entry of the log, or a run of identical ones (Count > 1).
type operationRow struct {
	When      when
	First     when // the oldest of a run
	Action    string
	Kind      string // the operation, for styling
	VaultID   string
	VaultName string
	Exists    bool // the vault still exists, so its history can be opened
	Scope     string
	Who       string
	Address   string
	Count     int
}

// activityFilter is the filter form as sent.
type activityFilter struct {
	Vault, Action, User, From, To string
}

func activityFilterOf(r *http.Request) activityFilter {
	q := r.URL.Query()
	return activityFilter{Vault: q.Get("vault"), Action: q.Get("action"), User: q.Get("user"),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
}

func (w *Web) activityPage(rw http.ResponseWriter, r *http.Request, s *session) {
	f := activityFilterOf(r)
	v := activityView{adminFrame: w.vaultsFrame(r, s, pathVaultActivity, "Activity log"),
		From: f.From, To: f.To, Errors: fieldErrors{}, Actions: actionChoices(f.Action)}
	of, status := f.opFilter(v.Errors)
	v.Filtered = f != activityFilter{}
	ctx := r.Context()
	ops, err := w.svc.Vaults.Operations(ctx, of)
	var current []vault.Vault
	if err == nil {
		current, err = w.svc.Vaults.Organization(ctx)
	}
	if err == nil {
		err = w.activityChoices(r, &v, f, current)
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	exists := map[string]bool{}
	for _, x := range current {
		exists[x.ID] = true
	}
	total := 0
	for _, op := range ops {
		v.Rows = append(v.Rows, w.operationRowOf(op, exists[op.VaultID]))
		total += op.Count
	}
	v.Truncated = total >= activityLimit
	w.render(rw, r, status, tmplVaultActivity, v)
}

// opFilter turns the form into the service's filter; a date that does not read is
// reported in errs and left out.
func (f activityFilter) opFilter(errs fieldErrors) (vault.OpFilter, int) {
	of := vault.OpFilter{Limit: activityLimit}
	if f.Vault != "" {
		of.Vaults = []string{f.Vault}
	}
	if f.Action != "" {
		of.Operations = []string{f.Action}
	}
	if f.User != "" {
		of.Users = []string{f.User}
	}
	var status int
	of.From, of.To, status = dateRange(f.From, f.To, errs)
	return of, status
}

// dateRange reads a from/to filter pair of YYYY-MM-DD dates into [since, until), until
// being the end of the "to" day; problems go into errs under "from" and "to", with 400.
func dateRange(from, to string, errs fieldErrors) (since, until time.Time, status int) {
	status = http.StatusOK
	if t, ok := dateOf(from); ok {
		since = t
	} else {
		errs["from"], status = "Enter a date as YYYY-MM-DD.", http.StatusBadRequest
	}
	if t, ok := dateOf(to); ok && !t.IsZero() {
		until = t.Add(24 * time.Hour)
	} else if !ok {
		errs["to"], status = "Enter a date as YYYY-MM-DD.", http.StatusBadRequest
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		errs["to"], status = "The end date is before the start date.", http.StatusBadRequest
	}
	return since, until, status
}

// dateOf reads a YYYY-MM-DD date as the start of that day in UTC; "" is the zero time.
func dateOf(raw string) (time.Time, bool) {
	if raw == "" {
		return time.Time{}, true
	}
	t, err := time.Parse("2006-01-02", raw)
	return t, err == nil
}

func actionChoices(selected string) []choice {
	out := []choice{{Value: "", Label: "Any action"}}
	for _, op := range []string{"create", "edit", "enable", "disable", "restore", "delete"} {
		out = append(out, choice{Value: op, Label: actionLabel(op)})
	}
	return choose(selected, out)
}

// activityChoices fills the vault and user filters with what appears in the recent log,
// deleted vaults and removed people included, and the vaults that exist now.
func (w *Web) activityChoices(r *http.Request, v *activityView, f activityFilter,
	current []vault.Vault) error {
	recent, err := w.svc.Vaults.Operations(r.Context(), vault.OpFilter{Limit: choicesLimit,
		NoGrouping: true})
	if err != nil {
		return err
	}
	vaults, users := map[string]string{}, map[string]string{}
	for _, op := range recent {
		if _, ok := vaults[op.VaultID]; !ok { // newest first: keep the latest name
			vaults[op.VaultID] = orDefault(op.VaultName, op.VaultID)
		}
		if _, ok := users[op.UserID]; !ok {
			users[op.UserID] = orDefault(op.UserName, op.UserID)
		}
	}
	for _, x := range current {
		vaults[x.ID] = vaultName(x)
	}
	v.Vaults = sortedChoices("Any vault", vaults, f.Vault)
	v.Users = sortedChoices("Anyone", users, f.User)
	return nil
}

// sortedChoices makes a select's options from ids and names, by name, after an "any"
// option.
func sortedChoices(any string, names map[string]string, selected string) []choice {
	out := make([]choice, 0, len(names))
	for id, name := range names {
		if id != "" {
			out = append(out, choice{Value: id, Label: name})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Label), strings.ToLower(out[j].Label)
		return a < b || (a == b && out[i].Value < out[j].Value)
	})
	return choose(selected, append([]choice{{Value: "", Label: any}}, out...))
}

func (w *Web) operationRowOf(op vault.Operation, exists bool) operationRow {
	now := w.now()
	row := operationRow{When: pastOf(now, op.Until), Action: actionLabel(op.Operation),
		Kind: op.Operation, VaultID: op.VaultID, VaultName: orDefault(op.VaultName, op.VaultID),
		Exists: exists, Scope: scopeLabel(vault.Scope(op.Scope)),
		Who: orDefault(op.UserName, op.UserID), Address: op.Address, Count: op.Count}
	if op.Count > 1 {
		row.First = pastOf(now, op.At)
	}
	return row
}
