package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/credential"
)

// expiryWarning is how far ahead a pair's expiry is flagged.
const expiryWarning = 7 * 24 * time.Hour

// workspaceView is the Workspace page: the API credentials table and the create form.
type workspaceView struct {
	chrome
	Rows        []credentialRow
	Expiring    []credentialRow // rows that lapse within expiryWarning, for the banner
	Count       int
	Max         int
	AtLimit     bool
	EditKey     string // the row whose label form is open
	LabelValue  string
	LabelErrors fieldErrors
	Create      createForm
	Expiries    []choice
	Graces      []choice
	VaultsOn    bool // the personal vault card is shown
	Vault       personalVaultView
}

// credentialRow is one pair as the table shows it.
type credentialRow struct {
	AccessKey     string
	Label         string
	Created       string
	CreatedExact  string
	Expires       string
	ExpiresExact  string
	Soon          bool
	Expired       bool
	LastUsed      string
	LastUsedExact string
	From          string
	SuccessorOf   string
}

// createForm is the state of the create form.
type createForm struct {
	Label  string
	Expiry string
	Days   string
	Errors fieldErrors
}

// choice is one option of a select.
type choice struct {
	Value    string
	Label    string
	Selected bool
}

func expiryChoices(selected string) []choice {
	return choose(selected, []choice{{Value: "never", Label: "Never"},
		{Value: "7", Label: "7 days"}, {Value: "30", Label: "30 days"},
		{Value: "90", Label: "90 days"}, {Value: "365", Label: "365 days"},
		{Value: "custom", Label: "Custom number of days"}})
}

// graces are the rotation grace periods offered, by value.
func graceChoices(selected string) []choice {
	return choose(selected, []choice{{Value: "1h", Label: "1 hour"},
		{Value: "1d", Label: "1 day"}, {Value: "7d", Label: "7 days"},
		{Value: "30d", Label: "30 days"}})
}

func choose(selected string, all []choice) []choice {
	for i := range all {
		all[i].Selected = all[i].Value == selected
	}
	return all
}

func graceOf(value string) (time.Duration, bool) {
	switch value {
	case "1h":
		return time.Hour, true
	case "1d":
		return 24 * time.Hour, true
	case "7d":
		return 7 * 24 * time.Hour, true
	case "30d":
		return 30 * 24 * time.Hour, true
	}
	return 0, false
}

func (w *Web) workspacePage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, err := w.workspace(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	if key := r.URL.Query().Get("edit"); key != "" {
		for _, row := range v.Rows {
			if row.AccessKey == key {
				v.EditKey, v.LabelValue = key, row.Label
			}
		}
	}
	w.render(rw, r, http.StatusOK, tmplWorkspace, v)
}

// workspace loads the caller's pairs into a fresh view.
func (w *Web) workspace(r *http.Request, s *session) (workspaceView, error) {
	list, err := w.svc.Credentials.List(r.Context())
	if err != nil {
		return workspaceView{}, err
	}
	now := w.now()
	v := workspaceView{chrome: w.chrome(r, s, "Workspace", pathWorkspace), Count: len(list),
		Max: w.svc.Credentials.MaxPerUser(), LabelErrors: fieldErrors{},
		Create:   createForm{Expiry: "never", Errors: fieldErrors{}},
		Expiries: expiryChoices("never"), Graces: graceChoices("1d")}
	v.AtLimit = v.Max > 0 && v.Count >= v.Max
	if v.VaultsOn = w.svc.Vaults != nil; v.VaultsOn {
		if v.Vault, err = w.personalVault(r.Context()); err != nil {
			return workspaceView{}, err
		}
	}
	for _, c := range list {
		row := credentialRowOf(now, c)
		v.Rows = append(v.Rows, row)
		if row.Soon {
			v.Expiring = append(v.Expiring, row)
		}
	}
	return v, nil
}

func credentialRowOf(now time.Time, c credential.View) credentialRow {
	row := credentialRow{AccessKey: c.AccessKey, Label: c.Label, Created: day(c.CreatedAt),
		CreatedExact: exact(c.CreatedAt), Expires: "Never", LastUsed: "Never",
		From: c.LastUsedFrom, SuccessorOf: c.SuccessorOf}
	if row.From == "" {
		row.From = "Not available"
	}
	if !c.LastUsedAt.IsZero() {
		row.LastUsed, row.LastUsedExact = ago(now, c.LastUsedAt), exact(c.LastUsedAt)
	}
	if !c.ExpiresAt.IsZero() {
		row.Expires, row.ExpiresExact = day(c.ExpiresAt), exact(c.ExpiresAt)
		row.Expired = !now.Before(c.ExpiresAt)
		row.Soon = !row.Expired && c.ExpiresAt.Sub(now) <= expiryWarning
		if row.Soon {
			row.Expires = until(now, c.ExpiresAt)
		}
	}
	return row
}

// workspaceError re-renders the page with a refused form's state applied.
func (w *Web) workspaceError(rw http.ResponseWriter, r *http.Request, s *session, status int,
	apply func(*workspaceView)) {
	v, err := w.workspace(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	apply(&v)
	w.render(rw, r, status, tmplWorkspace, v)
}

// expirySeconds reads the create form's expiry choice: nil for "never".
func expirySeconds(f createForm) (*int64, error) {
	days := 0
	switch f.Expiry {
	case "", "never":
		return nil, nil
	case "7", "30", "90", "365":
		days, _ = strconv.Atoi(f.Expiry)
	case "custom":
		n, err := strconv.Atoi(strings.TrimSpace(f.Days))
		if err != nil || n < 1 || n > 36500 {
			return nil, fieldError("days", "Enter a whole number of days from 1 to 36500.")
		}
		days = n
	default:
		return nil, fieldError("expiry", "Choose an expiry from the list.")
	}
	sec := int64(days) * 86400
	return &sec, nil
}

// createCredentials makes a pair and answers with the one-time secret page directly: the
// secret is never stored, so it cannot survive a redirect.
func (w *Web) createCredentials(rw http.ResponseWriter, r *http.Request, s *session) {
	f := createForm{Label: r.PostForm.Get("label"), Expiry: r.PostForm.Get("expiry"),
		Days: r.PostForm.Get("days")}
	exp, err := expirySeconds(f)
	var created credential.Created
	if err == nil {
		created, err = w.svc.Credentials.Create(r.Context(), f.Label, exp)
	}
	if err != nil {
		var status int
		f.Errors, status = w.formFailure(r, err, map[string]string{"label": "label",
			"expiry": "expiry", "days": "days", "expiration_sec": "expiry"})
		w.workspaceError(rw, r, s, status, func(v *workspaceView) {
			v.Create, v.Expiries = f, expiryChoices(f.Expiry)
		})
		return
	}
	w.showSecret(rw, r, s, created, nil)
}

func (w *Web) editLabel(rw http.ResponseWriter, r *http.Request, s *session) {
	key, label := r.PathValue("key"), r.PostForm.Get("label")
	if _, err := w.svc.Credentials.EditLabel(r.Context(), key, label); err != nil {
		if apperr.Is(err, apperr.Invalid) && apperr.As(err).Field == "access_key" {
			w.goneCredentials(rw, r, s)
			return
		}
		errs, status := w.formFailure(r, err, map[string]string{"label": "label"})
		w.workspaceError(rw, r, s, status, func(v *workspaceView) {
			v.EditKey, v.LabelValue, v.LabelErrors = key, label, errs
		})
		return
	}
	redirectNotice(rw, r, pathWorkspace, "label")
}

// goneCredentials answers an action on a pair the caller does not have (any more).
func (w *Web) goneCredentials(rw http.ResponseWriter, r *http.Request, s *session) {
	w.fail(rw, r, s, http.StatusNotFound, "Credentials not found",
		"These credentials do not exist or were already revoked.", pathWorkspace)
}

// findCredentials returns the caller's pair with the path's access key.
func (w *Web) findCredentials(r *http.Request) (credential.View, bool, error) {
	list, err := w.svc.Credentials.List(r.Context())
	if err != nil {
		return credential.View{}, false, err
	}
	for _, c := range list {
		if c.AccessKey == r.PathValue("key") {
			return c, true, nil
		}
	}
	return credential.View{}, false, nil
}
