package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file and the content hash in its URL.
type asset struct {
	body        []byte
	hash        string
	contentType string
}

// assets are the static files, addressed by content hash so they can be cached forever:
// a changed file gets a new URL.
type assets struct {
	files map[string]asset
}

func loadAssets() (*assets, error) {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("read static: %w", err)
	}
	a := &assets{files: map[string]asset{}}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.files[e.Name()] = asset{body: body, hash: hex.EncodeToString(sum[:6]), contentType: ct}
	}
	for _, want := range []string{"app.css", "app.js"} {
		if _, ok := a.files[want]; !ok {
			return nil, fmt.Errorf("missing static/%s", want)
		}
	}
	return a, nil
}

// url returns the content-hash path of a static file.
func (a *assets) url(name string) string {
	return "/static/" + a.files[name].hash + "/" + name
}

// serve answers GET /static/{hash}/{name}; a stale hash is a 404 so a cache never keeps
// an old file under a new name.
func (a *assets) serve(rw http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("name")]
	if !ok || f.hash != r.PathValue("hash") {
		http.NotFound(rw, r)
		return
	}
	h := rw.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	rw.Write(f.body)
}
