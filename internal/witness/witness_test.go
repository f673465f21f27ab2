package witness

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const origin = "guichet.example/log"

// tree is an in-memory log signing its checkpoints.
type tree struct {
	t      *testing.T
	stored []tlog.Hash
	n      int64
	salt   string // varies the leaves, to make forks
	signer note.Signer
	vkey   string
}

func newTree(t *testing.T) *tree {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &tree{t: t, signer: s, vkey: vkey}
}

func (tr *tree) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = tr.stored[x]
	}
	return out, nil
}

func (tr *tree) grow(k int) {
	for range k {
		hs, err := tlog.StoredHashes(tr.n, fmt.Appendf(nil, "leaf %d%s", tr.n, tr.salt), tr)
		if err != nil {
			tr.t.Fatal(err)
		}
		tr.stored = append(tr.stored, hs...)
		tr.n++
	}
}

func (tr *tree) checkpoint() []byte {
	h, err := tlog.TreeHash(tr.n, tr)
	if err != nil {
		tr.t.Fatal(err)
	}
	c := checkpoint.Checkpoint{Origin: origin, Size: tr.n, Hash: h}
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, tr.signer)
	if err != nil {
		tr.t.Fatal(err)
	}
	return msg
}

func (tr *tree) proof(old int64) tlog.TreeProof {
	if old == 0 || old == tr.n {
		return nil
	}
	p, err := tlog.ProveTree(tr.n, old, tr)
	if err != nil {
		tr.t.Fatal(err)
	}
	return p
}

func newWitness(t *testing.T, dir string, logs ...string) *Witness {
	t.Helper()
	sk, err := checkpoint.GenerateCosignerKey(rand.Reader, "witness.example/w1")
	if err != nil {
		t.Fatal(err)
	}
	return newWitnessKey(t, dir, sk, logs...)
}

func newWitnessKey(t *testing.T, dir, sk string, logs ...string) *Witness {
	t.Helper()
	c, err := checkpoint.NewCosigner(sk, func() time.Time { return time.Unix(1700000000, 0) })
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{Cosigner: c, Logs: logs, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func post(t *testing.T, srv *httptest.Server, body []byte) (int, string, []byte) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), b.Bytes()
}

func TestWitnessProtocol(t *testing.T) {
	tr := newTree(t)
	dir := t.TempDir()
	w := newWitness(t, dir, tr.vkey)
	srv := httptest.NewServer(w.Handler())
	defer srv.Close()

	tr.grow(5)
	cp5 := tr.checkpoint()
	code, _, body := post(t, srv, MarshalAddCheckpoint(0, nil, cp5))
	if code != http.StatusOK {
		t.Fatalf("first checkpoint: %d %s", code, body)
	}
	// The cosignature verifies with the witness's public key.
	pol, err := checkpoint.NewPolicy(tr.vkey, []string{w.VerifierKey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pol.Open(append(bytes.Clone(cp5), body...))
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Cosigned) != 1 || v.Cosigned[0].Name != "witness.example/w1" || !v.Cosigned[0].Time.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("cosigned %+v", v.Cosigned)
	}

	tr.grow(300)
	cp305 := tr.checkpoint()
	cases := []struct {
		name   string
		body   []byte
		status int
	}{
		{"stale old size", MarshalAddCheckpoint(0, nil, cp305), http.StatusConflict},
		{"old larger than new", MarshalAddCheckpoint(400, nil, cp305), http.StatusBadRequest},
		{"bad proof", MarshalAddCheckpoint(5, tr.proof(4), cp305), http.StatusUnprocessableEntity},
		{"garbage", []byte("hello"), http.StatusBadRequest},
	}
	for _, tc := range cases {
		code, ctype, body := post(t, srv, tc.body)
		if code != tc.status {
			t.Errorf("%s: status %d (%s), want %d", tc.name, code, body, tc.status)
		}
		if tc.name == "stale old size" && (ctype != "text/x.tlog.size" || string(body) != "5\n") {
			t.Errorf("409 body %q type %q, want \"5\\n\" text/x.tlog.size", body, ctype)
		}
	}
	// An unknown log, and a checkpoint for our log signed by another key.
	other := newTree(t)
	other.grow(1)
	if code, _, _ := post(t, srv, MarshalAddCheckpoint(0, nil, other.checkpoint())); code != http.StatusForbidden {
		t.Errorf("checkpoint signed by another key: %d, want 403", code)
	}
	msg, _ := note.Sign(&note.Note{Text: "other.example/log\n1\n" + "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"}, tr.signer)
	if code, _, _ := post(t, srv, MarshalAddCheckpoint(0, nil, msg)); code != http.StatusNotFound {
		t.Errorf("unknown origin: %d, want 404", code)
	}

	// The right proof is accepted, through the client.
	c, err := NewClient(srv.URL, w.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	line, err := c.AddCheckpoint(t.Context(), 5, tr.proof(5), cp305)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pol.Open(append(bytes.Clone(cp305), line...)); err != nil {
		t.Fatal(err)
	}
	var conflict *SizeConflictError
	if _, err := c.AddCheckpoint(t.Context(), 5, tr.proof(5), cp305); !errors.As(err, &conflict) || conflict.Size != 305 {
		t.Fatalf("client on stale size: %v", err)
	}
	// Resubmitting the same checkpoint is fine; a fork of the same size is not.
	if _, err := c.AddCheckpoint(t.Context(), 305, nil, cp305); err != nil {
		t.Fatalf("same checkpoint again: %v", err)
	}
	fork := newTree(t)
	fork.signer, fork.vkey, fork.salt = tr.signer, tr.vkey, "'"
	fork.grow(305)
	h, _ := tlog.TreeHash(305, fork)
	forged, _ := note.Sign(&note.Note{Text: string(checkpoint.Checkpoint{Origin: origin, Size: 305, Hash: h}.Marshal())}, tr.signer)
	if code, _, _ := post(t, srv, MarshalAddCheckpoint(305, nil, forged)); code != http.StatusConflict {
		t.Errorf("fork at the same size: %d, want 409", code)
	}

	// State survives a restart of the witness.
	latest, err := w.Latest(origin)
	if err != nil || !bytes.Equal(latest, cp305) {
		t.Fatalf("Latest = %q, %v", latest, err)
	}
	w2 := newWitness(t, dir, tr.vkey)
	if _, err := w2.AddCheckpoint(t.Context(), MarshalAddCheckpoint(0, nil, cp305)); !errors.As(err, &conflict) || conflict.Size != 305 {
		t.Fatalf("after restart: %v", err)
	}
}

// Concurrent submissions never roll the witness back.
func TestWitnessNoRollback(t *testing.T) {
	tr := newTree(t)
	w := newWitness(t, t.TempDir(), tr.vkey)
	tr.grow(3)
	cps := map[int64][]byte{}
	var sizes []int64
	for i := 0; i < 20; i++ {
		tr.grow(7)
		cps[tr.n] = tr.checkpoint()
		sizes = append(sizes, tr.n)
	}
	if _, err := w.AddCheckpoint(t.Context(), MarshalAddCheckpoint(0, nil, cps[sizes[0]])); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	for _, s := range sizes[1:] {
		go func() {
			defer func() { done <- struct{}{} }()
			w.AddCheckpoint(t.Context(), MarshalAddCheckpoint(sizes[0], tr.proofFrom(sizes[0], s), cps[s]))
		}()
	}
	for range sizes[1:] {
		<-done
	}
	latest, _ := w.Latest(origin)
	text, _, _ := bytes.Cut(latest, []byte("\n\n"))
	c, err := checkpoint.Parse(append(text, '\n'))
	if err != nil {
		t.Fatal(err)
	}
	if c.Size == sizes[0] {
		t.Fatal("no concurrent submission was accepted")
	}
}

func (tr *tree) proofFrom(old, n int64) tlog.TreeProof {
	p, err := tlog.ProveTree(n, old, tr)
	if err != nil {
		tr.t.Fatal(err)
	}
	return p
}

func TestAddCheckpointRoundTrip(t *testing.T) {
	proof := tlog.TreeProof{tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b"))}
	cp := []byte("o\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\n— o AAAA\n")
	old, p, c, err := ParseAddCheckpoint(MarshalAddCheckpoint(2, proof, cp))
	if err != nil || old != 2 || len(p) != 2 || p[1] != proof[1] || !bytes.Equal(c, cp) {
		t.Fatalf("round trip: %d %v %q %v", old, p, c, err)
	}
	for _, bad := range []string{"", "old 1", "old 01\n\nx", "old -1\n\nx", "new 1\n\nx", "old 1\nnot base64\n\nx", "old 1\n\n"} {
		if _, _, _, err := ParseAddCheckpoint([]byte(bad)); !errors.Is(err, ErrMalformedRequest) {
			t.Errorf("ParseAddCheckpoint(%q) = %v", bad, err)
		}
	}
}

func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 5\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\nexample.com/x\n6\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/x AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		old, proof, cp, err := ParseAddCheckpoint(b)
		if err != nil {
			return
		}
		if !bytes.Equal(MarshalAddCheckpoint(old, proof, cp), b) {
			t.Fatalf("not canonical: %q", b)
		}
	})
}
