// Package web serves Atrium's HTML UI: the sign-in page and the Settings pages, rendered on
// the server from typed view models and calling the same services as the API.
//
// Every page works without JavaScript: forms POST, then redirect to a GET (or re-render with
// the error next to the field and status 400). One small script only enhances: copy buttons,
// auto-saving switches, <dialog> confirmations and inline edit toggles.
package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"atrium/internal/access"
	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/registry"
	"atrium/internal/secret"
	"atrium/internal/sso"
	"atrium/internal/vault"
)

// Services are the domain services the UI calls.
type Services struct {
	Identity    *identity.Service
	Credentials *credential.Service
	Keys        *secret.Keyring
	Vaults      *vault.Service
	// Registry backs the read-only Workspace objects pages; without it they are absent.
	Registry *registry.Service
	// Access backs the Access rules section; without it the section is absent.
	Access *access.Service
	// SSO backs sign-in with identity providers and the Identity providers section;
	// without it both are absent.
	SSO *sso.Service
}

// Options configures the UI.
type Options struct {
	// PublicURL is the URL clients reach the server at; its origin is the only one trusted
	// on state-changing requests, and it is the host in the clearml.conf snippets.
	PublicURL string
	// SecureCookies marks cookies Secure (the public URL is https).
	SecureCookies bool
	Version       string
	APIVersion    string
	ServerVersion string
	// SSOSessionMaxAge caps the age of sessions started at an identity provider.
	SSOSessionMaxAge time.Duration
}

// Web is the UI handler set.
type Web struct {
	svc      Services
	log      *slog.Logger
	opts     Options
	origin   string
	pages    map[string]*template.Template
	assets   *assets
	sections []section
	now      func() time.Time
}

// New parses templates and prepares assets; it fails fast on a broken template.
func New(svc Services, log *slog.Logger, opts Options) (*Web, error) {
	a, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("web templates: %w", err)
	}
	sections := settingsSections()
	for i := range sections {
		if sections[i].Path == pathVaults && svc.Vaults == nil {
			sections[i].Built = false
		}
		if sections[i].Path == pathAccess {
			sections[i].Built = svc.Access != nil
		}
		if sections[i].Path == pathIdPs {
			sections[i].Built = svc.SSO != nil
		}
		if sections[i].Group == groupObjects && svc.Registry == nil {
			sections[i].Built = false
		}
	}
	return &Web{svc: svc, log: log, opts: opts, origin: originOf(opts.PublicURL), pages: pages,
		assets: a, sections: sections, now: time.Now}, nil
}

// originOf returns scheme://host of a URL, or "" when it has neither.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// route is one UI pattern and its handler.
type route struct {
	pattern string
	handler http.Handler
}

// Mount registers the UI routes on mux. It registers exact paths and the /settings/,
// /invite/ and /static/ subtrees only: the catch-all "/" belongs to the JSON API.
func (w *Web) Mount(mux *http.ServeMux) {
	for _, rt := range w.routes() {
		mux.Handle(rt.pattern, w.secure(rt.handler))
	}
}

func (w *Web) routes() []route {
	toProfile := http.RedirectHandler(pathProfile, http.StatusSeeOther)
	cred := "/settings/workspace/credentials/{key}"
	routes := []route{
		{"GET /{$}", toProfile},
		{"GET /login", http.HandlerFunc(w.loginPage)},
		{"POST /login", http.HandlerFunc(w.login)},
		{"GET /logout", w.page(w.logoutPage)},
		{"POST /logout", w.action(w.logout)},
		{"GET /settings", toProfile},
		{"GET /settings/{$}", toProfile},
		{"/settings/", w.page(w.notFound)},
		{"GET " + pathProfile, w.page(w.profilePage)},
		{"POST " + pathProfile + "/name", w.action(w.saveName)},
		{"POST " + pathProfile + "/password", w.action(w.changePassword)},
		{"POST " + pathProfile + "/sign-out-everywhere", w.action(w.signOutEverywhere)},
		{"POST " + pathProfile + "/sessions/{id}/end", w.action(w.endSession)},
		{"GET " + pathConfiguration, w.page(w.configurationPage)},
		{"POST " + pathConfiguration + "/preferences", w.action(w.savePreferences)},
		{"POST " + pathConfiguration + "/redacted-arguments", w.action(w.saveRedacted)},
		{"POST " + pathConfiguration + "/cloud-access", w.action(w.saveCloudAccess)},
		{"POST " + pathConfiguration + "/force-scripts", w.action(w.forceScripts)},
		{"GET " + pathWorkspace, w.page(w.workspacePage)},
		{"POST " + pathWorkspace + "/credentials", w.action(w.createCredentials)},
		{"POST " + cred + "/label", w.action(w.editLabel)},
		{"GET " + cred + "/revoke", w.page(w.revokePage)},
		{"POST " + cred + "/revoke", w.action(w.revoke)},
		{"GET " + cred + "/rotate", w.page(w.rotatePage)},
		{"POST " + cred + "/rotate", w.action(w.rotate)},
		{"GET " + pathInvite + "{token}", http.HandlerFunc(w.acceptPage)},
		{"POST " + pathInvite + "{token}", http.HandlerFunc(w.accept)},
		{"GET /static/{hash}/{name}", http.HandlerFunc(w.assets.serve)},
		{"/static/", http.NotFoundHandler()},
	}
	routes = append(routes, w.vaultRoutes()...)
	routes = append(routes, w.workloadRoutes()...)
	routes = append(routes, w.accessRoutes()...)
	routes = append(routes, w.auditRoutes()...)
	routes = append(routes, w.twoFactorRoutes()...)
	if w.svc.SSO != nil {
		routes = append(routes, w.ssoRoutes()...)
		routes = append(routes, w.idpRoutes()...)
	}
	return append(routes, w.adminRoutes()...)
}

// Paths of the built Settings pages.
const (
	pathLogin         = "/login"
	pathProfile       = "/settings/profile"
	pathConfiguration = "/settings/configuration"
	pathWorkspace     = "/settings/workspace"
)
