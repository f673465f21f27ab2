package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"strings"
)

// The PWA's manifest and service worker.

// alertShell lists the static files of the app shell, which the service
// worker caches so that /alerte opens offline.
var alertShell = []string{
	"css/alert.css", "js/alert.js", "js/alert-queue.js",
	"img/alert-icon.svg", "img/alert-icon-192.png", "img/alert-icon-512.png",
}

// alertManifest serves the web app manifest, in the request's language.
// Its name is discreet: an icon on a home screen that others may see.
func (s *Server) alertManifest(w http.ResponseWriter, r *http.Request) error {
	c := s.cats[chooseLang(r, s.matcher)]
	type icon struct {
		Src     string `json:"src"`
		Sizes   string `json:"sizes"`
		Type    string `json:"type"`
		Purpose string `json:"purpose,omitempty"`
	}
	m := struct {
		Name            string `json:"name"`
		ShortName       string `json:"short_name"`
		Description     string `json:"description"`
		Lang            string `json:"lang"`
		ID              string `json:"id"`
		StartURL        string `json:"start_url"`
		Scope           string `json:"scope"`
		Display         string `json:"display"`
		Orientation     string `json:"orientation"`
		BackgroundColor string `json:"background_color"`
		ThemeColor      string `json:"theme_color"`
		Icons           []icon `json:"icons"`
	}{
		Name: c.T("pwa.manifest.name"), ShortName: c.T("pwa.manifest.short_name"), Description: c.T("pwa.manifest.description"),
		Lang: c.lang, ID: "/alerte", StartURL: "/alerte", Scope: "/alerte", Display: "standalone", Orientation: "portrait",
		BackgroundColor: alertDark, ThemeColor: alertDark,
		Icons: []icon{
			{Src: s.assets.url("img/alert-icon.svg"), Sizes: "any", Type: "image/svg+xml"},
			{Src: s.assets.url("img/alert-icon-192.png"), Sizes: "192x192", Type: "image/png"},
			{Src: s.assets.url("img/alert-icon-512.png"), Sizes: "512x512", Type: "image/png", Purpose: "any maskable"},
		},
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Language", c.lang)
	h.Add("Vary", "Accept-Language, Cookie")
	_, _ = w.Write(b)
	return nil
}

// alertDark is the app's background and theme colour.
const alertDark = "#101418"

// alertServiceWorker serves static/js/alert-sw.js at /alerte/sw.js, after
// a first line naming the shell's versioned URLs: a new asset changes the
// worker's bytes, so browsers install it and drop the old cache. It is
// allowed the scope /alerte (the page itself, not only /alerte/…).
func (s *Server) alertServiceWorker(w http.ResponseWriter, r *http.Request) error {
	src, err := fs.ReadFile(s.assets.fs, "js/alert-sw.js")
	if err != nil {
		return err
	}
	urls := []string{"/alerte", "/alerte/manifest.webmanifest"}
	for _, p := range alertShell {
		urls = append(urls, s.assets.url(p))
	}
	sum := sha256.New()
	sum.Write(src)
	sum.Write([]byte(strings.Join(urls, "\n")))
	list, _ := json.Marshal(urls)
	head := "const SHELL_VERSION = \"" + hex.EncodeToString(sum.Sum(nil)[:6]) + "\";\nconst SHELL = " + string(list) +
		";\nconst QUEUE_SCRIPT = \"" + s.assets.url("js/alert-queue.js") + "\";\n"
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/alerte")
	_, _ = w.Write([]byte(head))
	_, _ = w.Write(src)
	return nil
}
