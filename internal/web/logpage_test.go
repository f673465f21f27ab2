package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"github.com/guichet/guichet/internal/witness"
)

var _ LogState = (*ledger.Log)(nil)

// serveLog rebuilds e's server with the log's read API and its page
// wired as cmd wires them, on the same complaint service.
func serveLog(t *testing.T, e *env, l *ledger.Log) {
	t.Helper()
	s, err := New(Config{
		PublicURL: "https://guichet.test",
		CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1},
	}, Deps{Complaints: e.svc, Clock: e.clock, Log: l.Handler(), LogState: l})
	if err != nil {
		t.Fatal(err)
	}
	e.web = s
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
}

// pageText is a page's body with its tags removed and its entities
// decoded: what a reader sees (and copies).
func pageText(body string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(body, ""))
}

// TestLogPage: /log/ shows the running log's latest checkpoint (size,
// root in base64 and hex, origin, key), each witness with its
// cosignature or its absence, the verification commands filled in with
// this instance's key and URL, and links to raw files that the read API
// serves; in French and in English. The read API is unchanged.
func TestLogPage(t *testing.T) {
	e := newEnv(t)
	skey, err := ledger.GenerateKey(rand.Reader, "guichet.test/log")
	if err != nil {
		t.Fatal(err)
	}
	lk, err := ledger.ParseKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	// One witness that cosigns, one that is down.
	wkey, err := checkpoint.GenerateCosignerKey(rand.Reader, "cnil.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := checkpoint.NewCosigner(wkey, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	w, err := witness.New(witness.Config{Cosigner: cosigner, Logs: []string{lk.VerifierKey()}, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	wsrv := httptest.NewServer(w.Handler())
	t.Cleanup(wsrv.Close)
	dkey, err := checkpoint.GenerateCosignerKey(rand.Reader, "defenseur.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	down, err := checkpoint.NewCosigner(dkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	dsrv := httptest.NewServer(http.NotFoundHandler())
	dsrv.Close()

	l, err := ledger.Open(t.Context(), ledger.Config{
		DataDir: filepath.Join(t.TempDir(), "log"), PublicURL: "https://guichet.test", Key: skey, Outbox: e.store, Clock: e.clock,
		Witnesses: []ledger.WitnessConfig{
			{URL: wsrv.URL, Key: cosigner.VerifierKey()},
			{URL: dsrv.URL, Key: down.VerifierKey()},
		},
		WitnessTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	serveLog(t, e, l)
	c := e.client("fr")
	c.submit()
	c.submit()
	if _, err := l.Sequence(t.Context()); err != nil {
		t.Fatal(err)
	}
	pol, err := checkpoint.NewPolicy(l.VerifierKey(), []string{cosigner.VerifierKey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pol.Open(l.Checkpoint())
	if err != nil {
		t.Fatalf("served checkpoint: %v", err)
	}
	size := v.Size
	if size < 2 || size >= 256 {
		t.Fatalf("log size %d", size)
	}
	b64, hx := base64.StdEncoding.EncodeToString(v.Hash[:]), hex.EncodeToString(v.Hash[:])
	vk := l.VerifierKey()
	pk, err := checkpoint.ParseVerifierKey(vk)
	if err != nil {
		t.Fatal(err)
	}
	tile := fmt.Sprintf("/log/tile/0/000.p/%d", size)
	bundle := fmt.Sprintf("/log/tile/entries/000.p/%d", size)
	common := []string{
		b64, hx, "guichet.test/log", vk, fmt.Sprintf("%08x", pk.ID),
		"guichet verify receipt recu.json --key '" + vk + "'",
		"guichet verify log --url https://guichet.test/log --key '" + vk + "' --state journal.state",
		"cnil.example/witness", "defenseur.example/witness", cosigner.VerifierKey(), down.VerifierKey(),
		string(l.Checkpoint()),
	}

	r := c.get("/log/").must(t, 200, `<html lang="fr">`, "<h1>Journal de transparence</h1>", "Pour les spécialistes</summary>",
		`href="/log/checkpoint"`, `href="/log/key"`, `href="`+tile+`"`, `href="`+bundle+`"`,
		`<dd class="log-figure">`+fmt.Sprint(size)+`</dd>`)
	fr := pageText(r.Body)
	for _, want := range append(common,
		"aucune adresse", "valeur est effacée avec lui",
		"1 sur 2 ont contresigné cet état",
		"a contresigné cet état le vendredi 20\u00a0novembre 2026 à 9\u00a0h\u00a000",
		"n’a pas encore contresigné cet état",
		"Lu levendredi 20\u00a0novembre 2026 à 9\u00a0h\u00a000",
		fmt.Sprintf("les empreintes des entrées 0 à %d", size-1),
		fmt.Sprintf("les entrées 0 à %d elles-mêmes", size-1),
		"Pour exiger aussi la contresignature des témoins",
	) {
		if !strings.Contains(fr, want) {
			t.Errorf("fr /log/ lacks %q", want)
		}
	}
	if strings.Contains(fr, "Aucun témoin indépendant") {
		t.Error("fr /log/ says no witness is configured")
	}
	// The commands copy as they read: one line each.
	for _, id := range []string{"cmd-receipt", "cmd-log"} {
		m := regexp.MustCompile(`<pre class="command" id="` + id + `">(.*?)</pre>`).FindStringSubmatch(r.Body)
		if m == nil || strings.Contains(m[1], "\n") || !strings.HasPrefix(pageText(m[1]), "guichet verify ") {
			t.Errorf("command %s: %q", id, m)
		}
	}

	en := pageText(e.client("en").get("/log/").must(t, 200, `<html lang="en">`, "<h1>Transparency log</h1>", "For specialists</summary>").Body)
	for _, want := range append(common,
		"no address", "that value is erased with it",
		"1 of 2 cosigned this state",
		"cosigned this state on Friday 20\u00a0November 2026, 9:00\u00a0am",
		"has not cosigned this state yet",
		fmt.Sprintf("the hashes of entries 0 to %d", size-1),
	) {
		if !strings.Contains(en, want) {
			t.Errorf("en /log/ lacks %q", want)
		}
	}

	// Every raw file the page links to is served by the log's read API,
	// with its own caching: the checkpoint never cached, tiles cached.
	cp := c.get("/log/checkpoint").must(t, 200)
	if cp.Body != string(l.Checkpoint()) || cp.Header.Get("Cache-Control") != "no-cache" || !strings.HasPrefix(cp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/log/checkpoint: %q, Cache-Control %q", cp.Body, cp.Header.Get("Cache-Control"))
	}
	if k := c.get("/log/key").must(t, 200); k.Body != vk+"\n" {
		t.Errorf("/log/key: %q", k.Body)
	}
	if tl := c.get(tile).must(t, 200); len(tl.Body) != 32*int(size) || tl.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("%s: %d bytes, Cache-Control %q", tile, len(tl.Body), tl.Header.Get("Cache-Control"))
	}
	c.get(bundle).must(t, 200)
	// The page is a page: the site's headers, never cached.
	if h := r.Header; h.Get("Content-Security-Policy") != c.get("/").Header.Get("Content-Security-Policy") ||
		h.Get("Cache-Control") != "no-store" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("/log/ headers %v", h)
	}
	for _, bad := range []string{"<style", " style=", "<script>", "onclick=", "javascript:"} {
		if strings.Contains(r.Body, bad) {
			t.Errorf("/log/ holds %q", bad)
		}
	}

	// /log leads to the page; the footer of every page links to it.
	nr := c.noRedirect()
	if loc := nr.get("/log").Header.Get("Location"); loc != "/log/" {
		t.Errorf("/log redirects to %q", loc)
	}
	for _, p := range []string{"/", "/preplainte", "/suivi", "/commissariats", "/nulle-part", "/log/"} {
		if !strings.Contains(c.get(p).Body, `<a href="/log/">Journal de transparence</a>`) {
			t.Errorf("%s: no footer link to /log/", p)
		}
	}
	c.get("/log/nulle-part").must(t, 404)
}

// TestLogPageEmpty: a new log with no witness says so rather than show
// empty lists.
func TestLogPageEmpty(t *testing.T) {
	e := newEnv(t)
	l, err := ledger.Open(t.Context(), ledger.Config{
		DataDir: filepath.Join(t.TempDir(), "log"), PublicURL: "https://guichet.test", Outbox: e.store, Clock: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	serveLog(t, e, l)
	r := e.client("fr").get("/log/").must(t, 200, `<dd class="log-figure">0</dd>`)
	txt := pageText(r.Body)
	for _, want := range []string{"aucun pour le moment", "Aucun témoin indépendant n’est encore configuré", "Le journal est encore vide", l.VerifierKey()} {
		if !strings.Contains(txt, want) {
			t.Errorf("/log/ lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `href="/log/tile/`) || strings.Contains(txt, "--witness") {
		t.Error("an empty log without witnesses shows tiles or witness flags")
	}
	e.client("en").get("/log/").must(t, 200, "No independent witness is configured", "The log is still empty")
}

// TestLogPageWithoutLog: without a log, /log/ is not found.
func TestLogPageWithoutLog(t *testing.T) {
	e := newEnv(t)
	e.client("fr").get("/log/").must(t, 404)
}

// TestLogTiles: the page names the first and the latest tile and bundle
// exactly as the log serves them (c2sp.org/tlog-tiles paths).
func TestLogTiles(t *testing.T) {
	for _, size := range []int64{0, 1, 255, 256, 257, 512, 513, 256*1000 + 7, 256*1234567 + 256} {
		got := logTiles(size)
		if size == 0 {
			if len(got) != 0 {
				t.Errorf("size 0: %v", got)
			}
			continue
		}
		ns := []int64{0}
		if last := (size - 1) / 256; last > 0 {
			ns = append(ns, last)
		}
		var want []string
		for _, lvl := range []int{0, ledger.EntriesLevel} {
			for _, n := range ns {
				w := int(min(size-n*256, 256))
				want = append(want, "/log/"+ledger.TilePath{Level: lvl, N: n, W: w}.String())
			}
		}
		var paths []string
		for _, tl := range got {
			paths = append(paths, tl.Path)
			if tl.To-tl.From+1 > 256 || tl.From%256 != 0 || tl.To >= size || tl.Partial != (tl.To-tl.From+1 < 256) {
				t.Errorf("size %d: tile %+v", size, tl)
			}
		}
		if strings.Join(paths, " ") != strings.Join(want, " ") {
			t.Errorf("size %d: %v, want %v", size, paths, want)
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for _, tc := range []struct {
		n      int64
		fr, en string
	}{
		{0, "0", "0"}, {999, "999", "999"}, {1000, "1\u202f000", "1,000"},
		{1234567, "1\u202f234\u202f567", "1,234,567"}, {-12345, "-12\u202f345", "-12,345"},
	} {
		if got := groupDigits("fr", tc.n); got != tc.fr {
			t.Errorf("fr %d: %q", tc.n, got)
		}
		if got := groupDigits("en", tc.n); got != tc.en {
			t.Errorf("en %d: %q", tc.n, got)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"https://guichet.test/log": "https://guichet.test/log",
		"a+b/c":                    "'a+b/c'",
		"it's":                     `'it'\''s'`,
		"":                         "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %q, want %q", in, got, want)
		}
	}
}
