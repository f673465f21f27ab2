package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/witness"
)

// logOutbox is a minimal in-memory outbox for these tests.
type logOutbox struct {
	mu   sync.Mutex
	rows []casefile.OutboxEntry
	done int
}

func (o *logOutbox) add(eventID string, leaf []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows = append(o.rows, casefile.OutboxEntry{ID: int64(len(o.rows) + 1), EventID: eventID, Leaf: leaf, LogIndex: -1})
}

func (o *logOutbox) PendingOutbox(_ context.Context, limit int) ([]casefile.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]casefile.OutboxEntry(nil), o.rows[o.done:min(len(o.rows), o.done+limit)]...), nil
}

func (o *logOutbox) MarkSequenced(_ context.Context, ids []int64, first int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := range ids {
		o.rows[o.done].LogIndex = first + int64(i)
		o.done++
	}
	return nil
}

func (o *logOutbox) SequencedCount(context.Context) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return int64(o.done), nil
}

func (o *logOutbox) EventLogIndex(_ context.Context, id string) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.rows {
		if r.EventID == id && r.LogIndex >= 0 {
			return r.LogIndex, nil
		}
	}
	return 0, guichet.ErrNotFound
}

func TestVerifyCommands(t *testing.T) {
	dir := t.TempDir()
	ob := &logOutbox{}
	l, err := ledger.Open(t.Context(), ledger.Config{DataDir: filepath.Join(dir, "data"), PublicURL: "https://plainte.example.fr", Outbox: ob})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ref, salt := "PP-2026-7KQ3-M9TX", []byte("the citizen's salt")
	var events []casefile.Event
	for i := 0; i < 300; i++ {
		ev := casefile.Event{ID: "ev" + string(rune('a'+i%26)) + time.Duration(i).String(), Type: casefile.EventSubmitted,
			At: time.Date(2026, 5, 1, 0, 0, i%60, 0, time.UTC), Actor: "citizen"}
		events = append(events, ev)
		ob.add(ev.ID, casefile.NewLeaf(salt, ref, ev).MarshalCanonical())
	}
	for {
		n, err := l.Sequence(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	mux := http.NewServeMux()
	mux.Handle("/log/", l.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	r, err := l.ReceiptForEvent(t.Context(), ob, ref, salt, events[123])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	receipt := filepath.Join(dir, "receipt.json")
	os.WriteFile(receipt, b, 0o644)
	keyFile := filepath.Join(dir, "log.vkey")
	os.WriteFile(keyFile, []byte(l.VerifierKey()+"\n"), 0o644)

	run := func(args ...string) (string, error) {
		var out, errw bytes.Buffer
		err := runVerify(t.Context(), args, &out, &errw)
		return out.String() + errw.String(), err
	}
	out, err := run("receipt", receipt, "--key", l.VerifierKey())
	if err != nil || !strings.Contains(out, "OK: event \"submitted\" of PP-2026-7KQ3-M9TX") || !strings.Contains(out, "entry 123") {
		t.Fatalf("verify receipt: %v\n%s", err, out)
	}
	if _, err := run("receipt", "--key", keyFile, receipt); err != nil {
		t.Fatalf("key from a file, flags first: %v", err)
	}
	tampered := filepath.Join(dir, "tampered.json")
	os.WriteFile(tampered, bytes.Replace(b, []byte(`"index": 123`), []byte(`"index": 124`), 1), 0o644)
	if _, err := run("receipt", tampered, "--key", l.VerifierKey()); !errors.Is(err, ledger.ErrNotIncluded) {
		t.Fatalf("tampered receipt: %v", err)
	}
	otherKey, _ := ledger.GenerateKey(rand.Reader, "plainte.example.fr/log")
	ok2, _ := ledger.ParseKey(otherKey)
	if _, err := run("receipt", receipt, "--key", ok2.VerifierKey()); !errors.Is(err, ledger.ErrWrongKey) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := run("receipt", receipt); err == nil {
		t.Fatal("no --key accepted")
	}

	state := filepath.Join(dir, "state")
	out, err = run("log", "--url", srv.URL+"/log", "--key", l.VerifierKey(), "--state", state)
	if err != nil || !strings.Contains(out, "at size 300") || !strings.Contains(out, "300 entries hashed") {
		t.Fatalf("verify log: %v\n%s", err, out)
	}
	if saved, _ := os.ReadFile(state); !bytes.Equal(saved, l.Checkpoint()) {
		t.Fatal("state not saved")
	}
	for i := 0; i < 10; i++ {
		ob.add("more"+time.Duration(i).String(), casefile.NewLeaf(salt, ref, casefile.Event{ID: "m" + time.Duration(i).String(), Type: "closed", At: time.Unix(0, 0)}).MarshalCanonical())
	}
	l.Sequence(t.Context())
	out, err = run("log", "--url", srv.URL+"/log/", "--key", keyFile, "--state", state)
	if err != nil || !strings.Contains(out, "10 entries hashed") || !strings.Contains(out, "extends the saved checkpoint of size 300") {
		t.Fatalf("incremental verify log: %v\n%s", err, out)
	}
	// Tampering with a tile on disk is reported.
	tile := filepath.Join(dir, "data", "log", "tile", "0", "000")
	tb, _ := os.ReadFile(tile)
	tb[0] ^= 1
	os.WriteFile(tile, tb, 0o644)
	if _, err := run("log", "--url", srv.URL+"/log", "--key", keyFile); !errors.Is(err, ledger.ErrTileMismatch) {
		t.Fatalf("tampered tile: %v", err)
	}
}

func TestWitnessCommand(t *testing.T) {
	dir := t.TempDir()
	var out, errw bytes.Buffer
	if err := runWitness(t.Context(), []string{"key", "--data", dir, "--name", "dpa.example/witness"}, &out, &errw); err != nil {
		t.Fatal(err)
	}
	vkey := strings.TrimSpace(out.String())
	if !strings.HasPrefix(vkey, "dpa.example/witness+") {
		t.Fatalf("key %q", vkey)
	}
	out.Reset()
	if err := runWitness(t.Context(), []string{"key", "--data", dir}, &out, &errw); err != nil || strings.TrimSpace(out.String()) != vkey {
		t.Fatalf("key again: %q %v", out.String(), err)
	}
	skey, _ := ledger.GenerateKey(rand.Reader, "plainte.example.fr/log")
	lk, _ := ledger.ParseKey(skey)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- runWitness(ctx, []string{"--data", dir, "--log", lk.VerifierKey(), "--addr", "127.0.0.1:0"}, &out, &errw)
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("witness: %v\n%s", err, errw.String())
	}
	if _, err := witness.LoadOrCreateKey(filepath.Join(dir, "witness.key"), "other.example/w", rand.Reader, nil); err == nil {
		t.Fatal("key loaded under another name")
	}
}
