package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"atrium/internal/apperr"
	"atrium/internal/credential"
)

func TestNewParsesEveryPage(t *testing.T) {
	w, err := New(Services{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Options{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	for _, name := range pageNames() {
		if w.pages[name] == nil {
			t.Errorf("page %s not parsed", name)
		}
	}
	if css := w.assets.url("app.css"); !strings.HasPrefix(css, "/static/") || len(css) < 25 {
		t.Errorf("app.css URL = %q, want a content-hash path", css)
	}
}

func TestSafeNext(t *testing.T) {
	cases := []struct {
		next, want string
	}{
		{"/settings", "/settings"},
		{"/settings/workspace", "/settings/workspace"},
		{"/settings/workspace?edit=KEY", "/settings/workspace?edit=KEY"},
		{"", ""},
		{"/login", ""},
		{"/settingsx", ""},
		{"//evil.example/settings", ""},
		{"https://evil.example/settings", ""},
		{"/settings/../login", ""},
		{"/settings\\..\\login", ""},
		{"/settings/%0d%0aSet-Cookie:x", "/settings/%0d%0aSet-Cookie:x"},
		{"/settings/\r\nX: y", ""},
	}
	for _, tc := range cases {
		if got := safeNext(tc.next); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
		}
	}
}

func TestNavFor(t *testing.T) {
	all := []section{
		{groupUser, "Profile", pathProfile, false, true},
		{groupUser, "Configuration", pathConfiguration, false, true},
		{groupUser, "Workspace", pathWorkspace, false, true},
		{groupAdmin, "Administrator vaults", "/settings/vaults", true, false},
		{groupAdmin, sectionUsers, pathUsers, true, true},
	}
	user := navFor(all, false, pathWorkspace)
	if len(user) != 1 {
		t.Fatalf("a user sees %d groups, want only User settings", len(user))
	}
	var titles []string
	for _, it := range user[0].Items {
		titles = append(titles, it.Title)
		if it.Current != (it.Path == pathWorkspace) {
			t.Errorf("%s Current = %v", it.Title, it.Current)
		}
	}
	if want := []string{"Profile", "Configuration", "Workspace"}; !reflect.DeepEqual(titles, want) {
		t.Errorf("items = %q, want %q", titles, want)
	}

	admin := navFor(all, true, pathUsers)
	if len(admin) != 2 || admin[1].Title != groupAdmin || len(admin[1].Items) != 1 ||
		admin[1].Items[0].Title != sectionUsers || !admin[1].Items[0].Current {
		t.Errorf("admin navigation = %+v, want User settings and the one built admin item, "+
			"current", admin)
	}

	all[4].Built = false
	if got := navFor(all, true, ""); len(got) != 1 {
		t.Errorf("with no admin section built an admin sees %d groups, want 1", len(got))
	}
}

func TestUsersAndGroupsIsBuilt(t *testing.T) {
	for _, s := range settingsSections() {
		if s.Path == pathUsers && (!s.Built || !s.Admin || s.Group != groupAdmin) {
			t.Errorf("section %+v, want a built admin section", s)
		}
	}
}

func TestCredentialsPhrase(t *testing.T) {
	cases := []struct {
		n    int
		want string
	}{
		{0, ""},
		{1, "their 1 API credential is revoked"},
		{3, "their 3 API credentials are revoked"},
	}
	for _, tc := range cases {
		if got := credentialsPhrase(tc.n, "is revoked", "are revoked"); got != tc.want {
			t.Errorf("credentialsPhrase(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestPageNumber(t *testing.T) {
	for raw, want := range map[string]int{"": 1, "0": 1, "-2": 1, "x": 1, "3": 3,
		"99999999999": 1} {
		if got := pageNumber(raw); got != want {
			t.Errorf("pageNumber(%q) = %d, want %d", raw, got, want)
		}
	}
}

func TestUsersPaging(t *testing.T) {
	cases := []struct {
		name             string
		query            string
		page, total, n   int
		from, to         int
		wantPrev, wantNx string
	}{
		{"first of three", "", 1, 120, 50, 1, 50, "", "/settings/users?page=2"},
		{"middle with search", "ada", 2, 120, 50, 51, 100, "/settings/users?q=ada",
			"/settings/users?page=3&q=ada"},
		{"last", "", 3, 120, 20, 101, 120, "/settings/users?page=2", ""},
		{"past the end", "", 9, 120, 0, 0, 0, "/settings/users?page=8", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := usersView{Query: tc.query, Page: tc.page, Total: tc.total}
			v.paging(tc.n)
			if v.From != tc.from || v.To != tc.to || v.PrevURL != tc.wantPrev ||
				v.NextURL != tc.wantNx {
				t.Errorf("got %d-%d prev %q next %q, want %d-%d prev %q next %q", v.From, v.To,
					v.PrevURL, v.NextURL, tc.from, tc.to, tc.wantPrev, tc.wantNx)
			}
		})
	}
}

func TestWithoutTokenHidesTheInvitationToken(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/invite/SECRETTOKEN?notice=x", nil)
	got := withoutToken(r)
	if strings.Contains(got.URL.String(), "SECRETTOKEN") || strings.Contains(got.RequestURI,
		"SECRETTOKEN") {
		t.Errorf("URL %q, RequestURI %q still carry the token", got.URL, got.RequestURI)
	}
	if !strings.Contains(r.URL.Path, "SECRETTOKEN") {
		t.Error("the original request was changed")
	}
}

func TestSnippets(t *testing.T) {
	const url, key, sec = "https://ml.example.com", "AKEY", "SECRET"
	wantConf := "api {\n" +
		"  web_server: https://ml.example.com\n" +
		"  api_server: https://ml.example.com\n" +
		"  # my laptop\n" +
		"  credentials {\n" +
		"    \"access_key\" = \"AKEY\"\n" +
		"    \"secret_key\" = \"SECRET\"\n" +
		"  }\n" +
		"}\n"
	if got := confSnippet(url, "my\nlaptop", key, sec); got != wantConf {
		t.Errorf("confSnippet =\n%s\nwant\n%s", got, wantConf)
	}
	if got := confSnippet(url, "", key, sec); strings.Contains(got, "#") {
		t.Errorf("confSnippet without a label has a comment:\n%s", got)
	}
	wantJupyter := "%env CLEARML_WEB_HOST=https://ml.example.com\n" +
		"%env CLEARML_API_HOST=https://ml.example.com\n" +
		"# ci\n" +
		"%env CLEARML_API_ACCESS_KEY=AKEY\n" +
		"%env CLEARML_API_SECRET_KEY=SECRET\n"
	if got := jupyterSnippet(url, "ci", key, sec); got != wantJupyter {
		t.Errorf("jupyterSnippet =\n%s\nwant\n%s", got, wantJupyter)
	}
}

func TestExpirySeconds(t *testing.T) {
	cases := []struct {
		name      string
		form      createForm
		want      int64 // 0: never
		wantField string
	}{
		{"never", createForm{Expiry: "never"}, 0, ""},
		{"empty", createForm{}, 0, ""},
		{"7 days", createForm{Expiry: "7"}, 7 * 86400, ""},
		{"365 days", createForm{Expiry: "365"}, 365 * 86400, ""},
		{"custom", createForm{Expiry: "custom", Days: " 12 "}, 12 * 86400, ""},
		{"custom zero", createForm{Expiry: "custom", Days: "0"}, 0, "days"},
		{"custom text", createForm{Expiry: "custom", Days: "soon"}, 0, "days"},
		{"unknown choice", createForm{Expiry: "8"}, 0, "expiry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expirySeconds(tc.form)
			if tc.wantField != "" {
				if e := apperr.As(err); e == nil || e.Field != tc.wantField {
					t.Fatalf("err = %v, want an error on %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			var sec int64
			if got != nil {
				sec = *got
			}
			if sec != tc.want {
				t.Errorf("seconds = %d, want %d", sec, tc.want)
			}
		})
	}
}

func TestRelativeTimes(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	past := []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "just now"},
		{time.Minute, "1 minute ago"},
		{5 * time.Hour, "5 hours ago"},
		{3 * 24 * time.Hour, "3 days ago"},
		{40 * 24 * time.Hour, "on 2025-04-22"},
	}
	for _, tc := range past {
		if got := ago(now, now.Add(-tc.d)); got != tc.want {
			t.Errorf("ago(-%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	future := []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "in less than a minute"},
		{23 * time.Hour, "in 23 hours"},
		{6 * 24 * time.Hour, "in 6 days"},
		{7*24*time.Hour - time.Second, "in 7 days"},
		{47*time.Hour + 40*time.Minute, "in 2 days"},
	}
	for _, tc := range future {
		if got := until(now, now.Add(tc.d)); got != tc.want {
			t.Errorf("until(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRowIndexes(t *testing.T) {
	form := url.Values{"rows.3.bucket": {"b"}, "rows.0.bucket": {"a"}, "rows.0.remove": {"on"},
		"rows.x.bucket": {"?"}, "rows.-1.bucket": {"?"}, "args.2": {"K"}, "csrf": {"t"}}
	if got, want := rowIndexes(form, "rows"), []int{0, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("rowIndexes(rows) = %v, want %v", got, want)
	}
	if got, want := rowIndexes(form, "args"), []int{2}; !reflect.DeepEqual(got, want) {
		t.Errorf("rowIndexes(args) = %v, want %v", got, want)
	}
}

func TestNoticeTextIsAClosedSet(t *testing.T) {
	for _, code := range []string{"", "Saved.", "<script>", "saved "} {
		if got := noticeText(code); got != "" {
			t.Errorf("noticeText(%q) = %q, want none", code, got)
		}
	}
	if noticeText("saved") == "" {
		t.Error(`noticeText("saved") is empty`)
	}
}

func TestCredentialRowExpiry(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name          string
		expires       time.Time
		want          string
		soon, expired bool
	}{
		{"never", time.Time{}, "Never", false, false},
		{"far", now.Add(30 * 24 * time.Hour), "2025-07-01", false, false},
		{"within a week", now.Add(3 * 24 * time.Hour), "in 3 days", true, false},
		{"lapsed", now.Add(-time.Hour), "2025-06-01", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			row := credentialRowOf(now, credential.View{AccessKey: "K", CreatedAt: now,
				ExpiresAt: tc.expires})
			if row.Expires != tc.want || row.Soon != tc.soon || row.Expired != tc.expired {
				t.Errorf("row = %q soon=%v expired=%v, want %q soon=%v expired=%v",
					row.Expires, row.Soon, row.Expired, tc.want, tc.soon, tc.expired)
			}
			if row.LastUsed != "Never" || row.From != "Not available" {
				t.Errorf("unused row shows %q from %q", row.LastUsed, row.From)
			}
		})
	}
}
