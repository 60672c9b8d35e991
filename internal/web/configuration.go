package web

import (
	"atrium/internal/identity"

	"atrium/internal/vault"

	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// configurationView is the Configuration page: preference switches, the hidden container
// arguments list and the web app cloud access table.
type configurationView struct {
	chrome
	Switches       []prefSwitch
	SwitchErrors   fieldErrors
	Arguments      []argumentRow // includes one trailing blank row
	ArgumentsNext  int           // index the script gives the next added row
	ArgumentErrors fieldErrors
	// ScriptsForced is set when an admin forced "block user scripts" on for everyone;
	// IsAdmin shows the admin the switch that forces it.
	ScriptsForced bool
	IsAdmin       bool
	// Pushed are read-only rows from administrators' storage-credentials vaults.
	Pushed      []vault.StorageRow
	Cloud       []cloudRow // includes one trailing blank row
	CloudNext   int
	CloudErrors fieldErrors
	// ArgumentTemplate and CloudTemplate are the blank rows the script copies for "Add row".
	ArgumentTemplate argumentRow
	CloudTemplate    cloudRow
}

func (w *Web) configurationPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, err := w.configuration(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	w.render(rw, r, http.StatusOK, tmplConfiguration, v)
}

// configuration loads the caller's stored preferences and cloud access into a fresh view.
func (w *Web) configuration(r *http.Request, s *session) (configurationView, error) {
	prefs, err := w.svc.Identity.Preferences(r.Context())
	if err != nil {
		return configurationView{}, err
	}
	views, err := w.svc.Identity.CloudAccess(r.Context())
	if err != nil {
		return configurationView{}, err
	}
	v := configurationView{chrome: w.chrome(r, s, "Configuration", pathConfiguration),
		Switches: switchesFrom(prefs), SwitchErrors: fieldErrors{},
		ArgumentErrors: fieldErrors{}, CloudErrors: fieldErrors{},
		ArgumentTemplate: argumentRow{Index: -1},
		CloudTemplate:    cloudRow{Index: -1, Errors: fieldErrors{}}}
	v.setArguments(argumentsFrom(prefs))
	v.setCloud(cloudRowsFrom(views))
	if v.ScriptsForced, err = w.svc.Identity.ScriptsBlockedByAdmin(r.Context()); err != nil {
		return configurationView{}, err
	}
	v.IsAdmin = s.principal.IsAdmin()
	for i := range v.Switches {
		if v.Switches[i].Name == identity.BlockScriptsPreference && v.ScriptsForced {
			v.Switches[i].On, v.Switches[i].Locked = true, true
		}
	}
	if w.svc.Vaults != nil {
		if v.Pushed, err = w.svc.Vaults.StorageCredentials(r.Context()); err != nil {
			return configurationView{}, err
		}
	}
	return v, nil
}

// configurationError re-renders the page with a refused form's state applied.
func (w *Web) configurationError(rw http.ResponseWriter, r *http.Request, s *session,
	status int, apply func(*configurationView)) {
	v, err := w.configuration(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	apply(&v)
	w.render(rw, r, status, tmplConfiguration, v)
}

// maxRows bounds how many indexed rows one form may carry.
const maxRows = 200

// rowIndexes returns, in order, the row numbers N of the form keys "prefix.N" and
// "prefix.N.field", so rows survive gaps left by rows a script removed.
func rowIndexes(form url.Values, prefix string) []int {
	seen := map[int]bool{}
	for key := range form {
		rest, ok := strings.CutPrefix(key, prefix+".")
		if !ok {
			continue
		}
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 0 || n > 100_000 || len(seen) >= maxRows {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// rowPlaceholder stands for the row number in a script-copied row; the script replaces it.
const rowPlaceholder = "__i__"

// rowName is the name prefix of row i: "rows.3", or "rows.__i__" for the template (i < 0).
func rowName(prefix string, i int) string {
	if i < 0 {
		return prefix + "." + rowPlaceholder
	}
	return prefix + "." + strconv.Itoa(i)
}

// rowField names one input of an indexed row: "rows.3.bucket".
func rowField(prefix string, i int, field string) string {
	name := prefix + "." + strconv.Itoa(i)
	if field != "" {
		name += "." + field
	}
	return name
}

// forceScripts lets an admin force "block running user's scripts" on for everyone.
func (w *Web) forceScripts(rw http.ResponseWriter, r *http.Request, s *session) {
	on := r.PostForm.Get("force") == "on"
	if err := w.svc.Identity.SetScriptsBlockedByAdmin(r.Context(), on); err != nil {
		errs, status := w.formFailure(r, err, nil)
		w.configurationError(rw, r, s, status, func(v *configurationView) {
			v.SwitchErrors = errs
		})
		return
	}
	redirectNotice(rw, r, pathConfiguration, "saved")
}
