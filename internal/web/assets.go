package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets are the static files, each with a digest of its content that
// versions its URL: a versioned URL is cached for a year, as its content
// can never change; a bare one is revalidated.
type assets struct {
	fs      fs.FS
	version map[string]string // path under static/ → short digest
	files   http.Handler
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	a := &assets{fs: sub, version: make(map[string]string)}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.version[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.files = http.FileServerFS(sub)
	return a, nil
}

// url returns the versioned address of the static file at p (relative to
// static/). An unknown file keeps a bare URL, which a test catches.
func (a *assets) url(p string) string {
	if v, ok := a.version[p]; ok {
		return "/static/" + p + "?v=" + v
	}
	return "/static/" + p
}

// serve answers GET /static/…: files only, no directory listings.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) error {
	p := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
	v, ok := a.version[p]
	if !ok {
		return errNotFound
	}
	if r.URL.Query().Get("v") == v {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + p
	a.files.ServeHTTP(w, r2)
	return nil
}
