package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAuditLogPage(t *testing.T) {
	h := start(t)
	admin := h.admin()
	// A few changes: a group and a rename.
	wantStatus(t, admin.send("/settings/profile/name", url.Values{"name": {"=cmd|' /C calc'!A0"}}),
		http.StatusSeeOther)
	member := h.member(admin, "m@example.com", "Member")

	page := admin.get("/settings/audit-log")
	wantStatus(t, page, http.StatusOK)
	for _, want := range []string{"user.update", "invitation", "Export CSV"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("audit log lacks %q", want)
		}
	}
	filtered := admin.get("/settings/audit-log?action=invitation.")
	if strings.Contains(filtered.body, "user.update") || !strings.Contains(filtered.body, "invitation.") {
		t.Fatal("the action filter does not narrow the log")
	}
	bad := admin.get("/settings/audit-log?from=yesterday")
	wantStatus(t, bad, http.StatusBadRequest)
	if bad.byID("f-from-error") == nil {
		t.Fatal("no message next to the bad date")
	}

	resp := admin.get("/settings/audit-log/export.csv")
	wantStatus(t, resp, http.StatusOK)
	if ct := resp.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("export content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
	if err != nil || len(rows) < 3 || rows[0][3] != "action" {
		t.Fatalf("export = %v, %v", rows, err)
	}
	for _, r := range rows[1:] {
		for _, c := range r {
			if strings.HasPrefix(c, "=") {
				t.Fatalf("a cell starts with a formula: %q", c)
			}
		}
	}

	// People who are not admins do not see it.
	wantStatus(t, member.get("/settings/audit-log"), http.StatusNotFound)
	wantStatus(t, member.get("/settings/audit-log/export.csv"), http.StatusNotFound)
}
