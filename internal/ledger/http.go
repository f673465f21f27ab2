package ledger

import (
	"compress/gzip"
	"errors"
	"net/http"
	"strings"

	"github.com/guichet/guichet"
)

// Handler serves the log's read API of c2sp.org/tlog-tiles, with the log
// prefix "/log/". Mount it as mux.Handle("/log/", l.Handler()).
//
//	GET /log/checkpoint               latest checkpoint, Cache-Control: no-cache
//	GET /log/tile/{L}/{N}[.p/{W}]     hash tiles
//	GET /log/tile/entries/{N}[.p/{W}] entry bundles (gzip if accepted)
//	GET /log/key                      verifier key(s), one per line
//
// Full tiles are served as immutable for a year; partial tiles for an hour
// (they may be deleted once full, as the specification allows). Tiles
// beyond the published checkpoint are never served. It reads only the
// TileStore, never the application database.
//
// The handler answers errors itself in plain text (404, 400, 500): its
// clients are log verifiers, not browsers, and the read path must not
// depend on the web layer.
func (l *Log) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /log/checkpoint", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write(l.latest(r.Context(), 0).note)
	})
	mux.HandleFunc("GET /log/key", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte(strings.Join(l.vkeys, "\n") + "\n"))
	})
	mux.HandleFunc("GET /log/tile/", l.serveTile)
	return mux
}

func (l *Log) serveTile(w http.ResponseWriter, r *http.Request) {
	p, err := ParseTilePath(strings.TrimPrefix(r.URL.Path, "/log/"))
	if err != nil {
		http.Error(w, "malformed tile path", http.StatusBadRequest)
		return
	}
	// Only what a published checkpoint covers: tiles beyond it may be
	// leftovers of an append that crashed before its checkpoint.
	level := p.Level
	if level == EntriesLevel {
		level = 0
	}
	// A node that is not the sequencer reads the checkpoint again if
	// the tile is beyond the one it has.
	size := l.latest(r.Context(), (p.N<<TileHeight+int64(p.W))<<(TileHeight*level)).cp.Size
	levelSize := size >> (TileHeight * level)
	if p.N > levelSize>>TileHeight || p.N<<TileHeight+int64(p.W) > levelSize {
		http.Error(w, "tile not in the published tree", http.StatusNotFound)
		return
	}
	data, err := l.store.Get(r.Context(), p.String())
	if errors.Is(err, guichet.ErrNotFound) {
		http.Error(w, "tile not found", http.StatusNotFound)
		return
	}
	if err != nil {
		l.log.ErrorContext(r.Context(), "ledger: serve tile", "tile", p.String(), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Access-Control-Allow-Origin", "*")
	if p.Full() {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=3600")
	}
	if p.Level == EntriesLevel {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			h.Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(data)
			zw.Close()
			return
		}
	}
	w.Write(data)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
