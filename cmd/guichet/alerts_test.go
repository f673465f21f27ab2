package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type setClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *setClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestEscalationLoop: the timer escalates an alert once the injected
// clock says it waited past the delay, not before, and the escalation
// reaches the event hub (so every console hears of it).
func TestEscalationLoop(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h := hub.New(st, hub.Config{})
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	st.SetPublisher(h.Publish)
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clock := &setClock{t: time.Date(2026, 12, 3, 22, 0, 0, 0, time.UTC)}
	svc := alert.New(alert.Deps{Store: st, Vault: v, Clock: clock, Rand: rand.Reader, IDs: uuid7.New(clock.Now, rand.Reader),
		EscalateAfter: 30 * time.Second})
	r, err := svc.Raise(ctx, alert.RaiseInput{Type: alert.TypeAssault, Key: "esc-key-0123456789abcdefghij",
		Position: &alert.Position{Lat: 45.76, Lon: 4.85, Accuracy: 10, Battery: -1}})
	if err != nil {
		t.Fatal(err)
	}
	escalated := h.Subscribe(ctx, func(rec hub.Record) bool { return rec.Kind == caseref.Alert && rec.Type == alert.EventEscalated }, h.Head())

	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		escalationLoop(loopCtx, svc, clock, 10*time.Millisecond, slog.New(slog.DiscardHandler))
		close(done)
	}()
	defer func() { stop(); <-done }()

	clock.Add(29 * time.Second)
	time.Sleep(100 * time.Millisecond) // ten ticks
	if a, _ := st.AlertByRef(ctx, r.Ref); !a.EscalatedAt.IsZero() {
		t.Fatal("escalated before the delay")
	}
	clock.Add(2 * time.Second)
	select {
	case <-escalated:
	case <-time.After(5 * time.Second):
		t.Fatal("not escalated within 5 s of the delay")
	}
	a, err := st.AlertByRef(ctx, r.Ref)
	if err != nil || !a.EscalatedAt.Equal(clock.Now()) {
		t.Fatalf("EscalatedAt %v, want %v (%v)", a.EscalatedAt, clock.Now(), err)
	}
	time.Sleep(100 * time.Millisecond)
	select {
	case rec := <-escalated:
		t.Fatalf("escalated twice: %+v", rec)
	default:
	}
}

type unitList []station.Unit

func (u unitList) ListUnits(context.Context) ([]station.Unit, error) { return u, nil }

func TestUnitAreas(t *testing.T) {
	a := newUnitAreas(unitList{
		{ID: "lyon3", Lat: 45.7605, Lon: 4.8500},
		{ID: "sub", ParentID: "lyon3", Lat: 45.7561, Lon: 4.8323},
		{ID: "lyon1", Lat: 45.7695, Lon: 4.8300},
	}, &setClock{t: time.Now()})
	for _, tc := range []struct {
		lat, lon float64
		want     string
	}{
		{45.7590, 4.8530, "lyon3"},
		{45.7700, 4.8290, "lyon1"},
		{45.7561, 4.8323, "lyon3"}, // at the sub-unit: never the sub-unit, its parent is nearest
		{48.85, 2.35, ""},          // Paris: no unit within 30 km
	} {
		if got, err := a.AreaOf(t.Context(), tc.lat, tc.lon); err != nil || got != tc.want {
			t.Errorf("AreaOf(%v, %v) = %q, %v; want %q", tc.lat, tc.lon, got, err, tc.want)
		}
	}
}

// TestBenchAlertSmall runs `guichet bench alert` small: both sides deliver
// every alert to every console, and the ratio is printed.
func TestBenchAlertSmall(t *testing.T) {
	var out, errb bytes.Buffer
	if err := benchAlert(t.Context(), []string{"--consoles", "5", "--rate", "20", "--duration", "500ms", "--units", "100"}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	s := out.String()
	for _, want := range []string{"lost: 0 of 50 expected (5 consoles × 10 alerts)", "bare net/http SSE hub", "guichet (sqlite", "ratio guichet/bare", "nearest 5 available among 100 units"} {
		if !bytes.Contains([]byte(s), []byte(want)) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if n := bytes.Count([]byte(s), []byte("lost: 0 of 50")); n != 2 {
		t.Errorf("lost-nothing lines: %d, want 2:\n%s", n, s)
	}
}
