package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/ledger"
)

// withLog gives e a real transparency log over its store, sequenced by
// hand with seq, and wires the status page's receipts to it as cmd does.
func withLog(t *testing.T, e *env) (l *ledger.Log, seq func()) {
	t.Helper()
	l, err := ledger.Open(t.Context(), ledger.Config{
		DataDir: filepath.Join(t.TempDir(), "log"), PublicURL: "https://guichet.test", Outbox: e.store, Clock: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e.web.d.LogReceipt = func(ctx context.Context, ref string, salt []byte, ev casefile.Event) (LogProof, error) {
		r, res, err := l.CheckedReceipt(ctx, e.store, ref, salt, ev)
		if err != nil {
			return LogProof{}, err
		}
		b, err := r.Marshal()
		return LogProof{Index: res.Index, TreeSize: res.TreeSize, JSON: b}, err
	}
	return l, func() {
		t.Helper()
		if _, err := l.Sequence(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestLogReceiptOnStatusPage: the status page says the submission is
// pending, then its index once sequenced; recu.json is the receipt that
// verifies with the log's key; refreshing proves it against the grown log.
func TestLogReceiptOnStatusPage(t *testing.T) {
	e := newEnv(t)
	l, seq := withLog(t, e)
	c := e.client("fr")
	ref, code := c.submit()

	c.get("/suivi/"+ref).must(t, 200, "Journal public de transparence", "sera inscrit dans le journal public").
		lacks(t, "recu.json")
	c.get("/suivi/"+ref+"/recu.json").must(t, http.StatusNotFound)
	c.get("/suivi/"+ref+"/recu").must(t, 200, "inscription en cours").lacks(t, "recu.json")

	seq()
	view, err := e.svc.View(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := submission(view)
	idx, err := e.store.EventLogIndex(t.Context(), ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	size := l.Size()
	indexed := fmt.Sprintf("Enregistré dans le journal public à l’index %d.", idx)
	c.get("/suivi/"+ref).must(t, 200, indexed, fmt.Sprintf("à %d entrées", size), `href="/suivi/`+ref+`/recu.json"`, `action="/suivi/`+ref+`/preuve#journal"`)
	c.get("/suivi/"+ref+"/recu").must(t, 200, indexed, `href="/suivi/`+ref+`/recu.json"`)

	r := c.get("/suivi/"+ref+"/recu.json").must(t, 200)
	if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "application/json" || cd != `attachment; filename="recu-`+ref+`.json"` {
		t.Errorf("recu.json: Content-Type %q, Content-Disposition %q", ct, cd)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("recu.json: Cache-Control %q", cc)
	}
	rc, err := ledger.ParseReceipt([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	res, err := ledger.VerifyReceipt(rc, l.VerifierKey())
	if err != nil {
		t.Fatalf("downloaded receipt does not verify: %v", err)
	}
	if res.Ref != ref || res.Index != idx || res.TreeSize != size || res.Leaf.Type != casefile.EventSubmitted {
		t.Fatalf("receipt says %+v", res)
	}

	// The log grows with another citizen's case; the refresh says so.
	e.client("fr").submit()
	seq()
	if l.Size() <= size {
		t.Fatalf("log did not grow: %d", l.Size())
	}
	c.post("/suivi/"+ref+"/preuve", url.Values{"taille": {fmt.Sprint(size)}}).
		must(t, 200, fmt.Sprintf("le journal est passé de %d à %d entrées et votre dépôt y figure toujours", size, l.Size()), indexed)
	// A made-up previous size is not repeated back.
	c.post("/suivi/"+ref+"/preuve", url.Values{"taille": {"999999"}}).
		must(t, 200, fmt.Sprintf("qui compte maintenant %d entrées", l.Size()))
	r = c.get("/suivi/"+ref+"/recu.json").must(t, 200)
	rc, err = ledger.ParseReceipt([]byte(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	if res, err := ledger.VerifyReceipt(rc, l.VerifierKey()); err != nil || res.TreeSize != l.Size() {
		t.Fatalf("refreshed receipt: %+v, %v", res, err)
	}

	// In English too.
	e.client("en").post("/suivi", url.Values{"ref": {ref}, "code": {code}}).
		must(t, 200, "Public transparency log", fmt.Sprintf("Recorded in the public log at index %d.", idx), "Refresh the proof")
}

// TestLogReceiptNeedsAccess: recu.json and the refresh belong to the
// browser holding access to that case (IDOR); others are sent to the
// tracking form and learn nothing.
func TestLogReceiptNeedsAccess(t *testing.T) {
	e := newEnv(t)
	_, seq := withLog(t, e)
	a, b := e.client("fr"), e.client("fr")
	refA, _ := a.submit()
	refB, _ := b.submit()
	seq()
	a.get("/suivi/"+refA+"/recu.json").must(t, 200, refA)
	for _, c := range []*client{b.noRedirect(), e.client("fr").noRedirect()} {
		r := c.get("/suivi/"+refA+"/recu.json").must(t, http.StatusSeeOther).lacks(t, refA+`",`)
		if loc := r.Header.Get("Location"); loc != "/suivi?ref="+refA {
			t.Errorf("GET recu.json of another case: Location %q", loc)
		}
		r = c.post("/suivi/"+refA+"/preuve", url.Values{"taille": {"1"}}).must(t, http.StatusSeeOther)
		if loc := r.Header.Get("Location"); loc != "/suivi?ref="+refA {
			t.Errorf("POST preuve of another case: Location %q", loc)
		}
	}
	b.get("/suivi/"+refB+"/recu.json").must(t, 200, refB).lacks(t, refA)

	// Once the access lapses, the receipt is out of reach too.
	e.clock.Add(accessTTL + time.Second)
	if r := a.get("/suivi/" + refA + "/recu.json"); r.Path != "/suivi?ref="+refA {
		t.Errorf("recu.json still served after the access lapsed: %s", r.Path)
	}
}

// TestLogReceiptErasedCase: an erased case has no salt left, so the
// server can no longer tie it to the log: no section, no receipt.
func TestLogReceiptErasedCase(t *testing.T) {
	e := newEnv(t)
	_, seq := withLog(t, e)
	c := e.client("fr")
	ref, code := c.submit()
	seq()
	e.clock.Add(31 * 24 * time.Hour)
	if _, err := e.svc.RunRetention(t.Context()); err != nil {
		t.Fatal(err)
	}
	o := e.client("fr")
	o.post("/suivi", url.Values{"ref": {ref}, "code": {code}}).must(t, 200, "ont été effacées").
		lacks(t, "Journal public", "recu.json")
	o.get("/suivi/"+ref+"/recu.json").must(t, http.StatusNotFound)
}
