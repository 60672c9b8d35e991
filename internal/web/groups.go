package web

import (
	"fmt"
	"net/http"
	"strings"

	"atrium/internal/identity"
)

// memberLimit is how many people the member picker lists besides the selected ones; a
// search narrows the rest.
const memberLimit = 100

// groupsView is the Groups tab: every group in its precedence order.
type groupsView struct {
	adminFrame
	Rows []groupRow
}

// groupRow is one group as the table shows it.
type groupRow struct {
	ID          string
	Position    int
	Name        string
	Description string
	Members     int
	BuiltIn     bool
	Editable    bool // not the built-in Users group
	Deletable   bool // custom groups only
	Up, Down    bool // can move
	Delete      dialogView
}

// groupFormView is the create and edit page of a group, with the member picker.
type groupFormView struct {
	adminFrame
	New         bool
	ID          string
	Action      string
	Name        string
	NameLocked  bool
	Description string
	IsAdmins    bool
	Filter      string
	Selected    []memberChoice
	Candidates  []memberChoice
	More        bool // more people match the search than are listed
	Errors      fieldErrors
}

// memberChoice is one person or service account in the member picker.
type memberChoice struct {
	ID      string
	Name    string
	Email   string
	Note    string // "service account", "invited", "deactivated"
	Checked bool
}

func (w *Web) groupsPage(rw http.ResponseWriter, r *http.Request, s *session) {
	groups, err := w.svc.Identity.Groups(r.Context())
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v := groupsView{adminFrame: w.usersFrame(r, s, pathGroups, "Groups")}
	for i, g := range groups {
		v.Rows = append(v.Rows, groupRow{ID: g.ID, Position: i + 1, Name: g.Name,
			Description: g.Description, Members: len(g.Members), BuiltIn: g.System,
			Editable: g.Assignable, Deletable: g.Kind == identity.GroupCustom, Up: i > 0,
			Down:   i < len(groups)-1,
			Delete: groupConfirmation(g).dialog("delete-"+g.ID, s.csrf)})
	}
	w.render(rw, r, http.StatusOK, tmplGroups, v)
}

func deleteGroupMessage(g identity.GroupView) string {
	members := "It has no members."
	switch n := len(g.Members); n {
	case 0:
	case 1:
		members = "Its 1 member loses the access granted through it, unless granted elsewhere."
	default:
		members = fmt.Sprintf("Its %d members lose the access granted through it, unless "+
			"granted elsewhere.", n)
	}
	return fmt.Sprintf("Delete the group %s? %s A group that access rules, vaults or resource "+
		"policies still use is not deleted; you will see what uses it.", g.Name, members)
}

// pathGroup finds the group named in the path, or answers with the error page.
func (w *Web) pathGroup(rw http.ResponseWriter, r *http.Request, s *session) (
	identity.GroupView, []identity.GroupView, bool) {
	groups, err := w.svc.Identity.Groups(r.Context())
	if err != nil {
		w.serverError(rw, r, s, err)
		return identity.GroupView{}, nil, false
	}
	for _, g := range groups {
		if g.ID == r.PathValue("id") {
			return g, groups, true
		}
	}
	w.gone(rw, r, s, "group", pathGroups)
	return identity.GroupView{}, nil, false
}

func (w *Web) newGroupPage(rw http.ResponseWriter, r *http.Request, s *session) {
	w.showGroupForm(rw, r, s, http.StatusOK, nil, groupInput{Members: []string{}},
		fieldErrors{})
}

func (w *Web) editGroupPage(rw http.ResponseWriter, r *http.Request, s *session) {
	g, _, ok := w.pathGroup(rw, r, s)
	if !ok || !w.groupEditable(rw, r, s, g) {
		return
	}
	in := groupInput{Name: g.Name, Description: g.Description, Members: g.Members}
	w.showGroupForm(rw, r, s, http.StatusOK, &g, in, fieldErrors{})
}

// groupEditable refuses the built-in Users group, which is everyone and fixed.
func (w *Web) groupEditable(rw http.ResponseWriter, r *http.Request, s *session,
	g identity.GroupView) bool {
	if g.Assignable {
		return true
	}
	w.fail(rw, r, s, http.StatusBadRequest, "Group cannot be edited",
		"The built-in "+g.Name+" group is everyone in the workspace; it cannot be edited.",
		pathGroups)
	return false
}

// groupInput is what the group form holds.
type groupInput struct {
	Name        string
	Description string
	Members     []string
	Filter      string
}

func groupInputOf(r *http.Request) groupInput {
	return groupInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"),
		Members: append([]string{}, r.PostForm["members"]...),
		Filter:  strings.TrimSpace(r.PostForm.Get("filter"))}
}

// showGroupForm renders the group form for g (nil: a new group) holding in.
func (w *Web) showGroupForm(rw http.ResponseWriter, r *http.Request, s *session, status int,
	g *identity.GroupView, in groupInput, errs fieldErrors) {
	v := groupFormView{adminFrame: w.usersFrame(r, s, pathGroups, "New group"), New: g == nil,
		Action: pathGroups, Name: in.Name, Description: in.Description, Filter: in.Filter,
		Errors: errs}
	kind := identity.Kind("")
	if g != nil {
		v.Subtitle = "Edit " + g.Name
		v.ID, v.Action = g.ID, pathGroups+"/"+g.ID
		v.NameLocked, v.IsAdmins = g.System, g.Kind == identity.GroupAdmins
		if v.NameLocked {
			v.Name = g.Name
		}
		if v.IsAdmins {
			kind = identity.KindPerson
		}
	}
	if err := w.memberChoices(r, &v, in, kind); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	w.render(rw, r, status, tmplGroupForm, v)
}

// memberChoices fills the picker: everyone selected, then up to memberLimit others matching
// the search.
func (w *Web) memberChoices(r *http.Request, v *groupFormView, in groupInput,
	kind identity.Kind) error {
	ctx := r.Context()
	selected := map[string]bool{}
	if len(in.Members) > 0 {
		res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: dedupe(in.Members),
			OrderBy: "name"})
		if err != nil {
			return err
		}
		for _, u := range res.Users {
			selected[u.ID] = true
			c := memberChoiceOf(u.User)
			c.Checked = true
			v.Selected = append(v.Selected, c)
		}
	}
	res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{Search: in.Filter, Kind: kind,
		OrderBy: "name", PageSize: memberLimit + len(selected)})
	if err != nil {
		return err
	}
	matched := 0
	for _, u := range res.Users {
		if selected[u.ID] {
			matched++
			continue
		}
		if len(v.Candidates) < memberLimit {
			v.Candidates = append(v.Candidates, memberChoiceOf(u.User))
		}
	}
	v.More = res.Total-matched > len(v.Candidates)
	return nil
}

func memberChoiceOf(u identity.User) memberChoice {
	c := memberChoice{ID: u.ID, Name: u.Name, Email: u.Email}
	switch {
	case u.Kind == identity.KindService:
		c.Note = "service account"
	case u.Status == identity.StatusInvited:
		c.Note = "invited"
	case u.Status == identity.StatusDeactivated:
		c.Note = "deactivated"
	}
	if strings.EqualFold(c.Email, c.Name) {
		c.Email = ""
	}
	return c
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func (w *Web) createGroup(rw http.ResponseWriter, r *http.Request, s *session) {
	w.saveGroup(rw, r, s, nil)
}

func (w *Web) updateGroup(rw http.ResponseWriter, r *http.Request, s *session) {
	g, _, ok := w.pathGroup(rw, r, s)
	if !ok || !w.groupEditable(rw, r, s, g) {
		return
	}
	w.saveGroup(rw, r, s, &g)
}

// saveGroup saves the form, or with op=filter only re-renders it with the member search
// applied (the picker's search without scripts), keeping everything typed and ticked.
func (w *Web) saveGroup(rw http.ResponseWriter, r *http.Request, s *session,
	g *identity.GroupView) {
	in := groupInputOf(r)
	if r.PostForm.Get("op") == "filter" {
		w.showGroupForm(rw, r, s, http.StatusOK, g, in, fieldErrors{})
		return
	}
	gi := identity.GroupInput{Description: &in.Description, Members: &in.Members}
	if g == nil || !g.System {
		gi.Name = &in.Name
	}
	if g != nil {
		gi.ID = g.ID
	}
	if _, err := w.svc.Identity.SaveGroup(r.Context(), gi); err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"name": "name",
			"description": "description", "users": "members"})
		w.showGroupForm(rw, r, s, status, g, in, errs)
		return
	}
	redirectNotice(rw, r, pathGroups, "group-saved")
}

// moveGroup moves a group one place up or down in the precedence order.
func (w *Web) moveGroup(rw http.ResponseWriter, r *http.Request, s *session) {
	g, groups, ok := w.pathGroup(rw, r, s)
	if !ok {
		return
	}
	ids := make([]string, len(groups))
	at := 0
	for i, x := range groups {
		ids[i] = x.ID
		if x.ID == g.ID {
			at = i
		}
	}
	to := at - 1
	if r.PostForm.Get("dir") == "down" {
		to = at + 1
	}
	if to < 0 || to >= len(ids) {
		redirectNotice(rw, r, pathGroups, "order")
		return
	}
	ids[at], ids[to] = ids[to], ids[at]
	if err := w.svc.Identity.SetGroupOrder(r.Context(), ids); err != nil {
		msg, status := w.refusal(r, err)
		w.fail(rw, r, s, status, "Order not saved", msg, pathGroups)
		return
	}
	redirectNotice(rw, r, pathGroups, "order")
}

// groupConfirmation asks before deleting a group.
func groupConfirmation(g identity.GroupView) confirmation {
	return confirmation{Heading: "Delete the group " + g.Name + "?",
		Message: deleteGroupMessage(g), Action: pathGroups + "/" + g.ID + "/delete",
		Button: "Delete group"}
}

func (w *Web) deleteGroupPage(rw http.ResponseWriter, r *http.Request, s *session) {
	g, _, ok := w.pathGroup(rw, r, s)
	if !ok {
		return
	}
	w.showConfirm(rw, r, s, http.StatusOK, pathGroups, groupConfirmation(g), pathGroups, "")
}

// deleteGroup deletes a custom group. A refusal (a built-in group, or one in use, with the
// list of what uses it) is shown on the confirmation page.
func (w *Web) deleteGroup(rw http.ResponseWriter, r *http.Request, s *session) {
	g, _, ok := w.pathGroup(rw, r, s)
	if !ok {
		return
	}
	if _, err := w.svc.Identity.DeleteGroups(r.Context(), []string{g.ID}); err != nil {
		msg, status := w.refusal(r, err)
		w.showConfirm(rw, r, s, status, pathGroups, groupConfirmation(g), pathGroups, msg)
		return
	}
	redirectNotice(rw, r, pathGroups, "group-deleted")
}
