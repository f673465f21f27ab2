package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"github.com/guichet/guichet/internal/witness"
	"golang.org/x/mod/sumdb/note"
)

var update = flag.Bool("update", false, "rewrite golden files")

// seeded is a deterministic io.Reader for reproducible keys.
type seeded struct{ state [32]byte }

func (s *seeded) Read(p []byte) (int, error) {
	for i := range p {
		if i%32 == 0 {
			s.state = sha256.Sum256(s.state[:])
		}
		p[i] = s.state[i%32]
	}
	return len(p), nil
}

func (o *memOutbox) addEvent(eventID string, leaf []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.nextID++
	o.rows = append(o.rows, casefile.OutboxEntry{ID: o.nextID, EventID: eventID, Leaf: leaf, LogIndex: -1})
}

func citizenEvent(id string) casefile.Event {
	return casefile.Event{ID: id, CaseID: "case-1", Type: casefile.EventSubmitted, At: testAt, Actor: "citizen",
		Visible: true, Data: map[string]string{"category": "theft"}}
}

func TestReceipt(t *testing.T) {
	skey, err := GenerateKey(&seeded{}, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), skey, ob)
	ob.add(testLeaves(0, 40)...)
	ref, salt := "PP-2026-7KQ3-M9TX", []byte("sixteen byte salt")
	ev := citizenEvent("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
	if _, err := l.ReceiptForEvent(t.Context(), ob, ref, salt, ev); !errors.Is(err, guichet.ErrNotFound) {
		t.Fatalf("receipt before sequencing: %v, want ErrNotFound", err)
	}
	ob.addEvent(ev.ID, casefile.NewLeaf(salt, ref, ev).MarshalCanonical())
	ob.add(testLeaves(40, 19)...)
	drain(t, l)

	r, err := l.ReceiptForEvent(t.Context(), ob, ref, salt, ev)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "receipt.golden.json")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, append(b, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(b)+"\n" {
		t.Errorf("receipt differs from %s (run with -update if intended):\n%s", golden, b)
	}

	parsed, err := ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyReceipt(parsed, l.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if res.Index != 40 || res.TreeSize != 60 || res.Ref != ref || res.Leaf.Type != "submitted" || res.Origin != testOrigin {
		t.Fatalf("result %+v", res)
	}

	// Refreshing proves the same leaf against a later checkpoint.
	ob.add(testLeaves(60, 500)...)
	drain(t, l)
	r2, err := l.ReceiptForEvent(t.Context(), ob, ref, salt, ev)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := VerifyReceipt(r2, l.VerifierKey()); err != nil || res.TreeSize != 560 {
		t.Fatalf("refreshed receipt: %+v %v", res, err)
	}

	otherKey := testVKey(t)
	mod := func(f func(r *Receipt)) *Receipt {
		c := *r2
		c.InclusionProof = append([]string(nil), r2.InclusionProof...)
		f(&c)
		return &c
	}
	for _, tc := range []struct {
		name string
		r    *Receipt
		key  string
		want error
	}{
		{"wrong key", r2, otherKey, ErrWrongKey},
		{"leaf changed", mod(func(r *Receipt) { r.Leaf = strings.Replace(r.Leaf, "submitted", "closed", 1) }), "", ErrNotIncluded},
		{"index changed", mod(func(r *Receipt) { r.Index++ }), "", ErrNotIncluded},
		{"index beyond tree", mod(func(r *Receipt) { r.Index = 560 }), "", ErrNotIncluded},
		{"proof changed", mod(func(r *Receipt) { r.InclusionProof[1] = r.InclusionProof[0] }), "", ErrNotIncluded},
		{"proof truncated", mod(func(r *Receipt) { r.InclusionProof = r.InclusionProof[1:] }), "", ErrNotIncluded},
		{"proof not base64", mod(func(r *Receipt) { r.InclusionProof[0] = "!" }), "", ErrMalformed},
		{"other salt", mod(func(r *Receipt) { r.Salt = "00ff" }), "", ErrLeafMismatch},
		{"other reference", mod(func(r *Receipt) { r.Ref = "PP-2026-AAAA-BBBB" }), "", ErrLeafMismatch},
		{"no salt (erased case)", mod(func(r *Receipt) { r.Salt = "" }), "", ErrMalformed},
		{"checkpoint altered", mod(func(r *Receipt) { r.Checkpoint = strings.Replace(r.Checkpoint, "\n560\n", "\n561\n", 1) }), "", ErrBadSignature},
		{"format", mod(func(r *Receipt) { r.Format = "v0" }), "", ErrMalformed},
	} {
		key := tc.key
		if key == "" {
			key = l.VerifierKey()
		}
		if _, err := VerifyReceipt(tc.r, key); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := ParseReceipt([]byte(`{"format":"guichet-receipt/v1","index":"x"}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("ParseReceipt of bad JSON: %v", err)
	}
	// A database pointing to the wrong index is caught when building.
	if _, err := l.BuildReceipt(t.Context(), ref, salt, casefile.NewLeaf(salt, ref, ev).MarshalCanonical(), 41); !errors.Is(err, ErrDiverged) {
		t.Errorf("receipt for the wrong index: %v", err)
	}
}

// After erasure the salt is gone: the leaf stays, the log still verifies,
// and nothing but the citizen's own copy of the salt links it to them.
func TestErasureKeepsLogVerifiable(t *testing.T) {
	ob := &memOutbox{}
	l := openTest(t, t.TempDir(), testKey(t), ob)
	ref, salt := "PP-2026-7KQ3-M9TX", []byte("a salt deleted on erasure")
	ev := citizenEvent("e1")
	leaf := casefile.NewLeaf(salt, ref, ev).MarshalCanonical()
	ob.addEvent(ev.ID, leaf)
	erased := citizenEvent("e2")
	erased.Type = casefile.EventErased
	ob.addEvent(erased.ID, casefile.NewLeaf(salt, ref, erased).MarshalCanonical())
	drain(t, l)
	// Erasure: the store deletes the salt. A fresh salt (or none) cannot
	// reproduce the commitment.
	lf, _ := ParseLeaf(leaf)
	if casefile.CaseCommitment([]byte("another salt"), ref) == lf.Case {
		t.Fatal("commitment reproducible without the salt")
	}
	pol, _ := checkpoint.NewPolicy(l.VerifierKey(), nil, 0)
	if _, err := VerifyLog(t.Context(), StoreFetcher(l.store), pol, AuditOptions{}); err != nil {
		t.Fatalf("log after erasure: %v", err)
	}
	if bytes.Contains(leaf, []byte(ref)) || bytes.Contains(leaf, salt) {
		t.Fatal("the leaf holds the reference or the salt in clear")
	}
}

// The log collects cosignatures from its witnesses and serves them with
// the checkpoint; receipts then satisfy a witness quorum.
func TestWitnessCosigning(t *testing.T) {
	skey := testKey(t)
	lk, _ := ParseKey(skey)
	wkey, err := checkpoint.GenerateCosignerKey(&seeded{}, "dpa.example/witness")
	if err != nil {
		t.Fatal(err)
	}
	cosigner, err := checkpoint.NewCosigner(wkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	wdir := t.TempDir()
	w, err := witness.New(witness.Config{Cosigner: cosigner, Logs: []string{lk.VerifierKey()}, Dir: wdir})
	if err != nil {
		t.Fatal(err)
	}
	wsrv := httptest.NewServer(w.Handler())
	defer wsrv.Close()

	dir, ob := t.TempDir(), &memOutbox{}
	withWitness := func(c *Config) {
		c.Witnesses = []WitnessConfig{{URL: wsrv.URL, Key: cosigner.VerifierKey()}}
		c.WitnessTimeout = 2 * time.Second
	}
	l := openTest(t, dir, skey, ob, withWitness)
	ob.add(testLeaves(0, 30)...)
	drain(t, l)
	pol, err := checkpoint.NewPolicy(l.VerifierKey(), []string{cosigner.VerifierKey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pol.Open(l.Checkpoint())
	if err != nil {
		t.Fatalf("served checkpoint: %v", err)
	}
	if v.Size != 30 || len(v.Cosigned) != 1 {
		t.Fatalf("served %+v", v)
	}
	r, err := l.BuildReceipt(t.Context(), "x", []byte("s"), testLeaf(3), 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyReceiptWith(r, pol); err != nil && !errors.Is(err, ErrLeafMismatch) {
		t.Fatalf("receipt under a witness quorum: %v", err)
	}

	// A restarted log does not know the witness's size: the witness's 409
	// tells it, and cosigning goes on. Cosignatures survive the restart.
	l.Close()
	l = openTest(t, dir, skey, ob, withWitness)
	if _, err := pol.Open(l.Checkpoint()); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	ob.add(testLeaves(30, 300)...)
	drain(t, l)
	if v, err := pol.Open(l.Checkpoint()); err != nil || v.Size != 330 {
		t.Fatalf("after restart and append: %v", err)
	}

	// A witness that is down costs its cosignature, not the append.
	wsrv.Close()
	ob.add(testLeaves(330, 5)...)
	drain(t, l)
	if l.Size() != 335 {
		t.Fatalf("size %d", l.Size())
	}
	if _, err := pol.Open(l.Checkpoint()); !errors.Is(err, ErrTooFewCosignatures) {
		t.Fatalf("without the witness: %v, want ErrTooFewCosignatures", err)
	}
	// Serving goes on through HTTP with the log's signature alone.
	srv := serveTest(t, l)
	resp, err := http.Get(srv.URL + "/log/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := note.Open(l.Checkpoint(), note.VerifierList(mustVerifier(t, l.VerifierKey()))); err != nil {
		t.Fatal(err)
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func FuzzVerifyReceipt(f *testing.F) {
	skey, _ := GenerateKey(&seeded{}, testOrigin)
	k, _ := ParseKey(skey)
	golden, err := os.ReadFile(filepath.Join("testdata", "receipt.golden.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"format":"guichet-receipt/v1","index":-1,"checkpoint":"x"}`))
	kinds := []error{ErrMalformed, ErrBadSignature, ErrWrongKey, ErrUnknownOrigin, ErrNotIncluded, ErrLeafMismatch}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReceipt(b)
		if err != nil {
			return
		}
		res, err := VerifyReceipt(r, k.VerifierKey())
		if err == nil {
			if res.Index >= res.TreeSize {
				t.Fatalf("accepted index %d in tree %d", res.Index, res.TreeSize)
			}
			return
		}
		for _, k := range kinds {
			if errors.Is(err, k) {
				return
			}
		}
		t.Fatalf("untyped error: %v", err)
	})
}

func FuzzParseLeaf(f *testing.F) {
	f.Add(testLeaf(1))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLeaf(b)
		if err != nil {
			return
		}
		if !bytes.Equal(l.MarshalCanonical(), b) {
			t.Fatalf("accepted a non-canonical leaf %q", b)
		}
	})
}
