package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"atrium/internal/access"
	"atrium/internal/identity"
	"atrium/internal/registry"
)

// Paths and title of the Access rules section.
const (
	pathAccess        = "/settings/access-rules"
	pathAccessExplain = pathAccess + "/explain"
	pathAccessRestore = pathAccess + "/restore"
	sectionAccess     = "Access rules"
)

// objectLimit is how many objects (and people) a picker lists; a search narrows the rest.
const objectLimit = 50

// accessRoutes are the section's routes, for administrators only; none without the
// access service, so the section's addresses answer 404.
func (w *Web) accessRoutes() []route {
	if w.svc.Access == nil {
		return nil
	}
	rule := pathAccess + "/{id}"
	return []route{
		{"GET " + pathAccess, w.adminPage(w.accessRulesPage)},
		{"GET " + pathAccess + "/new", w.adminPage(w.newAccessRulePage)},
		{"POST " + pathAccess, w.adminAction(w.createAccessRule)},
		{"GET " + pathAccessExplain, w.adminPage(w.explainPage)},
		{"GET " + pathAccessRestore, w.adminPage(w.restoreRulesPage)},
		{"POST " + pathAccessRestore, w.adminAction(w.restoreRules)},
		{"GET " + rule, w.adminPage(w.editAccessRulePage)},
		{"POST " + rule, w.adminAction(w.updateAccessRule)},
		{"GET " + rule + "/delete", w.adminPage(w.deleteAccessRulePage)},
		{"POST " + rule + "/delete", w.adminAction(w.deleteAccessRule)},
	}
}

func accessNoticeText(code string) string {
	switch code {
	case "rule-saved":
		return "Access rule saved. It applies from the next request."
	case "rule-deleted":
		return "Access rule deleted. It applies from the next request."
	case "rules-restored":
		return "Default rules restored."
	}
	return twoFactorNoticeText(code)
}

// accessFrame is the frame of an Access rules page with tab marked current.
func (w *Web) accessFrame(r *http.Request, s *session, tab, sub string) adminFrame {
	tabs := []navItem{{Title: "Rules", Path: pathAccess}, {Title: "Explain", Path: pathAccessExplain}}
	return w.sectionFrame(r, s, sectionAccess, pathAccess, tabs, tab, sub)
}

// option is one choice of a select.
type option struct {
	Value    string
	Label    string
	Selected bool
}

func typeOptions(selected string, any string) []option {
	var out []option
	if any != "" {
		out = append(out, option{Value: "", Label: any, Selected: selected == ""})
	}
	for _, t := range access.EntityTypes {
		out = append(out, option{Value: string(t), Label: typeTitle(t),
			Selected: string(t) == selected})
	}
	return out
}

func typeTitle(t access.EntityType) string {
	switch t {
	case access.Project:
		return "Project"
	case access.Task:
		return "Task"
	case access.Model:
		return "Model"
	case access.Dataset:
		return "Dataset"
	case access.Queue:
		return "Queue"
	}
	return string(t)
}

func permissionTitle(p access.Permission) string {
	if p == access.ReadWrite {
		return "Read and write"
	}
	return "Read"
}

// rulesView is the rules table with its filters.
type rulesView struct {
	adminFrame
	Types      []option
	Resources  []option
	Principals []option
	Filtered   bool
	Rows       []ruleRow
	Restore    dialogView
}

// ruleRow is one rule as the table shows it.
type ruleRow struct {
	ID          string
	Name        string
	Description string
	Type        string
	Resource    string
	All         bool
	Permission  string
	Users       []string
	Groups      []string
	Dangling    []string
	Autocreated bool
	Delete      dialogView
}

// names resolves what rules point at: objects by type and id, people, groups.
type names struct {
	objects map[access.EntityType]map[string]string
	users   map[string]string
	groups  map[string]string
}

func (n names) object(t access.EntityType, id string) string {
	if id == access.All {
		return "All"
	}
	if s, ok := n.objects[t][id]; ok {
		return s
	}
	return id
}

func (n names) user(id string) string {
	if s, ok := n.users[id]; ok {
		return s
	}
	return id
}

func (n names) group(id string) string {
	if s, ok := n.groups[id]; ok {
		return s
	}
	return id
}

// resolve looks up the names of everything the rules mention.
func (w *Web) resolve(r *http.Request, rules []access.RuleView) (names, error) {
	ctx := r.Context()
	n := names{objects: map[access.EntityType]map[string]string{}, users: map[string]string{},
		groups: map[string]string{}}
	ids := map[access.EntityType][]string{}
	var users []string
	for _, x := range rules {
		if x.EntityID != access.All {
			ids[x.EntityType] = append(ids[x.EntityType], x.EntityID)
		}
		users = append(users, x.Users...)
	}
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		return n, err
	}
	for _, g := range groups {
		n.groups[g.ID] = g.Name
	}
	if users = dedupe(users); len(users) > 0 {
		res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: users,
			PageSize: len(users)})
		if err != nil {
			return n, err
		}
		for _, u := range res.Users {
			n.users[u.ID] = u.Name
		}
	}
	for t, list := range ids {
		objs, err := w.objects(r, t, "", dedupe(list))
		if err != nil {
			return n, err
		}
		n.objects[t] = map[string]string{}
		for _, o := range objs {
			n.objects[t][o.ID] = o.Name
		}
	}
	return n, nil
}

// objectChoice is one object in the picker, with what tells same-named ones apart.
type objectChoice struct {
	ID      string
	Short   string
	Name    string
	Project string
	Owner   string
	Created when
	Checked bool
}

// objects lists objects of a type: those with ids, or up to objectLimit whose name
// contains search, after the one whose id is the search, if any. Without a registry there
// is nothing to list.
func (w *Web) objects(r *http.Request, t access.EntityType, search string, ids []string) (
	[]objectChoice, error) {
	if search == "" || len(ids) > 0 {
		return w.listObjects(r, t, search, ids)
	}
	byID, err := w.listObjects(r, t, "", []string{search})
	if err != nil {
		return nil, err
	}
	byName, err := w.listObjects(r, t, search, nil)
	if err != nil {
		return nil, err
	}
	for _, o := range byName {
		if len(byID) == 0 || o.ID != byID[0].ID {
			byID = append(byID, o)
		}
	}
	return byID, nil
}

func (w *Web) listObjects(r *http.Request, t access.EntityType, search string, ids []string) (
	[]objectChoice, error) {
	reg := w.svc.Registry
	if reg == nil {
		return nil, nil
	}
	ctx := r.Context()
	name := ""
	if search != "" {
		name = "(?i)" + regexp.QuoteMeta(search)
	}
	page := registry.Page{Limit: objectLimit}
	if len(ids) > 0 {
		page = registry.Page{Limit: len(ids)}
	}
	now := w.now()
	var out []objectChoice
	var owners, projects []string
	switch t {
	case access.Project:
		list, err := reg.Projects(ctx, registry.ProjectQuery{IDs: ids, Name: name,
			SearchHidden: true, OrderBy: []string{"name"}, Page: page})
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			out = append(out, objectChoice{ID: p.ID, Name: p.Name, Owner: p.UserID,
				Created: pastOf(now, p.CreatedAt)})
			owners = append(owners, p.UserID)
		}
	case access.Task, access.Dataset:
		q := registry.TaskQuery{IDs: ids, Name: name, SearchHidden: true,
			OrderBy: []string{"name"}, Page: page}
		if t == access.Dataset {
			q.SystemTags = []string{registry.TagDataset}
		}
		list, err := reg.Tasks(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			out = append(out, objectChoice{ID: x.ID, Name: x.Name, Project: x.ProjectID,
				Owner: x.UserID, Created: pastOf(now, x.CreatedAt)})
			owners, projects = append(owners, x.UserID), append(projects, x.ProjectID)
		}
	case access.Model:
		list, err := reg.Models(ctx, registry.ModelQuery{IDs: ids, Name: name,
			OrderBy: []string{"name"}, Page: page})
		if err != nil {
			return nil, err
		}
		for _, m := range list {
			out = append(out, objectChoice{ID: m.ID, Name: m.Name, Project: m.ProjectID,
				Owner: m.UserID, Created: pastOf(now, m.CreatedAt)})
			owners, projects = append(owners, m.UserID), append(projects, m.ProjectID)
		}
	case access.Queue:
		list, err := reg.Queues(ctx, registry.QueueQuery{IDs: ids, Name: name,
			OrderBy: []string{"name"}, Page: page})
		if err != nil {
			return nil, err
		}
		for _, q := range list {
			out = append(out, objectChoice{ID: q.ID, Name: q.Name, Owner: q.UserID,
				Created: pastOf(now, q.CreatedAt)})
			owners = append(owners, q.UserID)
		}
	}
	pnames := map[string]string{}
	if projects = dedupe(projects); len(projects) > 0 {
		list, err := reg.Projects(ctx, registry.ProjectQuery{IDs: projects, SearchHidden: true,
			Page: registry.Page{Limit: len(projects)}})
		if err != nil {
			return nil, err
		}
		for _, p := range list {
			pnames[p.ID] = p.Name
		}
	}
	unames := map[string]string{}
	if owners = dedupe(owners); len(owners) > 0 {
		res, err := w.svc.Identity.UsersEx(ctx, identity.UserQuery{IDs: owners,
			PageSize: len(owners)})
		if err != nil {
			return nil, err
		}
		for _, u := range res.Users {
			unames[u.ID] = u.Name
		}
	}
	for i := range out {
		out[i].Short = shortID(out[i].ID)
		if out[i].Project != "" {
			out[i].Project = orDefault(pnames[out[i].Project], "(no project)")
		}
		out[i].Owner = unames[out[i].Owner]
	}
	return out, nil
}

func (w *Web) accessRulesPage(rw http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	typ, resource, principal := q.Get("type"), q.Get("resource"), q.Get("principal")
	all, err := w.svc.Access.Rules(r.Context(), access.Filter{})
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	n, err := w.resolve(r, all)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v := rulesView{adminFrame: w.accessFrame(r, s, pathAccess, ""),
		Types:    typeOptions(typ, "All types"),
		Filtered: typ != "" || resource != "" || principal != "",
		Restore:  restoreRulesConfirmation().dialog("restore-defaults", s.csrf)}
	v.Resources = []option{{Value: "", Label: "Any resource", Selected: resource == ""}}
	v.Principals = []option{{Value: "", Label: "Anyone", Selected: principal == ""}}
	seenRes, seenP := map[string]bool{}, map[string]bool{}
	for _, x := range all {
		key := string(x.EntityType) + ":" + x.EntityID
		if !seenRes[key] && (typ == "" || string(x.EntityType) == typ) {
			seenRes[key] = true
			v.Resources = append(v.Resources, option{Value: key, Selected: key == resource,
				Label: typeTitle(x.EntityType) + ": " + n.object(x.EntityType, x.EntityID)})
		}
		for _, u := range x.Users {
			if k := "u:" + u; !seenP[k] {
				seenP[k] = true
				v.Principals = append(v.Principals, option{Value: k, Selected: k == principal,
					Label: "User: " + n.user(u)})
			}
		}
		for _, g := range x.Groups {
			if k := "g:" + g; !seenP[k] {
				seenP[k] = true
				v.Principals = append(v.Principals, option{Value: k, Selected: k == principal,
					Label: "Group: " + n.group(g)})
			}
		}
	}
	for _, x := range all {
		key := string(x.EntityType) + ":" + x.EntityID
		if (typ != "" && string(x.EntityType) != typ) || (resource != "" && key != resource) ||
			(principal != "" && !slices.Contains(x.Users, strings.TrimPrefix(principal, "u:")) &&
				!slices.Contains(x.Groups, strings.TrimPrefix(principal, "g:"))) {
			continue
		}
		row := ruleRow{ID: x.ID, Name: x.Name, Description: x.Description,
			Type: typeTitle(x.EntityType), Resource: n.object(x.EntityType, x.EntityID),
			All: x.EntityID == access.All, Permission: permissionTitle(x.Permission),
			Dangling: x.Dangling, Autocreated: x.Autocreated}
		for _, u := range x.Users {
			row.Users = append(row.Users, n.user(u))
		}
		for _, g := range x.Groups {
			row.Groups = append(row.Groups, n.group(g))
		}
		keep := []hiddenField{{"type", typ}, {"resource", resource}, {"principal", principal}}
		row.Delete = ruleConfirmation(x, n).dialog("delete-"+x.ID, s.csrf, keep...)
		v.Rows = append(v.Rows, row)
	}
	w.render(rw, r, http.StatusOK, tmplAccessRules, v)
}

// loses says who loses what when a rule goes: "Group X and user Y lose read access to
// project Z".
func loses(x access.RuleView, n names) string {
	var who []string
	for _, g := range x.Groups {
		who = append(who, "group "+n.group(g))
	}
	for _, u := range x.Users {
		who = append(who, "user "+n.user(u))
	}
	subject := "No one"
	switch len(who) {
	case 0:
	case 1:
		subject = who[0]
	default:
		subject = strings.Join(who[:len(who)-1], ", ") + " and " + who[len(who)-1]
	}
	subject = strings.ToUpper(subject[:1]) + subject[1:]
	verb := "loses"
	if len(who) > 1 {
		verb = "lose"
	}
	what := string(x.EntityType) + " " + n.object(x.EntityType, x.EntityID)
	if x.EntityID == access.All {
		what = "all " + string(x.EntityType) + "s"
	}
	perm := "read"
	if x.Permission == access.ReadWrite {
		perm = "read and write"
	}
	return fmt.Sprintf("%s %s %s access to %s, unless another rule grants it.", subject, verb,
		perm, what)
}

func ruleConfirmation(x access.RuleView, n names) confirmation {
	return confirmation{Heading: "Delete the rule " + x.Name + "?", Message: loses(x, n),
		Action: pathAccess + "/" + x.ID + "/delete", Button: "Delete rule"}
}

func restoreRulesConfirmation() confirmation {
	return confirmation{Heading: "Restore the default rules?",
		Message: "The Users group gets read and write access to every project, task, model, " +
			"dataset and queue again, so everyone sees everything. Your own rules stay.",
		Action: pathAccessRestore, Button: "Restore default rules"}
}

// pathRule finds the rule named in the path, or answers with the error page.
func (w *Web) pathRule(rw http.ResponseWriter, r *http.Request, s *session) (access.RuleView,
	bool) {
	all, err := w.svc.Access.Rules(r.Context(), access.Filter{})
	if err != nil {
		w.serverError(rw, r, s, err)
		return access.RuleView{}, false
	}
	for _, x := range all {
		if x.ID == r.PathValue("id") {
			return x, true
		}
	}
	w.gone(rw, r, s, "access rule", pathAccess)
	return access.RuleView{}, false
}

func (w *Web) deleteAccessRulePage(rw http.ResponseWriter, r *http.Request, s *session) {
	x, ok := w.pathRule(rw, r, s)
	if !ok {
		return
	}
	n, err := w.resolve(r, []access.RuleView{x})
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	c := ruleConfirmation(x, n)
	w.showConfirmIn(rw, r, http.StatusOK, w.accessFrame(r, s, pathAccess, c.Button), c,
		pathAccess, "")
}

func (w *Web) deleteAccessRule(rw http.ResponseWriter, r *http.Request, s *session) {
	x, ok := w.pathRule(rw, r, s)
	if !ok {
		return
	}
	if _, err := w.svc.Access.Delete(r.Context(), []string{x.ID}); err != nil {
		msg, status := w.refusal(r, err)
		n, _ := w.resolve(r, []access.RuleView{x})
		c := ruleConfirmation(x, n)
		w.showConfirmIn(rw, r, status, w.accessFrame(r, s, pathAccess, c.Button), c,
			pathAccess, msg)
		return
	}
	redirectWith(rw, r, pathAccess, "rule-deleted", url.Values{"type": {r.PostForm.Get("type")},
		"resource": {r.PostForm.Get("resource")}, "principal": {r.PostForm.Get("principal")}})
}

func (w *Web) restoreRulesPage(rw http.ResponseWriter, r *http.Request, s *session) {
	c := restoreRulesConfirmation()
	w.showConfirmIn(rw, r, http.StatusOK, w.accessFrame(r, s, pathAccess, c.Button), c,
		pathAccess, "")
}

func (w *Web) restoreRules(rw http.ResponseWriter, r *http.Request, s *session) {
	if _, err := w.svc.Access.RestoreDefaults(r.Context()); err != nil {
		msg, status := w.refusal(r, err)
		c := restoreRulesConfirmation()
		w.showConfirmIn(rw, r, status, w.accessFrame(r, s, pathAccess, c.Button), c,
			pathAccess, msg)
		return
	}
	redirectNotice(rw, r, pathAccess, "rules-restored")
}

// ruleInput is what the rule form holds.
type ruleInput struct {
	Name, Description, Type, EntityID, Permission string
	Users, Groups                                 []string
	ObjectSearch, PeopleSearch                    string
}

func ruleInputOf(r *http.Request) ruleInput {
	return ruleInput{Name: r.PostForm.Get("name"), Description: r.PostForm.Get("description"),
		Type: r.PostForm.Get("entity_type"), EntityID: r.PostForm.Get("entity_id"),
		Permission:   r.PostForm.Get("permission"),
		Users:        append([]string{}, r.PostForm["users"]...),
		Groups:       append([]string{}, r.PostForm["groups"]...),
		ObjectSearch: strings.TrimSpace(r.PostForm.Get("object_q")),
		PeopleSearch: strings.TrimSpace(r.PostForm.Get("people_q"))}
}

// ruleFormView is the add and edit page of a rule.
type ruleFormView struct {
	adminFrame
	New          bool
	Action       string
	Name         string
	Description  string
	Types        []option
	TypeLabel    string
	AllChecked   bool
	Objects      []objectChoice
	ObjectSearch string
	ObjectsMore  bool
	ReadWrite    bool
	PeopleSearch string
	Groups       []memberChoice
	People       []memberChoice
	Errors       fieldErrors
}

func (w *Web) newAccessRulePage(rw http.ResponseWriter, r *http.Request, s *session) {
	in := ruleInput{Type: string(access.Project), EntityID: access.All, Permission: "read"}
	q := r.URL.Query()
	if t := q.Get("type"); slices.Contains(access.EntityTypes, access.EntityType(t)) {
		in.Type = t
	}
	in.ObjectSearch, in.PeopleSearch = q.Get("object_q"), q.Get("people_q")
	w.showRuleForm(rw, r, s, http.StatusOK, "", in, fieldErrors{})
}

func (w *Web) editAccessRulePage(rw http.ResponseWriter, r *http.Request, s *session) {
	x, ok := w.pathRule(rw, r, s)
	if !ok {
		return
	}
	in := ruleInput{Name: x.Name, Description: x.Description, Type: string(x.EntityType),
		EntityID: x.EntityID, Permission: x.Permission.String(), Users: x.Users,
		Groups: x.Groups, ObjectSearch: r.URL.Query().Get("object_q"),
		PeopleSearch: r.URL.Query().Get("people_q")}
	w.showRuleForm(rw, r, s, http.StatusOK, x.ID, in, fieldErrors{})
}

// showRuleForm renders the rule form for the rule id ("" for a new one) holding in.
func (w *Web) showRuleForm(rw http.ResponseWriter, r *http.Request, s *session, status int,
	id string, in ruleInput, errs fieldErrors) {
	v := ruleFormView{adminFrame: w.accessFrame(r, s, pathAccess, "New rule"), New: id == "",
		Action: pathAccess, Name: in.Name, Description: in.Description,
		Types: typeOptions(in.Type, ""), AllChecked: in.EntityID == access.All,
		ObjectSearch: in.ObjectSearch, ReadWrite: in.Permission == "read_write",
		PeopleSearch: in.PeopleSearch, Errors: errs}
	if id != "" {
		v.Subtitle, v.Action = "Edit "+in.Name, pathAccess+"/"+id
	}
	t := access.EntityType(in.Type)
	v.TypeLabel = strings.ToLower(typeTitle(t))
	ctx := r.Context()
	if in.EntityID != "" && in.EntityID != access.All {
		sel, err := w.objects(r, t, "", []string{in.EntityID})
		if err != nil {
			w.serverError(rw, r, s, err)
			return
		}
		for _, o := range sel {
			o.Checked = true
			v.Objects = append(v.Objects, o)
		}
	}
	found, err := w.objects(r, t, in.ObjectSearch, nil)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	for _, o := range found {
		if o.ID != in.EntityID {
			v.Objects = append(v.Objects, o)
		}
	}
	v.ObjectsMore = len(found) >= objectLimit
	groups, err := w.svc.Identity.GroupList(ctx)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, memberChoice{ID: g.ID, Name: g.Name,
			Checked: slices.Contains(in.Groups, g.ID)})
	}
	var gv groupFormView
	if err := w.memberChoices(r, &gv, groupInput{Members: in.Users, Filter: in.PeopleSearch},
		""); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v.People = append(gv.Selected, gv.Candidates...)
	w.render(rw, r, status, tmplAccessRule, v)
}

func (w *Web) createAccessRule(rw http.ResponseWriter, r *http.Request, s *session) {
	w.saveAccessRule(rw, r, s, "")
}

func (w *Web) updateAccessRule(rw http.ResponseWriter, r *http.Request, s *session) {
	x, ok := w.pathRule(rw, r, s)
	if !ok {
		return
	}
	w.saveAccessRule(rw, r, s, x.ID)
}

// saveAccessRule saves the form, or with op=filter only re-renders it with the searches
// applied (the pickers' search without scripts), keeping everything typed and ticked.
func (w *Web) saveAccessRule(rw http.ResponseWriter, r *http.Request, s *session, id string) {
	in := ruleInputOf(r)
	if r.PostForm.Get("op") == "filter" {
		w.showRuleForm(rw, r, s, http.StatusOK, id, in, fieldErrors{})
		return
	}
	if in.EntityID == "" {
		t := strings.ToLower(typeTitle(access.EntityType(in.Type)))
		w.showRuleForm(rw, r, s, http.StatusBadRequest, id, in, fieldErrors{
			"entity_id": "Choose a " + t + ", or all " + t + "s."})
		return
	}
	_, err := w.svc.Access.Save(r.Context(), access.Input{ID: id, Name: in.Name,
		Description: in.Description, EntityType: in.Type, EntityID: in.EntityID,
		Permission: in.Permission, Users: in.Users, Groups: in.Groups})
	if err != nil {
		errs, status := w.formFailure(r, err, map[string]string{"name": "name",
			"description": "description", "entity_type": "entity_type",
			"entity_id": "entity_id", "access_permission": "permission",
			"permission": "permission", "users": "principals", "groups": "principals"})
		w.showRuleForm(rw, r, s, status, id, in, errs)
		return
	}
	redirectNotice(rw, r, pathAccess, "rule-saved")
}

// explainView is the explain tab: a user, an object, and every grant between them.
type explainView struct {
	adminFrame
	Types        []option
	TypeLabel    string
	UserSearch   string
	People       []memberChoice
	ObjectSearch string
	Objects      []objectChoice
	Asked        bool
	Who          string
	What         string
	Grants       []grantRow
	Result       string
	Errors       fieldErrors
}

// grantRow is one reason for access.
type grantRow struct {
	Reason     string
	Permission string
	RuleID     string
	RuleName   string
}

func (w *Web) explainPage(rw http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	typ := q.Get("type")
	if !slices.Contains(access.EntityTypes, access.EntityType(typ)) {
		typ = string(access.Project)
	}
	t := access.EntityType(typ)
	user, entity := q.Get("user"), q.Get("entity")
	v := explainView{adminFrame: w.accessFrame(r, s, pathAccessExplain, "Explain"),
		Types: typeOptions(typ, ""), TypeLabel: strings.ToLower(typeTitle(t)),
		UserSearch: strings.TrimSpace(q.Get("uq")), ObjectSearch: strings.TrimSpace(q.Get("oq")),
		Errors: fieldErrors{}}
	var gv groupFormView
	var users []string
	if user != "" {
		users = []string{user}
	}
	if err := w.memberChoices(r, &gv, groupInput{Members: users, Filter: v.UserSearch},
		""); err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	v.People = append(gv.Selected, gv.Candidates...)
	var ids []string
	if entity != "" {
		ids = []string{entity}
	}
	var sel []objectChoice
	if ids != nil {
		var err error
		if sel, err = w.objects(r, t, "", ids); err != nil {
			w.serverError(rw, r, s, err)
			return
		}
	}
	found, err := w.objects(r, t, v.ObjectSearch, nil)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	for _, o := range sel {
		o.Checked = true
		v.Objects = append(v.Objects, o)
		v.What = v.TypeLabel + " " + o.Name
	}
	for _, o := range found {
		if o.ID != entity {
			v.Objects = append(v.Objects, o)
		}
	}
	for _, p := range gv.Selected {
		v.Who = p.Name
	}
	if q.Get("op") == "explain" {
		switch {
		case user == "":
			v.Errors["user"] = "Choose a user or service account."
		case entity == "":
			v.Errors["entity"] = "Choose a " + v.TypeLabel + "."
		}
	}
	if user != "" && entity != "" && q.Get("op") != "filter" {
		grants, err := w.svc.Access.ExplainFor(r.Context(), user, t, entity)
		if err != nil {
			errs, status := w.formFailure(r, err, map[string]string{"user": "user",
				"entity_id": "entity"})
			v.Errors = errs
			w.render(rw, r, status, tmplAccessExplain, v)
			return
		}
		v.Asked = true
		best := access.None
		var rules []access.RuleView
		for _, g := range grants {
			if g.Rule != nil {
				rules = append(rules, access.RuleView{Rule: *g.Rule})
			}
		}
		n, err := w.resolve(r, rules)
		if err != nil {
			w.serverError(rw, r, s, err)
			return
		}
		for _, g := range grants {
			best = max(best, g.Permission)
			row := grantRow{Permission: permissionTitle(g.Permission)}
			switch g.Reason {
			case "admin":
				row.Reason = "Administrator"
			case "owner":
				row.Reason = "Owner of the " + v.TypeLabel
			case "queue admins":
				row.Reason = "Member of Queue admins"
			default:
				row.Reason = "Rule"
				if g.Rule != nil {
					row.RuleID, row.RuleName = g.Rule.ID, g.Rule.Name
					on := string(g.Rule.EntityType) + " " +
						n.object(g.Rule.EntityType, g.Rule.EntityID)
					if g.Rule.EntityID == access.All {
						on = "all " + string(g.Rule.EntityType) + "s"
					}
					row.Reason = "Rule on " + on + " for " + principalsText(g.Rule, n)
				}
			}
			v.Grants = append(v.Grants, row)
		}
		v.Result = "No access"
		if best != access.None {
			v.Result = permissionTitle(best)
		}
	}
	w.render(rw, r, http.StatusOK, tmplAccessExplain, v)
}

func principalsText(x *access.Rule, n names) string {
	var who []string
	for _, g := range x.Groups {
		who = append(who, "group "+n.group(g))
	}
	for _, u := range x.Users {
		who = append(who, n.user(u))
	}
	return strings.Join(who, ", ")
}
