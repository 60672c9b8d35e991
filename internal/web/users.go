package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"atrium/internal/identity"
)

// usersPerPage is the size of one page of the users table.
const usersPerPage = 50

// usersView is the Users tab: the people of the workspace, the invite form, pending
// invitations and the allowed e-mail domains.
type usersView struct {
	adminFrame
	Query        string
	Page         int
	Rows         []userRow
	Total        int
	From, To     int
	PrevURL      string
	NextURL      string
	Invite       inviteForm
	Invitations  []invitationRow
	Domains      string
	DomainErrors fieldErrors
	Seats        seats
}

// seats is how many people hold a seat (active or invited) and the cap, 0 for none.
type seats struct {
	Used int
	Max  int
	Full bool // no invitation can be sent
}

// userRow is one person as the table shows them.
type userRow struct {
	ID           string
	Name         string
	Email        string
	Self         bool
	Roles        []choice
	RoleError    string
	Groups       []string
	Status       string // active, invited, deactivated
	StatusLabel  string
	LastSignIn   when
	SignInMethod string
	LastAPI      when
	LastUI       when
	InvitationID string
	Deactivate   dialogView
	Remove       dialogView
	// ResetTwoFactor is the confirmation of a two-factor reset; nil while it is off.
	ResetTwoFactor *dialogView
	// TwoFactor says the person signs in with a password and a code.
	TwoFactor bool
}

// inviteForm is the state of the invite form.
type inviteForm struct {
	Emails string
	Roles  []choice
	Errors fieldErrors
}

// invitationRow is one pending invitation.
type invitationRow struct {
	ID          string
	Email       string
	Role        string
	Created     string // date
	CreatedAgo  string
	CreatedAt   string // exact, for the title
	Expires     string // date
	ExpiresWhen string // "in 6 days", "expired 2 days ago"
	ExpiresAt   string
	Expired     bool
	Cancel      dialogView
}

func roleChoices(selected identity.Role) []choice {
	return choose(string(selected), []choice{{Value: string(identity.RoleUser), Label: "User"},
		{Value: string(identity.RoleAdmin), Label: "Admin"}})
}

func (w *Web) usersPage(rw http.ResponseWriter, r *http.Request, s *session) {
	v, err := w.users(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	w.render(rw, r, http.StatusOK, tmplUsers, v)
}

// users loads the Users tab for the search and page in the request (query string, or the
// hidden fields of a refused form).
func (w *Web) users(r *http.Request, s *session) (usersView, error) {
	ctx := r.Context()
	q := strings.TrimSpace(r.FormValue("q"))
	page := pageNumber(r.FormValue("page"))
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{Search: q,
		Kind: identity.KindPerson, Page: page - 1, PageSize: usersPerPage, OrderBy: "name"})
	if err != nil {
		return usersView{}, err
	}
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		return usersView{}, err
	}
	invs, err := w.svc.Identity.Invitations(ctx)
	if err != nil {
		return usersView{}, err
	}
	domains, err := w.svc.Identity.AllowedDomains(ctx)
	if err != nil {
		return usersView{}, err
	}
	used, max, err := w.svc.Identity.Seats(ctx)
	if err != nil {
		return usersView{}, err
	}
	v := usersView{adminFrame: w.usersFrame(r, s, pathUsers, "Users"), Query: q, Page: page,
		Total: res.Total, Domains: strings.Join(domains, "\n"), DomainErrors: fieldErrors{},
		Invite: inviteForm{Roles: roleChoices(identity.RoleUser), Errors: fieldErrors{}},
		Seats:  seats{Used: used, Max: max, Full: max > 0 && used >= max}}
	v.paging(len(res.Users))
	keep := []hiddenField{{"q", q}, {"page", strconv.Itoa(page)}}
	byUser := map[string]string{}
	for _, inv := range invs {
		byUser[inv.UserID] = inv.ID
		v.Invitations = append(v.Invitations, w.invitationRowOf(inv, s.csrf, keep))
	}
	for _, u := range res.Users {
		row := w.userRowOf(u, groups, s, keep)
		row.InvitationID = byUser[u.ID]
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// pageNumber reads a 1-based page number; anything else is page 1.
func pageNumber(raw string) int {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1_000_000 {
		return 1
	}
	return n
}

// paging fills the "1–50 of 1,234" range and the previous and next links.
func (v *usersView) paging(shown int) {
	if shown > 0 {
		v.From = (v.Page-1)*usersPerPage + 1
		v.To = v.From + shown - 1
	}
	link := func(page int) string {
		q := url.Values{}
		if v.Query != "" {
			q.Set("q", v.Query)
		}
		if page > 1 {
			q.Set("page", strconv.Itoa(page))
		}
		if len(q) == 0 {
			return pathUsers
		}
		return pathUsers + "?" + q.Encode()
	}
	if v.Page > 1 {
		v.PrevURL = link(v.Page - 1)
	}
	if v.Page*usersPerPage < v.Total {
		v.NextURL = link(v.Page + 1)
	}
}

func (w *Web) userRowOf(u identity.UserRow, groups []identity.Group, s *session,
	keep []hiddenField) userRow {
	now := w.now()
	self := u.ID == s.principal.UserID
	row := userRow{ID: u.ID, Name: u.Name, Email: u.Email, Self: self,
		Roles: roleChoices(u.Role), Groups: namesOf(groups, u.Groups), Status: string(u.Status),
		StatusLabel: statusLabel(u.Status), LastSignIn: pastOf(now, u.LastLoginAt),
		SignInMethod: signInMethod(u.LastLoginMethod), LastAPI: pastOf(now, u.LastCredentials),
		LastUI: pastOf(now, u.LastUIAt)}
	row.Deactivate = userConfirmation(u, "deactivate", self).dialog("deactivate-"+u.ID, s.csrf,
		keep...)
	row.Remove = userConfirmation(u, "remove", self).dialog("remove-"+u.ID, s.csrf, keep...)
	row.TwoFactor = u.TwoFactorEnabled()
	if u.TwoFactorEnabled() && !self { // one's own is turned off on Profile
		d := resetTwoFactorConfirmation(u).dialog("reset-2fa-"+u.ID, s.csrf, keep...)
		row.ResetTwoFactor = &d
	}
	return row
}

func statusLabel(st identity.Status) string {
	switch st {
	case identity.StatusActive:
		return "Active"
	case identity.StatusInvited:
		return "Invited"
	case identity.StatusDeactivated:
		return "Deactivated"
	}
	return string(st)
}

// signInMethod names how someone last signed in: "password", "invitation", "SSO (okta)".
func signInMethod(m string) string {
	if name, ok := strings.CutPrefix(m, "sso:"); ok {
		return "SSO (" + name + ")"
	}
	return m
}

// who names a person in a confirmation: display name and e-mail.
func who(u identity.User) string {
	if u.Email == "" || strings.EqualFold(u.Name, u.Email) {
		return orDefault(u.Email, u.Name)
	}
	return u.Name + " (" + u.Email + ")"
}

// credentialsPhrase says what happens to n API credentials, with the verb for one and for
// many: "their 3 API credentials are revoked"; "" for none.
func credentialsPhrase(n int, one, many string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return "their 1 API credential " + one
	}
	return fmt.Sprintf("their %d API credentials %s", n, many)
}

func deactivateMessage(u identity.UserRow, self bool) string {
	what := "They can no longer sign in"
	if c := credentialsPhrase(u.Credentials, "stops working", "stop working"); c != "" {
		what += ", " + c
	}
	msg := fmt.Sprintf("Deactivate %s? %s and their sessions end at once; their objects stay. "+
		"You can reactivate them later.", who(u.User), what)
	if self {
		msg += " This is your own account: you will be signed out."
	}
	return msg
}

func removeMessage(u identity.UserRow, self bool) string {
	what := "Their sessions end at once"
	if c := credentialsPhrase(u.Credentials, "is revoked", "are revoked"); c != "" {
		what = capitalize(c) + " and their sessions end at once"
	}
	msg := fmt.Sprintf("Remove %s from the workspace? %s; the tasks, models and other objects "+
		"they own stay and keep showing their name. They can come back only with a new "+
		"invitation.", who(u.User), what)
	if self {
		msg += " This is your own account: you will be signed out."
	}
	return msg
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (w *Web) invitationRowOf(inv identity.Invitation, csrf string,
	keep []hiddenField) invitationRow {
	now := w.now()
	row := invitationRow{ID: inv.ID, Email: inv.Email, Role: string(inv.Role),
		Created: day(inv.CreatedAt), CreatedAgo: ago(now, inv.CreatedAt),
		CreatedAt: exact(inv.CreatedAt), Expires: day(inv.ExpiresAt),
		ExpiresWhen: until(now, inv.ExpiresAt), ExpiresAt: exact(inv.ExpiresAt),
		Expired: !now.Before(inv.ExpiresAt),
		Cancel:  cancelConfirmation(inv).dialog("cancel-"+inv.ID, csrf, keep...)}
	if row.Expired {
		row.ExpiresWhen = "expired " + ago(now, inv.ExpiresAt)
	}
	return row
}

// usersBack is the search and page a users-table form came from, to return to.
func usersBack(r *http.Request) url.Values {
	return url.Values{"q": {strings.TrimSpace(r.PostForm.Get("q"))},
		"page": {r.PostForm.Get("page")}}
}

// usersError re-renders the Users tab with a refused form's state applied.
func (w *Web) usersError(rw http.ResponseWriter, r *http.Request, s *session, status int,
	apply func(*usersView)) {
	v, err := w.users(r, s)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	apply(&v)
	w.render(rw, r, status, tmplUsers, v)
}

// person finds a person of the workspace (active, invited or deactivated) by id.
func (w *Web) person(ctx context.Context, id string) (identity.UserRow, bool, error) {
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: []string{id},
		Kind: identity.KindPerson})
	if err != nil || len(res.Users) == 0 {
		return identity.UserRow{}, false, err
	}
	return res.Users[0], true, nil
}

// pathPerson finds the person named in the path, or answers with the error page.
func (w *Web) pathPerson(rw http.ResponseWriter, r *http.Request, s *session) (
	identity.UserRow, bool) {
	u, ok, err := w.person(r.Context(), r.PathValue("id"))
	if err != nil {
		w.serverError(rw, r, s, err)
		return u, false
	}
	if !ok {
		w.gone(rw, r, s, "user", pathUsers)
	}
	return u, ok
}

func (w *Web) setRole(rw http.ResponseWriter, r *http.Request, s *session) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	role := identity.Role(r.PostForm.Get("role"))
	if err := w.svc.Identity.SetRole(r.Context(), u.ID, role); err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"role": "role"})
		msg := orDefault(errs.For("role"), errs.Form())
		w.usersError(rw, r, s, status, func(v *usersView) {
			for i := range v.Rows {
				if v.Rows[i].ID == u.ID {
					v.Rows[i].RoleError = msg
					v.Rows[i].Roles = roleChoices(role)
				}
			}
		})
		return
	}
	redirectWith(rw, r, pathUsers, "role", usersBack(r))
}

// userConfirmation asks before deactivating or removing a person (verb "deactivate" or
// "remove").
func userConfirmation(u identity.UserRow, verb string, self bool) confirmation {
	c := confirmation{Action: pathUsers + "/" + u.ID + "/" + verb}
	if verb == "deactivate" {
		c.Heading, c.Message, c.Button = "Deactivate "+u.Name+"?", deactivateMessage(u, self),
			"Deactivate"
		return c
	}
	c.Heading, c.Message, c.Button = "Remove "+u.Name+"?", removeMessage(u, self), "Remove"
	return c
}

func (w *Web) deactivatePage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.userConfirmPage(rw, r, s, "deactivate")
}

func (w *Web) removePage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.userConfirmPage(rw, r, s, "remove")
}

func (w *Web) userConfirmPage(rw http.ResponseWriter, r *http.Request, s *session,
	verb string) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	c := userConfirmation(u, verb, u.ID == s.principal.UserID)
	w.showConfirm(rw, r, s, http.StatusOK, pathUsers, c, pathUsers, "")
}

func (w *Web) deactivate(rw http.ResponseWriter, r *http.Request, s *session) {
	w.changeUser(rw, r, s, "deactivate", w.svc.Identity.Deactivate, "deactivated")
}

func (w *Web) remove(rw http.ResponseWriter, r *http.Request, s *session) {
	w.changeUser(rw, r, s, "remove", w.svc.Identity.Remove, "removed")
}

// changeUser runs a confirmed change to one person. A refusal (the last admin) is shown on
// the confirmation page.
func (w *Web) changeUser(rw http.ResponseWriter, r *http.Request, s *session, verb string,
	change func(context.Context, string) error, notice string) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	if err := change(r.Context(), u.ID); err != nil {
		msg, status := w.refusal(r, err)
		c := userConfirmation(u, verb, u.ID == s.principal.UserID)
		w.showConfirm(rw, r, s, status, pathUsers, c, pathUsers, msg)
		return
	}
	redirectWith(rw, r, pathUsers, notice, usersBack(r))
}

func (w *Web) reactivate(rw http.ResponseWriter, r *http.Request, s *session) {
	u, ok := w.pathPerson(rw, r, s)
	if !ok {
		return
	}
	if err := w.svc.Identity.Reactivate(r.Context(), u.ID); err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Not reactivated", msg, pathUsers)
		return
	}
	redirectWith(rw, r, pathUsers, "reactivated", usersBack(r))
}

func (w *Web) saveDomains(rw http.ResponseWriter, r *http.Request, s *session) {
	raw := r.PostForm.Get("domains")
	list := strings.FieldsFunc(raw, func(c rune) bool {
		return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
	if _, err := w.svc.Identity.SetAllowedDomains(r.Context(), list); err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"domains": "domains"})
		w.usersError(rw, r, s, status, func(v *usersView) {
			v.Domains, v.DomainErrors = raw, errs
		})
		return
	}
	redirectNotice(rw, r, pathUsers, "domains")
}
