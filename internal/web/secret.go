package web

import (
	"net/http"

	"atrium/internal/credential"
)

// secretView is the one-time page after create or rotate: the only time the secret is
// shown, with snippets to paste.
type secretView struct {
	chrome
	AccessKey     string
	SecretKey     string
	Label         string
	Expires       string
	Conf          string
	Jupyter       string
	Rotated       bool
	OldKey        string
	OldStops      string
	OldStopsExact string
}

// showSecret renders the one-time page. It is the POST's own response and never cached.
func (w *Web) showSecret(rw http.ResponseWriter, r *http.Request, s *session,
	c credential.Created, old *credential.View) {
	title := "New API credentials"
	if old != nil {
		title = "Rotated API credentials"
	}
	v := secretView{chrome: w.chrome(r, s, title, pathWorkspace), AccessKey: c.AccessKey,
		SecretKey: c.SecretKey, Label: c.Label, Expires: "Never",
		Conf:    confSnippet(w.opts.PublicURL, c.Label, c.AccessKey, c.SecretKey),
		Jupyter: jupyterSnippet(w.opts.PublicURL, c.Label, c.AccessKey, c.SecretKey)}
	if !c.ExpiresAt.IsZero() {
		v.Expires = exact(c.ExpiresAt)
	}
	if old != nil {
		v.Rotated, v.OldKey = true, r.PathValue("key")
		if !old.ExpiresAt.IsZero() {
			v.OldStops, v.OldStopsExact = until(w.now(), old.ExpiresAt), exact(old.ExpiresAt)
		}
	}
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("Pragma", "no-cache")
	w.render(rw, r, http.StatusOK, tmplSecret, v)
}
