package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
)

//go:embed templates
var templateFS embed.FS

// Page template names. Each page file defines "content" (and "title" where it differs).
const (
	tmplLogin         = "login"
	tmplLogout        = "logout"
	tmplError         = "error"
	tmplProfile       = "profile"
	tmplConfiguration = "configuration"
	tmplWorkspace     = "workspace"
	tmplSecret        = "secret"
	tmplRevoke        = "revoke"
	tmplRotate        = "rotate"

	tmplUsers           = "users"
	tmplInvited         = "invited"
	tmplGroups          = "groups"
	tmplGroupForm       = "group_form"
	tmplServiceAccounts = "service_accounts"
	tmplServiceAccount  = "service_account"
	tmplAccountSecret   = "account_secret"
	tmplConfirm         = "confirm"
	tmplAccept          = "accept"

	tmplVaults        = "vaults"
	tmplVaultForm     = "vault_form"
	tmplVaultHistory  = "vault_history"
	tmplVaultActivity = "vault_activity"
	tmplEffective     = "effective"

	tmplProjects = "projects"
	tmplProject  = "project"
	tmplTask     = "task"
	tmplModels   = "models"
	tmplQueues   = "queues"

	tmplAccessRules   = "access_rules"
	tmplAccessRule    = "access_rule"
	tmplAccessExplain = "access_explain"

	tmplSSOContinue = "sso_continue"
	tmplAuditLog    = "audit_log"
)

// pageNames lists every page template.
func pageNames() []string {
	return append([]string{tmplLogin, tmplLogout, tmplError, tmplProfile, tmplConfiguration,
		tmplWorkspace, tmplSecret, tmplRevoke, tmplRotate, tmplUsers, tmplInvited, tmplGroups,
		tmplGroupForm, tmplServiceAccounts, tmplServiceAccount, tmplAccountSecret, tmplConfirm,
		tmplAccept, tmplVaults, tmplVaultForm, tmplVaultHistory, tmplVaultActivity,
		tmplEffective, tmplProjects, tmplProject, tmplTask, tmplModels, tmplQueues,
		tmplAccessRules, tmplAccessRule, tmplAccessExplain, tmplSSOContinue, tmplAuditLog},
		append(idpPageNames, twoFactorPageNames...)...)
}

// parsePages parses every page together with the shared layout and partials, once, at
// start-up.
func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames() {
		files := []string{"templates/layout.html", "templates/partials.html",
			"templates/" + name + ".html"}
		if name == tmplProfile {
			files = append(files, twoFactorInclude)
		}
		t, err := template.New(name).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		if t.Lookup("page") == nil {
			return nil, fmt.Errorf("template %s: no \"page\" entry point", name)
		}
		pages[name] = t
	}
	return pages, nil
}

// chrome is what every page's frame shows: title, navigation, the signed-in user, the
// notice after a redirect, and the version footer.
type chrome struct {
	Title    string
	Subtitle string // the page within a section with tabs, shown in the browser's title
	CSS      string
	JS       string
	User     string // display name; empty on the sign-in pages
	CSRF     string // token for the forms of this session
	Nav      []navGroup
	Notice   string
	Footer   string
}

// chrome returns the frame for a page; s is nil on pages shown without a session.
func (w *Web) chrome(r *http.Request, s *session, title, current string) chrome {
	c := chrome{Title: title, CSS: w.assets.url("app.css"), JS: w.assets.url("app.js"),
		Notice: noticeText(r.URL.Query().Get("notice")),
		Footer: fmt.Sprintf("Atrium %s · Server %s · API %s", w.opts.Version,
			w.opts.ServerVersion, w.opts.APIVersion)}
	if s != nil {
		c.User = s.principal.Name
		c.CSRF = s.csrf
		c.Nav = navFor(w.sections, s.principal.IsAdmin(), current)
	}
	return c
}

// render executes a page into a buffer first, so a template error is a clean 500 and
// never half a page.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string,
	view any) {
	var buf bytes.Buffer
	t, ok := w.pages[name]
	if !ok {
		w.log.Error("render page", "page", name, "error", "no such template")
		http.Error(rw, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "page", view); err != nil {
		w.log.Error("render page", "page", name, "error", err, "path", r.URL.Path)
		http.Error(rw, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.WriteHeader(status)
	rw.Write(buf.Bytes())
}

// errorView is the page shown when a request cannot go on: an expired form, a missing
// object, a server error.
type errorView struct {
	chrome
	Message string
	Back    string // where the "go back" link points
}

// fail renders the error page with status and message.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, s *session, status int,
	title, message, back string) {
	w.render(rw, r, status, tmplError, errorView{chrome: w.chrome(r, s, title, ""),
		Message: message, Back: back})
}

func (w *Web) notFound(rw http.ResponseWriter, r *http.Request, s *session) {
	w.fail(rw, r, s, http.StatusNotFound, "Page not found",
		"There is no settings page at this address.", pathProfile)
}

// contentSecurityPolicy allows only this origin's own script and style files: no inline
// script, no inline style attributes, no framing, and forms that post only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'"

// secure sets the security headers every UI response carries. Pages are never cached:
// they are per user and some show secrets; static files override this with their own.
func (w *Web) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(rw, r)
	})
}

// noticeText maps the fixed notice codes of a post-redirect-get to their text. The query
// string only ever selects one of these; it is never reflected.
func noticeText(code string) string {
	switch code {
	case "saved":
		return "Saved."
	case "name":
		return "Display name saved."
	case "password":
		return "Password changed. Your other sessions were signed out."
	case "signed-out-elsewhere":
		return "Every other session was signed out."
	case "session-ended":
		return "That session was signed out."
	case "session-gone":
		return "That session had already ended."
	case "preferences":
		return "Preferences saved."
	case "arguments":
		return "Hidden container arguments saved."
	case "defaults":
		return "Default container arguments restored."
	case "cloud":
		return "Cloud access saved."
	case "label":
		return "Label saved."
	case "revoked":
		return "Credentials revoked. They no longer work."
	case "signed-out":
		return "You have signed out."
	case "welcome":
		return "Welcome! You have joined the workspace and are signed in."
	}
	return adminNoticeText(code)
}

// adminNoticeText is noticeText for the Users and groups section.
func adminNoticeText(code string) string {
	switch code {
	case "role":
		return "Role changed. It applies from the person's next request."
	case "deactivated":
		return "Deactivated. Their sessions and API credentials stopped working."
	case "reactivated":
		return "Reactivated. They can sign in again."
	case "removed":
		return "Removed. Their API credentials were revoked and their sessions ended."
	case "invitation-cancelled":
		return "Invitation cancelled. Its link no longer works."
	case "domains":
		return "Allowed e-mail domains saved."
	case "group-saved":
		return "Group saved."
	case "group-deleted":
		return "Group deleted."
	case "order":
		return "Group order saved."
	case "account-saved":
		return "Service account saved."
	case "account-deleted":
		return "Service account deleted. Its credentials no longer work."
	case "account-revoked":
		return "Credentials revoked. Agents using them stop working at once."
	}
	return vaultNoticeText(code)
}

// vaultNoticeText is noticeText for vaults.
func vaultNoticeText(code string) string {
	switch code {
	case "vault-on":
		return "Personal vault saved. New SDK and agent sessions receive it."
	case "vault-off":
		return "Personal vault saved. It is disabled: no session receives it."
	case "vault-saved":
		return "Vault saved. New sessions of those it applies to receive it, when active."
	case "vault-enabled":
		return "Vault activated. New sessions of those it applies to receive it."
	case "vault-disabled":
		return "Vault deactivated. New sessions no longer receive it."
	case "vault-deleted":
		return "Vault deleted."
	case "vault-restored":
		return "Version restored. It is now the vault's newest version."
	}
	return accessNoticeText(code)
}
