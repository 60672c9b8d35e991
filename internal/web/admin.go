package web

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"atrium/internal/identity"
)

// Paths of the Users and groups section, one per tab.
const (
	pathUsers           = "/settings/users"
	pathGroups          = "/settings/groups"
	pathServiceAccounts = "/settings/service-accounts"
)

// sectionUsers is the navigation title of the section, and the page title of its tabs.
const sectionUsers = "Users and groups"

// adminRoutes are the routes of the Users and groups section. Each is refused to
// non-administrators before its handler runs.
func (w *Web) adminRoutes() []route {
	user := pathUsers + "/{id}"
	inv := pathUsers + "/invitations/{id}"
	group := pathGroups + "/{id}"
	sa := pathServiceAccounts + "/{id}"
	saKey := sa + "/credentials/{key}"
	return []route{
		{"GET " + pathUsers, w.adminPage(w.usersPage)},
		{"POST " + pathUsers + "/invite", w.adminAction(w.invite)},
		{"POST " + pathUsers + "/domains", w.adminAction(w.saveDomains)},
		{"POST " + user + "/role", w.adminAction(w.setRole)},
		{"GET " + user + "/deactivate", w.adminPage(w.deactivatePage)},
		{"POST " + user + "/deactivate", w.adminAction(w.deactivate)},
		{"POST " + user + "/reactivate", w.adminAction(w.reactivate)},
		{"GET " + user + "/remove", w.adminPage(w.removePage)},
		{"POST " + user + "/remove", w.adminAction(w.remove)},
		{"POST " + inv + "/resend", w.adminAction(w.resendInvitation)},
		{"GET " + inv + "/cancel", w.adminPage(w.cancelInvitationPage)},
		{"POST " + inv + "/cancel", w.adminAction(w.cancelInvitation)},
		{"GET " + pathGroups, w.adminPage(w.groupsPage)},
		{"GET " + pathGroups + "/new", w.adminPage(w.newGroupPage)},
		{"POST " + pathGroups, w.adminAction(w.createGroup)},
		{"GET " + group, w.adminPage(w.editGroupPage)},
		{"POST " + group, w.adminAction(w.updateGroup)},
		{"POST " + group + "/move", w.adminAction(w.moveGroup)},
		{"GET " + group + "/delete", w.adminPage(w.deleteGroupPage)},
		{"POST " + group + "/delete", w.adminAction(w.deleteGroup)},
		{"GET " + pathServiceAccounts, w.adminPage(w.serviceAccountsPage)},
		{"POST " + pathServiceAccounts, w.adminAction(w.createServiceAccount)},
		{"GET " + sa, w.adminPage(w.serviceAccountPage)},
		{"POST " + sa, w.adminAction(w.updateServiceAccount)},
		{"POST " + sa + "/credentials", w.adminAction(w.createAccountCredentials)},
		{"GET " + saKey + "/revoke", w.adminPage(w.revokeAccountCredentialsPage)},
		{"POST " + saKey + "/revoke", w.adminAction(w.revokeAccountCredentials)},
		{"GET " + sa + "/delete", w.adminPage(w.deleteServiceAccountPage)},
		{"POST " + sa + "/delete", w.adminAction(w.deleteServiceAccount)},
	}
}

// adminPage is page for administrators only; anyone else gets the not-found page, as if
// the section did not exist (the navigation does not show it to them either).
func (w *Web) adminPage(h handlerFunc) http.Handler { return w.page(w.onlyAdmins(h)) }

// adminAction is action for administrators only. The CSRF check runs first, so a forged
// request is refused the same way whoever's session it rides on.
func (w *Web) adminAction(h handlerFunc) http.Handler { return w.action(w.onlyAdmins(h)) }

func (w *Web) onlyAdmins(h handlerFunc) handlerFunc {
	return func(rw http.ResponseWriter, r *http.Request, s *session) {
		if !s.principal.IsAdmin() {
			w.notFound(rw, r, s)
			return
		}
		h(rw, r, s)
	}
}

// adminFrame is the frame of a page of a section with tabs: the chrome and the tabs.
type adminFrame struct {
	chrome
	Tabs tabBar
}

// tabBar is the row of tabs of a section; Label names it for screen readers.
type tabBar struct {
	Label string
	Items []navItem
}

// sectionFrame returns the frame of a page of the section at path, with the tab at
// current marked; sub is the page's own name, shown in the browser's title before the
// section's.
func (w *Web) sectionFrame(r *http.Request, s *session, title, path string, tabs []navItem,
	current, sub string) adminFrame {
	c := w.chrome(r, s, title, path)
	c.Subtitle = sub
	for i := range tabs {
		tabs[i].Current = tabs[i].Path == current
	}
	return adminFrame{chrome: c, Tabs: tabBar{Label: title, Items: tabs}}
}

// usersFrame returns the frame of a Users and groups page with tab marked current.
func (w *Web) usersFrame(r *http.Request, s *session, tab, sub string) adminFrame {
	tabs := []navItem{{Title: "Users", Path: pathUsers}, {Title: "Groups", Path: pathGroups},
		{Title: "Service accounts", Path: pathServiceAccounts}}
	return w.sectionFrame(r, s, sectionUsers, pathUsers, tabs, tab, sub)
}

// confirmation is what a destructive change asks before it happens: a heading and a
// message that name what is affected and say what happens, and the form that does it.
type confirmation struct {
	Heading string
	Message string
	Action  string
	Button  string
}

// confirmView is the no-script confirmation page.
type confirmView struct {
	adminFrame
	confirmation
	Back  string
	Error string // why the change was refused
}

// dialogView is the same confirmation as a <dialog> on the page, for scripts.
type dialogView struct {
	confirmation
	ID   string
	CSRF string
	Keep []hiddenField // where to return to
}

// hiddenField is one hidden input of a form.
type hiddenField struct {
	Name  string
	Value string
}

func (c confirmation) dialog(id, csrf string, keep ...hiddenField) dialogView {
	return dialogView{confirmation: c, ID: id, CSRF: csrf, Keep: keep}
}

// showConfirm renders a confirmation page under tab; errMsg, when set, says why the change
// was refused.
func (w *Web) showConfirm(rw http.ResponseWriter, r *http.Request, s *session, status int,
	tab string, c confirmation, back, errMsg string) {
	w.showConfirmIn(rw, r, status, w.usersFrame(r, s, tab, c.Button), c, back, errMsg)
}

// showConfirmIn renders a confirmation page in the frame of any section.
func (w *Web) showConfirmIn(rw http.ResponseWriter, r *http.Request, status int,
	frame adminFrame, c confirmation, back, errMsg string) {
	v := confirmView{adminFrame: frame, confirmation: c, Back: back, Error: errMsg}
	w.render(rw, r, status, tmplConfirm, v)
}

// refusal turns a service error into the message shown on a confirmation page and its
// status; internal errors are logged and shown generically.
func (w *Web) refusal(r *http.Request, err error) (string, int) {
	errs, status := w.formFailure(r, err, nil)
	return errs.Form(), status
}

// gone answers an action on something that does not exist (any more).
func (w *Web) gone(rw http.ResponseWriter, r *http.Request, s *session, what, back string) {
	w.fail(rw, r, s, http.StatusNotFound, "Not found",
		fmt.Sprintf("This %s does not exist or was already removed.", what), back)
}

// redirectWith answers a successful POST with a redirect to path, a fixed notice and the
// given query parameters (the users table's search and page, so the admin stays put).
func redirectWith(rw http.ResponseWriter, r *http.Request, path, notice string, q url.Values) {
	v := url.Values{}
	for k, vals := range q {
		for _, x := range vals {
			if x != "" {
				v.Add(k, x)
			}
		}
	}
	v.Set("notice", notice)
	http.Redirect(rw, r, path+"?"+v.Encode(), http.StatusSeeOther)
}

// namesOf returns the names of the groups in ids, in the workspace's group order, leaving
// out the built-in Users group that everyone is in.
func namesOf(groups []identity.Group, ids []string) []string {
	in := make(map[string]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	var out []string
	for _, g := range groups {
		if in[g.ID] && g.Kind != identity.GroupUsers {
			out = append(out, g.Name)
		}
	}
	return out
}

// when is a past moment as table cells show it: relative text, and the exact time for the
// title attribute; "Never" for the zero time.
type when struct {
	Text  string
	Exact string
}

func pastOf(now, t time.Time) when {
	if t.IsZero() {
		return when{Text: "Never"}
	}
	return when{Text: ago(now, t), Exact: exact(t)}
}
