package web

import (
	"net/http"
	"strings"
	"unicode/utf8"
)

// Preference paths in the users.get_preferences document (reference-settings.md 4.1).
const (
	prefRedactedList = "views.redactedArguments"
	prefHideRedacted = "views.hideRedactedArguments"
)

// prefSwitch is one on/off preference. Name is both the dot path stored and the input name.
type prefSwitch struct {
	Name  string
	Label string
	Help  string
	On    bool
	// Locked is set when an admin forced the switch on for everyone.
	Locked bool
}

// switchDefs lists the switches in the order the page shows them; all default to off.
func switchDefs() []prefSwitch {
	return []prefSwitch{
		{Name: "rootProjects.showHidden", Label: "Show hidden projects",
			Help: "List infrastructure projects among your own, marked as hidden."},
		{Name: "rootProjects.hideExamples", Label: "Don't show ClearML examples",
			Help: "Hide the preloaded example projects, pipelines and datasets."},
		{Name: "views.hideTips", Label: "Don't show tips",
			Help: "Stop the periodic tips shown after sign-in."},
		{Name: "rootProjects.blockUserScript", Label: "Block running user's scripts in the browser",
			Help: "Debug samples and embedded report content that need scripts are not shown."},
		{Name: prefHideRedacted, Label: "Hide specific container arguments",
			Help: "Mask the values of the variables listed below in tasks' container arguments."},
	}
}

// defaultRedacted is the list shown while the user has never saved one.
func defaultRedacted() []string {
	return []string{"CLEARML_API_SECRET_KEY", "CLEARML_AGENT_GIT_PASS", "AWS_SECRET_ACCESS_KEY",
		"AZURE_STORAGE_KEY"}
}

// lookup follows a dot path through a preference document.
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}

func switchesFrom(prefs map[string]any) []prefSwitch {
	defs := switchDefs()
	for i := range defs {
		on, _ := lookup(prefs, defs[i].Name).(bool)
		defs[i].On = on
	}
	return defs
}

// argumentsFrom reads the stored list of {"key": NAME}, or the defaults when none is stored.
func argumentsFrom(prefs map[string]any) []string {
	raw, ok := lookup(prefs, prefRedactedList).([]any)
	if !ok {
		return defaultRedacted()
	}
	out := make([]string, 0, len(raw))
	for _, item := range raw {
		if m, ok := item.(map[string]any); ok {
			if k, ok := m["key"].(string); ok && k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// argumentRow is one row of the hidden arguments editor.
type argumentRow struct {
	Index  int // -1 for the script's row template
	Key    string
	Remove bool
	Error  string
}

// Name is the row's input name.
func (a argumentRow) Name() string { return rowName("args", a.Index) }

// setArguments fills the editor from names and adds a blank row to type a new one into.
func (v *configurationView) setArguments(names []string) {
	v.Arguments = v.Arguments[:0]
	for i, n := range names {
		v.Arguments = append(v.Arguments, argumentRow{Index: i, Key: n})
	}
	v.ArgumentsNext = len(names) + 1
	v.Arguments = append(v.Arguments, argumentRow{Index: len(names)})
}

func (w *Web) savePreferences(rw http.ResponseWriter, r *http.Request, s *session) {
	update := map[string]any{}
	for _, sw := range switchDefs() {
		update[sw.Name] = r.PostForm.Get(sw.Name) == "on"
	}
	if _, _, err := w.svc.Identity.SetPreferences(r.Context(), update); err != nil {
		errs, status := w.formFailure(r, err, nil)
		w.configurationError(rw, r, s, status, func(v *configurationView) {
			v.SwitchErrors = errs
		})
		return
	}
	redirectNotice(rw, r, pathConfiguration, "preferences")
}

// saveRedacted stores the hidden arguments list, or the default list for "Restore
// defaults". Blank rows and rows marked for removal are dropped; duplicates are kept once.
func (w *Web) saveRedacted(rw http.ResponseWriter, r *http.Request, s *session) {
	if r.PostForm.Get("op") == "defaults" {
		if err := w.storeRedacted(r, defaultRedacted()); err != nil {
			w.redactedError(rw, r, s, nil, err)
			return
		}
		redirectNotice(rw, r, pathConfiguration, "defaults")
		return
	}
	rows, keep := parseArgumentRows(r)
	bad := false
	for i := range rows {
		bad = bad || rows[i].Error != ""
	}
	if bad {
		w.redactedError(rw, r, s, rows, nil)
		return
	}
	if err := w.storeRedacted(r, keep); err != nil {
		w.redactedError(rw, r, s, rows, err)
		return
	}
	redirectNotice(rw, r, pathConfiguration, "arguments")
}

// parseArgumentRows reads the editor's rows, checks each, and returns them with the names
// to store.
func parseArgumentRows(r *http.Request) ([]argumentRow, []string) {
	var rows []argumentRow
	var keep []string
	seen := map[string]bool{}
	for _, i := range rowIndexes(r.PostForm, "args") {
		row := argumentRow{Index: i, Key: strings.TrimSpace(r.PostForm.Get(rowField("args", i, ""))),
			Remove: r.PostForm.Get(rowField("args", i, "remove")) == "on"}
		if row.Key == "" {
			continue
		}
		rows = append(rows, row)
		if row.Remove {
			continue
		}
		rows[len(rows)-1].Error = checkArgument(row.Key)
		if !seen[row.Key] {
			seen[row.Key] = true
			keep = append(keep, row.Key)
		}
	}
	return rows, keep
}

// checkArgument returns why a variable name cannot be hidden, or "".
func checkArgument(key string) string {
	if utf8.RuneCountInString(key) > 255 {
		return "A name must be at most 255 characters."
	}
	if strings.ContainsAny(key, " \t=\"'") {
		return "Enter a variable name only, without spaces, quotes or '='."
	}
	return ""
}

func (w *Web) storeRedacted(r *http.Request, names []string) error {
	list := make([]any, len(names))
	for i, n := range names {
		list[i] = map[string]any{"key": n}
	}
	_, _, err := w.svc.Identity.SetPreferences(r.Context(), map[string]any{prefRedactedList: list})
	return err
}

// redactedError re-renders the editor with the submitted rows (when given) and the error.
func (w *Web) redactedError(rw http.ResponseWriter, r *http.Request, s *session,
	rows []argumentRow, err error) {
	status := http.StatusBadRequest
	errs := fieldErrors{}
	if err != nil {
		errs, status = w.formFailure(r, err, nil)
	}
	w.configurationError(rw, r, s, status, func(v *configurationView) {
		v.ArgumentErrors = errs
		if rows == nil {
			return
		}
		next := 0
		for _, row := range rows {
			next = max(next, row.Index+1)
		}
		v.Arguments = append(rows, argumentRow{Index: next})
		v.ArgumentsNext = next + 1
	})
}
