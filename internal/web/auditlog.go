package web

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"atrium/internal/audit"
)

// pathAudit is the workspace's audit log.
const pathAudit = "/settings/audit-log"

const (
	auditPage      = 100
	auditExportMax = 100_000 // rows in one CSV export
	auditExportBy  = 5_000   // rows read per query while exporting
)

func (w *Web) auditRoutes() []route {
	return []route{
		{"GET " + pathAudit, w.adminPage(w.auditPage)},
		{"GET " + pathAudit + "/export.csv", w.adminPage(w.auditExport)},
	}
}

// auditView is the audit log: every change in the workspace, newest first, filtered.
type auditView struct {
	chrome
	Action, Target, From, To string
	Actors                   []choice
	Filtered                 bool
	Rows                     []auditRow
	Errors                   fieldErrors
	Newer, Older             string // links to the neighbouring pages
	Export                   string
}

// auditRow is one entry as the table shows it.
type auditRow struct {
	When    when
	Who     string
	Action  string
	Target  string
	Address string
	Details string
}

// auditFilterForm is the filter form as sent.
type auditFilterForm struct {
	Action, Actor, Target, From, To string
	Offset                          int
}

func auditFormOf(r *http.Request) auditFilterForm {
	q := r.URL.Query()
	off, _ := strconv.Atoi(q.Get("offset"))
	return auditFilterForm{Action: strings.TrimSpace(q.Get("action")), Actor: q.Get("actor"),
		Target: strings.TrimSpace(q.Get("target")), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to")), Offset: max(off, 0)}
}

// filter turns the form into the log's filter; dates that do not read are reported.
func (f auditFilterForm) filter(errs fieldErrors) (audit.Filter, int) {
	af := audit.Filter{ActionPrefix: f.Action, Actor: f.Actor}
	if f.Target != "" {
		af.TargetIDs = []string{f.Target}
	}
	var status int
	af.Since, af.Until, status = dateRange(f.From, f.To, errs)
	return af, status
}

func (f auditFilterForm) query(offset int) string {
	q := url.Values{}
	for k, v := range map[string]string{"action": f.Action, "actor": f.Actor,
		"target": f.Target, "from": f.From, "to": f.To} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

func (w *Web) auditPage(rw http.ResponseWriter, r *http.Request, s *session) {
	f := auditFormOf(r)
	v := auditView{chrome: w.chrome(r, s, "Audit log", pathAudit), Action: f.Action,
		Target: f.Target, From: f.From, To: f.To, Errors: fieldErrors{},
		Filtered: f.Action != "" || f.Actor != "" || f.Target != "" || f.From != "" || f.To != ""}
	af, status := f.filter(v.Errors)
	ctx := r.Context()
	entries := []audit.Entry{}
	var err error
	if status == http.StatusOK {
		af.Limit, af.Offset = auditPage+1, f.Offset
		entries, err = w.svc.Identity.AuditEntries(ctx, af)
	}
	var recent []audit.Entry
	if err == nil {
		recent, err = w.svc.Identity.AuditEntries(ctx, audit.Filter{Limit: choicesLimit})
	}
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	actors := map[string]string{}
	for _, e := range recent {
		if _, ok := actors[e.ActorID]; !ok {
			actors[e.ActorID] = orDefault(e.ActorName, e.ActorID)
		}
	}
	v.Actors = sortedChoices("Anyone", actors, f.Actor)
	if len(entries) > auditPage {
		entries = entries[:auditPage]
		v.Older = pathAudit + f.query(f.Offset+auditPage)
	}
	if f.Offset > 0 {
		v.Newer = pathAudit + f.query(max(f.Offset-auditPage, 0))
	}
	v.Export = pathAudit + "/export.csv" + f.query(0)
	now := w.now()
	for _, e := range entries {
		v.Rows = append(v.Rows, auditRow{When: pastOf(now, e.At),
			Who: orDefault(e.ActorName, orDefault(e.ActorID, "Anonymous")), Action: e.Action,
			Target: strings.Trim(e.TargetType+" "+e.TargetID, " "), Address: e.Address,
			Details: detailsText(e.Details)})
	}
	w.render(rw, r, status, tmplAuditLog, v)
}

// detailsText renders an entry's details compactly (secrets never reach the log).
func detailsText(d map[string]any) string {
	if len(d) == 0 {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return ""
	}
	return string(b)
}

// auditExport streams the filtered log as CSV, newest first.
func (w *Web) auditExport(rw http.ResponseWriter, r *http.Request, s *session) {
	f := auditFormOf(r)
	af, status := f.filter(fieldErrors{})
	if status != http.StatusOK {
		w.fail(rw, r, s, status, "Cannot export", "A date in the filters does not read as "+
			"YYYY-MM-DD.", pathAudit)
		return
	}
	ctx := r.Context()
	af.Limit = auditExportBy
	first, err := w.svc.Identity.AuditEntries(ctx, af)
	if err != nil {
		w.serverError(rw, r, s, err)
		return
	}
	rw.Header().Set("Content-Type", "text/csv; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="atrium-audit-log-`+
		w.now().UTC().Format("2006-01-02")+`.csv"`)
	out := csv.NewWriter(rw)
	out.Write([]string{"time", "actor_id", "actor_name", "action", "target_type", "target_id",
		"address", "request_id", "details"})
	written := 0
	for page := first; len(page) > 0 && written < auditExportMax; {
		for _, e := range page {
			out.Write([]string{e.At.UTC().Format(time.RFC3339Nano), cell(e.ActorID),
				cell(e.ActorName), cell(e.Action), cell(e.TargetType), cell(e.TargetID),
				cell(e.Address), cell(e.RequestID), cell(detailsText(e.Details))})
		}
		written += len(page)
		if len(page) < auditExportBy {
			break
		}
		af.Offset += auditExportBy
		if page, err = w.svc.Identity.AuditEntries(ctx, af); err != nil {
			w.log.Error("export the audit log", "error", err)
			break
		}
	}
	out.Flush()
}

// cell keeps a spreadsheet from reading a value as a formula.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
