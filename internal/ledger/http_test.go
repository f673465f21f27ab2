package ledger

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func serveTest(t *testing.T, l *Log) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/log/", l.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	// A bare transport, so gzip is not undone behind our back.
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestHandler(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob)
	leaves := testLeaves(0, 300)
	ob.add(leaves...)
	drain(t, l)
	srv := serveTest(t, l)

	resp, body := get(t, srv.URL+"/log/checkpoint")
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-cache" ||
		resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !bytes.Equal(body, l.Checkpoint()) {
		t.Fatalf("checkpoint: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	resp, body = get(t, srv.URL+"/log/key")
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != l.VerifierKey() {
		t.Fatalf("key: %d %q", resp.StatusCode, body)
	}
	if _, err := note.NewVerifier(strings.TrimSpace(string(body))); err != nil {
		t.Fatalf("/log/key is not a vkey: %v", err)
	}

	cases := []struct {
		path   string
		status int
		cache  string
	}{
		{"tile/0/000", 200, "public, max-age=31536000, immutable"},
		{"tile/0/001.p/44", 200, "public, max-age=3600"},
		{"tile/1/000.p/1", 200, "public, max-age=3600"},
		{"tile/entries/000", 200, "public, max-age=31536000, immutable"},
		{"tile/entries/001.p/44", 200, "public, max-age=3600"},
		{"tile/0/001.p/45", 404, ""}, // beyond the published tree
		{"tile/0/001", 404, ""},
		{"tile/0/002.p/1", 404, ""},
		{"tile/2/000.p/1", 404, ""},
		{"tile/63/x009/x223/x372/x036/x854/x775/807", 404, ""},
		{"tile/0/01", 400, ""},
		{"tile/0/000.p/0", 400, ""},
		{"tile/x/000", 400, ""},
	}
	for _, tc := range cases {
		resp, body := get(t, srv.URL+"/log/"+tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.path, resp.StatusCode, body, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if got := resp.Header.Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if got := resp.Header.Get("Content-Type"); got != "application/octet-stream" {
			t.Errorf("%s: Content-Type %q", tc.path, got)
		}
	}
	// Entry bundles are gzipped when the client accepts it.
	resp, body = get(t, srv.URL+"/log/tile/entries/000", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("bundle not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	es, err := ParseBundle(plain)
	if err != nil || len(es) != 256 || !bytes.Equal(es[7], leaves[7]) {
		t.Fatalf("gzipped bundle: %v %d", err, len(es))
	}
	if resp, _ := get(t, srv.URL+"/log/checkpoint/x"); resp.StatusCode != 404 {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

// An independent client, built only on golang.org/x/mod/sumdb/tlog and
// note (it shares no code with this package), verifies inclusion and
// consistency against the HTTP API.
type interopClient struct {
	t      *testing.T
	prefix string
}

func (c interopClient) fetch(path string) []byte {
	resp, err := http.Get(c.prefix + "/" + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		c.t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return b
}

// Height, ReadTiles and SaveTiles implement tlog.TileReader. tlog's tile
// paths carry the height ("tile/8/0/000"); C2SP's do not ("tile/0/000").
func (c interopClient) Height() int { return 8 }
func (c interopClient) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tl := range tiles {
		out[i] = c.fetch("tile/" + strings.TrimPrefix(tl.Path(), "tile/8/"))
	}
	return out, nil
}
func (c interopClient) SaveTiles([]tlog.Tile, [][]byte) {}

func (c interopClient) tree(vkey string) tlog.Tree {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		c.t.Fatal(err)
	}
	n, err := note.Open(c.fetch("checkpoint"), note.VerifierList(v))
	if err != nil {
		c.t.Fatal(err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	h, _ := base64.StdEncoding.DecodeString(lines[2])
	if lines[0] != v.Name() || len(h) != 32 {
		c.t.Fatalf("checkpoint %q", n.Text)
	}
	return tlog.Tree{N: size, Hash: tlog.Hash(h)}
}

func (c interopClient) entry(i int64) []byte {
	path := "tile/entries/" + strings.TrimPrefix(tlog.Tile{H: 8, L: 0, N: i / 256, W: 256}.Path(), "tile/8/0/")
	b, err := func() ([]byte, error) {
		resp, err := http.Get(c.prefix + "/" + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, errors.New(resp.Status)
		}
		return io.ReadAll(resp.Body)
	}()
	if err != nil { // not full yet: the partial bundle of this tree size
		tr := c.tree(c.vkey())
		path = fmt.Sprintf("%s.p/%d", path, tr.N-i/256*256)
		b = c.fetch(path)
	}
	for k := int64(0); len(b) >= 2; k++ {
		n := int(b[0])<<8 | int(b[1])
		if k == i%256 {
			return b[2 : 2+n]
		}
		b = b[2+n:]
	}
	c.t.Fatalf("entry %d not in its bundle", i)
	return nil
}

func (c interopClient) vkey() string { return strings.TrimSpace(string(c.fetch("key"))) }

func TestInteropWithTlogClient(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob, func(c *Config) { c.MaxBatch = 1 << 17 })
	srv := serveTest(t, l)
	c := interopClient{t: t, prefix: srv.URL + "/log"}
	vkey := l.VerifierKey() // obtained out of band

	var old tlog.Tree
	var leaves [][]byte
	for _, n := range []int{1, 2, 253, 300, 1, 65536 - 557, 700} {
		batch := testLeaves(len(leaves), n)
		leaves = append(leaves, batch...)
		ob.add(batch...)
		drain(t, l)

		tree := c.tree(vkey)
		if tree.N != int64(len(leaves)) {
			t.Fatalf("size %d, want %d", tree.N, len(leaves))
		}
		hr := tlog.TileHashReader(tree, c)
		for _, i := range []int64{0, tree.N / 3, tree.N - 1} {
			p, err := tlog.ProveRecord(tree.N, i, hr)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, tlog.RecordHash(c.entry(i))); err != nil {
				t.Fatalf("record %d: %v", i, err)
			}
			if !bytes.Equal(c.entry(i), leaves[i]) {
				t.Fatalf("entry %d differs", i)
			}
		}
		if old.N > 0 {
			p, err := tlog.ProveTree(tree.N, old.N, hr)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(p, tree.N, tree.Hash, old.N, old.Hash); err != nil {
				t.Fatalf("tree %d→%d: %v", old.N, tree.N, err)
			}
		}
		old = tree
	}
}

// Tampering with a stored tile is reported by the log auditor over HTTP.
func TestVerifyLogDetectsTampering(t *testing.T) {
	dir, skey, ob := t.TempDir(), testKey(t), &memOutbox{}
	l := openTest(t, dir, skey, ob)
	ob.add(testLeaves(0, 600)...)
	drain(t, l)
	srv := serveTest(t, l)
	fetch := HTTPFetcher(srv.Client(), srv.URL+"/log")
	pol, err := checkpoint.NewPolicy(l.VerifierKey(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyLog(t.Context(), fetch, pol, AuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 600 || rep.Tiles != 4 { // 0/000, 0/001, 0/002.p/88, 1/000.p/2
		t.Fatalf("report %+v", rep)
	}
	state := rep.Checkpoint.Note

	ob.add(testLeaves(600, 100)...)
	drain(t, l)
	rep, err = VerifyLog(t.Context(), fetch, pol, AuditOptions{Saved: state})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OldSize != 600 || rep.Entries != 100 {
		t.Fatalf("incremental report %+v", rep)
	}

	flip := func(rel string, off int) func() {
		p := filepath.Join(dir, "log", filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		orig := bytes.Clone(b)
		b[off] ^= 0x20
		os.WriteFile(p, b, 0o644)
		l.cache = newTileCache(10) // as after a restart
		return func() { os.WriteFile(p, orig, 0o644) }
	}
	for _, tc := range []struct {
		file string
		off  int
		opts AuditOptions
		want error
	}{
		{"tile/0/001", 40, AuditOptions{}, ErrTileMismatch},
		{"tile/1/000.p/2", 3, AuditOptions{}, ErrTileMismatch},
		{"tile/entries/000", 30, AuditOptions{}, ErrTileMismatch},
		{"tile/entries/002.p/188", 30, AuditOptions{}, ErrTileMismatch},
		// Incremental: what the saved checkpoint covers must not change.
		{"tile/0/002.p/188", 40, AuditOptions{Saved: state}, ErrInconsistent},
		{"tile/entries/002.p/188", 30, AuditOptions{Saved: state}, ErrInconsistent},
		{"tile/0/001", 40, AuditOptions{Saved: state, Full: true}, ErrTileMismatch},
		{"tile/entries/000", 30, AuditOptions{Saved: state, Full: true}, ErrTileMismatch},
	} {
		undo := flip(tc.file, tc.off)
		_, err := VerifyLog(t.Context(), fetch, pol, tc.opts)
		undo()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s altered (%+v): %v, want %v", tc.file, tc.opts.Saved != nil, err, tc.want)
		}
	}
	if _, err := VerifyLog(t.Context(), fetch, pol, AuditOptions{Saved: state, Full: true}); err != nil {
		t.Fatalf("after undoing: %v", err)
	}
	// A checkpoint altered on disk is caught by an audit of the files.
	undo := flip("checkpoint", 1)
	if _, err := VerifyLog(t.Context(), StoreFetcher(l.store), pol, AuditOptions{}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("checkpoint altered: %v, want ErrBadSignature", err)
	}
	undo()

	// A log that lost entries (restored from an old copy) is a rollback;
	// a log that was rebuilt with other entries is inconsistent.
	big := rep.Checkpoint.Note
	l2 := openTest(t, t.TempDir(), skey, &memOutbox{})
	ob2 := l2.cfg.Outbox.(*memOutbox)
	ob2.add(testLeaves(0, 650)...)
	drain(t, l2)
	fetch2 := HTTPFetcher(nil, serveTest(t, l2).URL+"/log")
	if _, err := VerifyLog(t.Context(), fetch2, pol, AuditOptions{Saved: big}); !errors.Is(err, ErrRollback) {
		t.Errorf("smaller log: %v, want ErrRollback", err)
	}
	ob2.add(testLeaves(5000, 100)...)
	drain(t, l2)
	if _, err := VerifyLog(t.Context(), fetch2, pol, AuditOptions{Saved: big}); !errors.Is(err, ErrInconsistent) {
		t.Errorf("rewritten log: %v, want ErrInconsistent", err)
	}
	other, _ := checkpoint.NewPolicy(testVKey(t), nil, 0)
	if _, err := VerifyLog(t.Context(), fetch, other, AuditOptions{}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("wrong key: %v", err)
	}
}

func testVKey(t *testing.T) string {
	k, err := ParseKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return k.VerifierKey()
}

func TestStoreFetcherAudit(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob)
	ob.add(testLeaves(0, 1000)...)
	drain(t, l)
	pol, _ := checkpoint.NewPolicy(l.VerifierKey(), nil, 0)
	if _, err := VerifyLog(context.Background(), StoreFetcher(l.store), pol, AuditOptions{}); err != nil {
		t.Fatal(err)
	}
}
