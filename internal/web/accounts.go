package web

import (
	"fmt"
	"net/http"
	"strings"

	"atrium/internal/credential"
	"atrium/internal/identity"
)

// initialLabel labels the pair made together with a service account.
const initialLabel = "initial credentials"

// accountsView is the Service accounts tab: the table and the create form.
type accountsView struct {
	adminFrame
	Rows     []accountRow
	Create   accountForm
	Expiries []choice
}

// accountRow is one service account as the table shows it.
type accountRow struct {
	ID            string
	Name          string
	Groups        []string
	Credentials   int
	LastActive    when
	Impersonation bool
	Admin         bool
	Deactivated   bool
	Delete        dialogView
	DeleteEffect  string // what deletion does, for the page's delete card
}

// accountForm is the state of the create and edit forms of a service account.
type accountForm struct {
	Name          string
	Impersonation bool
	Admin         bool
	Groups        []groupChoice
	Expiry        string
	Errors        fieldErrors
	// AdminAllowed shows the admin switch: the server lets service accounts be admins.
	AdminAllowed bool
}

// groupChoice is one group a service account can be put in.
type groupChoice struct {
	ID      string
	Name    string
	Checked bool
}

// accountView is one service account's page: edit form, credentials and delete.
type accountView struct {
	adminFrame
	Account          accountRow
	Edit             accountForm
	Credentials      []accountCredentialRow
	CredentialsError string
	NewCredentials   createForm
	Expiries         []choice
	Max              int
	AtLimit          bool
}

// accountCredentialRow is one pair of a service account and its revoke confirmation.
type accountCredentialRow struct {
	credentialRow
	Revoke dialogView
}

// accountSecretView is the one-time page after creating a service account or another pair
// for one: the only time the secret is shown, as an agent-ready clearml.conf block.
type accountSecretView struct {
	adminFrame
	AccountID     string
	AccountName   string
	New           bool
	Impersonation bool
	AccessKey     string
	SecretKey     string
	Label         string
	Expires       string
	Conf          string
}

// accountExpiries are the expiries offered for a service account's pairs.
func accountExpiries(selected string) []choice {
	var out []choice
	for _, c := range expiryChoices(selected) {
		if c.Value != "custom" {
			out = append(out, c)
		}
	}
	return out
}

// assignableGroups are the groups a service account can be put in by hand: not Users
// (everyone) and not Admins (the admin switch).
func assignableGroups(groups []identity.Group, checked []string) []groupChoice {
	in := map[string]bool{}
	for _, id := range checked {
		in[id] = true
	}
	var out []groupChoice
	for _, g := range groups {
		if g.Kind == identity.GroupUsers || g.Kind == identity.GroupAdmins {
			continue
		}
		out = append(out, groupChoice{ID: g.ID, Name: g.Name, Checked: in[g.ID]})
	}
	return out
}

func (w *Web) accountRowOf(u identity.UserRow, groups []identity.Group,
	csrf string) accountRow {
	row := accountRow{ID: u.ID, Name: u.Name, Groups: namesOf(groups, u.Groups),
		Credentials: u.Credentials, LastActive: pastOf(w.now(), u.LastCredentials),
		Impersonation: u.AllowImpersonation, Admin: u.Role == identity.RoleAdmin,
		Deactivated: u.Status == identity.StatusDeactivated}
	row.Delete = accountConfirmation(u).dialog("delete-"+u.ID, csrf)
	row.DeleteEffect = deleteAccountEffect(u)
	return row
}

// deleteAccountEffect says what deleting a service account does.
func deleteAccountEffect(u identity.UserRow) string {
	creds := "It has no credentials."
	switch u.Credentials {
	case 0:
	case 1:
		creds = "Its 1 credential stops working at once; agents using it start failing."
	default:
		creds = fmt.Sprintf("Its %d credentials stop working at once; agents using them "+
			"start failing.", u.Credentials)
	}
	return creds + " Its tasks and other objects stay."
}

func (w *Web) serviceAccountsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, err := w.accounts(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	w.render(rw, r, http.StatusOK, tmplServiceAccounts, v)
}

func (w *Web) accounts(r *http.Request, s *session) (accountsView, error) {
	ctx := r.Context()
	list, err := w.svc.Identity.ServiceAccounts(ctx)
	if err != nil {
		return accountsView{}, err
	}
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		return accountsView{}, err
	}
	v := accountsView{adminFrame: w.usersFrame(r, s, pathServiceAccounts, "Service accounts"),
		Create: accountForm{Groups: assignableGroups(groups, nil), Expiry: "never",
			Errors: fieldErrors{}, AdminAllowed: w.svc.Identity.AllowsAdminServiceAccounts()},
		Expiries: accountExpiries("never")}
	for _, u := range list {
		v.Rows = append(v.Rows, w.accountRowOf(u, groups, s.csrf))
	}
	return v, nil
}

// accountFormOf reads the create or edit form.
func (w *Web) accountFormOf(r *http.Request, groups []identity.Group) (accountForm, []string) {
	ids := dedupe(r.PostForm["groups"])
	return accountForm{Name: strings.TrimSpace(r.PostForm.Get("name")),
		Impersonation: r.PostForm.Get("impersonation") != "",
		Admin:         r.PostForm.Get("admin") != "", Groups: assignableGroups(groups, ids),
		Expiry: r.PostForm.Get("expiry"), Errors: fieldErrors{},
		AdminAllowed: w.svc.Identity.AllowsAdminServiceAccounts()}, append([]string{}, ids...)
}

// accountFields maps the services' field names to the account form's inputs.
func accountFields() map[string]string {
	return map[string]string{"name": "name", "admin": "admin", "role": "admin",
		"groups": "groups", "expiry": "expiry", "expiration_sec": "expiry"}
}

func (w *Web) createServiceAccount(rw http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	f, ids := w.accountFormOf(r, groups)
	exp, err := expirySeconds(createForm{Expiry: f.Expiry})
	var u identity.User
	if err == nil {
		in := identity.ServiceAccountInput{Name: &f.Name, AllowImpersonation: &f.Impersonation,
			Groups: &ids}
		if f.Admin {
			in.Admin = &f.Admin
		}
		u, err = w.svc.Identity.CreateServiceAccount(ctx, in)
	}
	if err != nil {
		errs, status := w.formFailure(r, err, accountFields())
		v, err := w.accounts(r, s)
		if err != nil {
			w.serverError(rw, r, s, err)
			return
		}
		f.Errors = errs
		v.Create, v.Expiries = f, accountExpiries(f.Expiry)
		w.render(rw, r, status, tmplServiceAccounts, v)
		return
	}
	created, err := w.svc.Credentials.CreateFor(ctx, u.ID, initialLabel, exp)
	if err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Credentials not created", "The service account "+u.Name+
			" was created, but its first credentials were not: "+msg+
			" Create them on the account's page.", pathServiceAccounts+"/"+u.ID)
		return
	}
	w.showAccountSecret(rw, r, s, u, created, true)
}

// showAccountSecret renders the one-time page of a service account's new pair.
func (w *Web) showAccountSecret(rw http.ResponseWriter, r *http.Request, s *session,
	u identity.User, c credential.Created, isNew bool) {
	v := accountSecretView{adminFrame: w.usersFrame(r, s, pathServiceAccounts, u.Name),
		AccountID: u.ID, AccountName: u.Name, New: isNew, Impersonation: u.AllowImpersonation,
		AccessKey: c.AccessKey, SecretKey: c.SecretKey, Label: c.Label, Expires: "Never",
		Conf: confSnippet(w.opts.PublicURL, "service account "+u.Name, c.AccessKey,
			c.SecretKey)}
	if !c.ExpiresAt.IsZero() {
		v.Expires = exact(c.ExpiresAt)
	}
	rw.Header().Set("Pragma", "no-cache")
	w.render(rw, r, http.StatusOK, tmplAccountSecret, v)
}

// pathAccount finds the service account named in the path and the workspace's groups, or
// answers with the error page.
func (w *Web) pathAccount(rw http.ResponseWriter, r *http.Request, s *session) (
	identity.UserRow, []identity.Group, bool) {
	list, err := w.svc.Identity.ServiceAccounts(r.Context())
	var groups []identity.Group
	if err == nil {
		groups, err = w.svc.Identity.GroupList(r.Context())
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return identity.UserRow{}, nil, false
	}
	for _, u := range list {
		if u.ID == r.PathValue("id") {
			return u, groups, true
		}
	}
	w.gone(rw, r, s, "service account", pathServiceAccounts)
	return identity.UserRow{}, nil, false
}

func (w *Web) serviceAccountPage(rw http.ResponseWriter, r *http.Request, s *session) {
	u, groups, ok := w.pathAccount(rw, r, s)
	if !ok {
		return
	}
	w.showAccount(rw, r, s, http.StatusOK, u, groups, func(*accountView) {})
}

// showAccount renders a service account's page with a refused form's state applied.
func (w *Web) showAccount(rw http.ResponseWriter, r *http.Request, s *session, status int,
	u identity.UserRow, groups []identity.Group, apply func(*accountView)) {
	row := w.accountRowOf(u, groups, s.csrf)
	v := accountView{adminFrame: w.usersFrame(r, s, pathServiceAccounts, u.Name), Account: row,
		Edit: accountForm{AdminAllowed: w.svc.Identity.AllowsAdminServiceAccounts(),
			Name: u.Name, Impersonation: row.Impersonation, Admin: row.Admin,
			Groups: assignableGroups(groups, u.Groups), Errors: fieldErrors{}},
		NewCredentials: createForm{Expiry: "never", Errors: fieldErrors{}},
		Expiries:       accountExpiries("never"), Max: w.svc.Credentials.MaxPerUser()}
	list, err := w.svc.Credentials.ListFor(r.Context(), u.ID)
	switch {
	case err != nil && row.Deactivated:
		v.CredentialsError = "This service account is deactivated; its credentials do not work."
	case err != nil:
		w.serverError(rw, r, s, err)
		return
	}
	for _, c := range list {
		v.Credentials = append(v.Credentials, accountCredentialRow{
			credentialRow: credentialRowOf(w.now(), c),
			Revoke:        revokeConfirmation(u, c).dialog("revoke-"+c.AccessKey, s.csrf)})
	}
	v.AtLimit = v.Max > 0 && len(list) >= v.Max
	apply(&v)
	w.render(rw, r, status, tmplServiceAccount, v)
}

func (w *Web) updateServiceAccount(rw http.ResponseWriter, r *http.Request, s *session) {
	u, groups, ok := w.pathAccount(rw, r, s)
	if !ok {
		return
	}
	f, ids := w.accountFormOf(r, groups)
	in := identity.ServiceAccountInput{Name: &f.Name, AllowImpersonation: &f.Impersonation,
		Groups: &ids}
	if f.Admin != (u.Role == identity.RoleAdmin) {
		in.Admin = &f.Admin
	}
	if _, err := w.svc.Identity.UpdateServiceAccount(r.Context(), u.ID, in); err != nil {
		errs, status := w.formFailure(r, err, accountFields())
		f.Errors = errs
		w.showAccount(rw, r, s, status, u, groups, func(v *accountView) { v.Edit = f })
		return
	}
	redirectNotice(rw, r, pathServiceAccounts+"/"+u.ID, "account-saved")
}

func (w *Web) createAccountCredentials(rw http.ResponseWriter, r *http.Request, s *session) {
	u, groups, ok := w.pathAccount(rw, r, s)
	if !ok {
		return
	}
	f := createForm{Label: r.PostForm.Get("label"), Expiry: r.PostForm.Get("expiry")}
	exp, err := expirySeconds(f)
	var created credential.Created
	if err == nil {
		created, err = w.svc.Credentials.CreateFor(r.Context(), u.ID, f.Label, exp)
	}
	if err != nil {
		var status int
		f.Errors, status = w.formFailure(r, err, map[string]string{"label": "label",
			"expiry": "expiry", "expiration_sec": "expiry"})
		w.showAccount(rw, r, s, status, u, groups, func(v *accountView) {
			v.NewCredentials, v.Expiries = f, accountExpiries(f.Expiry)
		})
		return
	}
	w.showAccountSecret(rw, r, s, u.User, created, false)
}

// accountCredentials finds the account and its pair named in the path, or answers with the
// error page.
func (w *Web) accountCredentials(rw http.ResponseWriter, r *http.Request, s *session) (
	identity.UserRow, credential.View, bool) {
	u, _, ok := w.pathAccount(rw, r, s)
	if !ok {
		return u, credential.View{}, false
	}
	list, err := w.svc.Credentials.ListFor(r.Context(), u.ID)
	if err != nil {
		w.serverError(rw, r, s, err)
		return u, credential.View{}, false
	}
	for _, c := range list {
		if c.AccessKey == r.PathValue("key") {
			return u, c, true
		}
	}
	w.gone(rw, r, s, "pair of credentials", pathServiceAccounts+"/"+u.ID)
	return u, credential.View{}, false
}

// revokeConfirmation asks before revoking a pair of a service account.
func revokeConfirmation(u identity.UserRow, c credential.View) confirmation {
	return confirmation{Heading: "Revoke " + orDefault(c.Label, "unlabelled credentials") +
		" of " + u.Name + "?",
		Message: fmt.Sprintf("Revoke the access key %s (%s) of the service account %s? "+
			"Every agent or script using it stops working at once. This cannot be undone.",
			c.AccessKey, orDefault(c.Label, "unlabelled"), u.Name),
		Action: pathServiceAccounts + "/" + u.ID + "/credentials/" + c.AccessKey + "/revoke",
		Button: "Revoke"}
}

func (w *Web) revokeAccountCredentialsPage(rw http.ResponseWriter, r *http.Request,
	s *session) {
	u, c, ok := w.accountCredentials(rw, r, s)
	if !ok {
		return
	}
	w.showConfirm(rw, r, s, http.StatusOK, pathServiceAccounts, revokeConfirmation(u, c),
		pathServiceAccounts+"/"+u.ID, "")
}

func (w *Web) revokeAccountCredentials(rw http.ResponseWriter, r *http.Request, s *session) {
	u, c, ok := w.accountCredentials(rw, r, s)
	if !ok {
		return
	}
	if err := w.svc.Credentials.RevokeFor(r.Context(), u.ID, c.AccessKey); err != nil {
		msg, status := w.refusal(r, err)
		w.showConfirm(rw, r, s, status, pathServiceAccounts, revokeConfirmation(u, c),
			pathServiceAccounts+"/"+u.ID, msg)
		return
	}
	redirectNotice(rw, r, pathServiceAccounts+"/"+u.ID, "account-revoked")
}

// accountConfirmation asks before deleting a service account.
func accountConfirmation(u identity.UserRow) confirmation {
	return confirmation{Heading: "Delete the service account " + u.Name + "?",
		Message: "Delete the service account " + u.Name + "? " + deleteAccountEffect(u),
		Action:  pathServiceAccounts + "/" + u.ID + "/delete",
		Button:  "Delete service account"}
}

func (w *Web) deleteServiceAccountPage(rw http.ResponseWriter, r *http.Request, s *session) {
	u, _, ok := w.pathAccount(rw, r, s)
	if !ok {
		return
	}
	w.showConfirm(rw, r, s, http.StatusOK, pathServiceAccounts, accountConfirmation(u),
		pathServiceAccounts, "")
}

func (w *Web) deleteServiceAccount(rw http.ResponseWriter, r *http.Request, s *session) {
	u, _, ok := w.pathAccount(rw, r, s)
	if !ok {
		return
	}
	if err := w.svc.Identity.Remove(r.Context(), u.ID); err != nil {
		msg, status := w.refusal(r, err)
		w.showConfirm(rw, r, s, status, pathServiceAccounts, accountConfirmation(u),
			pathServiceAccounts, msg)
		return
	}
	redirectNotice(rw, r, pathServiceAccounts, "account-deleted")
}
