package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/uuid7"
)

// AlertStore is what the alert contract checks: alert.Store and the
// outbox, to see that every change is an event on its way to the log.
type AlertStore interface {
	alert.Store
	PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error)
	// EraseCase (complaint.Store's) also deletes an alert's entries.
	EraseCase(ctx context.Context, caseID string, status casefile.Status, at time.Time, events []casefile.Event) ([]string, error)
}

// RunAlert runs the alert contract against stores open returns (fresh and
// empty each time, closed by t.Cleanup).
func RunAlert(t *testing.T, open func(t *testing.T) AlertStore) {
	for _, tt := range []struct {
		name string
		fn   func(t *testing.T, s AlertStore)
	}{
		{"AlertRaiseIdempotent", testAlertRaiseIdempotent},
		{"AlertAcknowledgeRace", testAlertAckRace},
		{"AlertEntries", testAlertEntries},
		{"AlertEscalateOnce", testAlertEscalateOnce},
		{"AlertOpen", testAlertOpen},
		{"AlertErase", testAlertErase},
		{"AlertByID", testAlertByID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open(t))
		})
	}
}

var alertIDs = uuid7.New(nil, nil)

var alertT0 = time.Date(2026, 3, 14, 22, 5, 32, 123456000, time.UTC)

func newAlert(t *testing.T, key string, at time.Time) alert.NewAlert {
	t.Helper()
	ref, err := caseref.New(caseref.Alert, at.Year(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := alertIDs.New()
	kh := sha256.Sum256([]byte(key))
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	return alert.NewAlert{
		Alert: alert.Alert{Type: alert.TypeAssault, KeyHash: kh[:], Case: casefile.Case{
			ID: id, Ref: ref.String(), Kind: caseref.Alert, Category: "assault", Status: alert.StatusRaised,
			CreatedAt: at, SubmittedAt: at, UpdatedAt: at}},
		Secrets:  casefile.Secrets{TrackingHash: kh[:], LedgerSalt: salt},
		Personal: casefile.Sealed{WrappedKey: []byte("wk"), Ciphertext: []byte("profile")},
		First:    &alert.Entry{ID: alertIDs.New(), CaseID: id, Kind: alert.EntryPosition, At: at, Ciphertext: []byte("pos0")},
		Events: []casefile.Event{{ID: alertIDs.New(), CaseID: id, Type: alert.EventRaised, At: at, Actor: "citizen",
			Visible: true, Data: map[string]string{"type": "assault"}}},
	}
}

func alertEvent(caseID, typ string, at time.Time) []casefile.Event {
	return []casefile.Event{{ID: alertIDs.New(), CaseID: caseID, Type: typ, At: at, Actor: "system", Data: map[string]string{}}}
}

func mustRaise(t *testing.T, s AlertStore, na alert.NewAlert) alert.Alert {
	t.Helper()
	ref, created, err := s.RaiseAlert(t.Context(), na)
	if err != nil || !created || ref != na.Alert.Case.Ref {
		t.Fatalf("RaiseAlert = %q, %v, %v", ref, created, err)
	}
	a, err := s.AlertByRef(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// One key makes one alert, even when the sends race.
func testAlertRaiseIdempotent(t *testing.T, s AlertStore) {
	ctx := t.Context()
	const n = 8
	refs := make([]string, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		na := newAlert(t, "key-raced-aaaaaaaaaaaaaaaa", alertT0)
		wg.Add(1)
		go func() {
			defer wg.Done()
			refs[i], created[i], errs[i] = s.RaiseAlert(ctx, na)
		}()
	}
	wg.Wait()
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("raise %d: %v", i, errs[i])
		}
		if created[i] {
			wins++
		}
		if refs[i] != refs[0] {
			t.Errorf("raise %d gave %s, raise 0 %s", i, refs[i], refs[0])
		}
	}
	if wins != 1 {
		t.Fatalf("%d raises created an alert, want 1", wins)
	}
	a, err := s.AlertByRef(ctx, refs[0])
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != alert.TypeAssault || a.Case.Status != alert.StatusRaised || a.AckBy != "" || !a.EscalatedAt.IsZero() {
		t.Errorf("stored alert %+v", a)
	}
	ev, err := s.CaseEvents(ctx, a.Case.ID)
	if err != nil || len(ev) != 1 {
		t.Errorf("events %v, %v; want the one raise", ev, err)
	}
	pos, err := s.AlertEntries(ctx, a.Case.ID, alert.EntryPosition, "", 10)
	if err != nil || len(pos) != 1 || string(pos[0].Ciphertext) != "pos0" {
		t.Errorf("positions %v, %v", pos, err)
	}
	if _, err := s.AlertByRef(ctx, "AL-2026-XXXX-XXXX"); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("unknown alert: %v", err)
	}
}

// Of N dispatchers acknowledging at once, exactly one wins.
func testAlertAckRace(t *testing.T, s AlertStore) {
	ctx := t.Context()
	a := mustRaise(t, s, newAlert(t, "key-ack-race-aaaaaaaaaaaaa", alertT0))
	const n = 12
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.ChangeAlert(ctx, alert.Change{
				CaseID: a.Case.ID, Allowed: []casefile.Status{alert.StatusRaised}, Status: alert.StatusAcknowledged,
				At: alertT0.Add(time.Second), AckBy: "agent:D" + string(rune('A'+i)),
				Events: alertEvent(a.Case.ID, alert.EventAcknowledged, alertT0.Add(time.Second)),
			})
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, guichet.ErrConflict):
			t.Errorf("ack %d: %v, want a conflict", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d acknowledgements won, want 1", wins)
	}
	got, err := s.AlertByRef(ctx, a.Case.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Case.Status != alert.StatusAcknowledged || got.AckBy == "" || !got.AckAt.Equal(alertT0.Add(time.Second)) {
		t.Errorf("after the race: %+v", got)
	}
	ev, _ := s.CaseEvents(ctx, a.Case.ID)
	if len(ev) != 2 {
		t.Errorf("%d events, want raise + one acknowledgement", len(ev))
	}
	// Assign, then close with an outcome; a closed alert takes nothing more.
	ok(t, s.ChangeAlert(ctx, alert.Change{CaseID: a.Case.ID, Allowed: []casefile.Status{alert.StatusAcknowledged},
		Status: alert.StatusDispatched, At: alertT0.Add(2 * time.Second), Unit: "PATROL-7"}))
	ok(t, s.ChangeAlert(ctx, alert.Change{CaseID: a.Case.ID, Allowed: alert.Kind.Open(),
		Status: alert.StatusClosed, At: alertT0.Add(3 * time.Second), Outcome: alert.OutcomeFalseAlert}))
	got, _ = s.AlertByRef(ctx, a.Case.Ref)
	if got.Unit != "PATROL-7" || got.Outcome != alert.OutcomeFalseAlert || got.Case.Status != alert.StatusClosed || got.AckBy == "" {
		t.Errorf("closed: %+v", got)
	}
	err = s.AddAlertEntry(ctx, alert.Entry{ID: alertIDs.New(), CaseID: a.Case.ID, Kind: alert.EntryMessage, At: alertT0, Ciphertext: []byte("x")}, nil)
	if !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("entry on a closed alert: %v, want a conflict", err)
	}
}

func testAlertEntries(t *testing.T, s AlertStore) {
	ctx := t.Context()
	a := mustRaise(t, s, newAlert(t, "key-entries-aaaaaaaaaaaaaa", alertT0))
	before, _ := s.PendingOutbox(ctx, 1000)
	var ids []string
	for i := range 3 {
		e := alert.Entry{ID: alertIDs.New(), CaseID: a.Case.ID, Kind: alert.EntryMessage, At: alertT0.Add(time.Duration(i) * time.Second), Ciphertext: []byte{byte(i)}}
		ok(t, s.AddAlertEntry(ctx, e, alertEvent(a.Case.ID, alert.EventMessage, e.At)))
		ids = append(ids, e.ID)
	}
	after, _ := s.PendingOutbox(ctx, 1000)
	if len(after)-len(before) != 3 {
		t.Errorf("%d outbox rows for 3 messages", len(after)-len(before))
	}
	msgs, err := s.AlertEntries(ctx, a.Case.ID, alert.EntryMessage, ids[0], 10)
	ok(t, err)
	if len(msgs) != 2 || msgs[0].ID != ids[1] || msgs[1].ID != ids[2] || !msgs[0].At.Equal(alertT0.Add(time.Second)) {
		t.Errorf("messages after the first: %+v", msgs)
	}
	pos, err := s.AlertEntries(ctx, a.Case.ID, alert.EntryPosition, "", 10)
	ok(t, err)
	if len(pos) != 1 {
		t.Errorf("%d positions, want the first only", len(pos))
	}
	dup := alert.Entry{ID: ids[0], CaseID: a.Case.ID, Kind: alert.EntryMessage, At: alertT0, Ciphertext: []byte("again")}
	if err := s.AddAlertEntry(ctx, dup, nil); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("duplicate entry: %v, want a conflict", err)
	}
}

// Escalation happens once, and never to an acknowledged alert.
func testAlertEscalateOnce(t *testing.T, s AlertStore) {
	ctx := t.Context()
	old := mustRaise(t, s, newAlert(t, "key-escalate-old-aaaaaaaaa", alertT0))
	acked := mustRaise(t, s, newAlert(t, "key-escalate-ack-aaaaaaaaa", alertT0))
	mustRaise(t, s, newAlert(t, "key-escalate-new-aaaaaaaaa", alertT0.Add(time.Minute)))
	ok(t, s.ChangeAlert(ctx, alert.Change{CaseID: acked.Case.ID, Allowed: []casefile.Status{alert.StatusRaised},
		Status: alert.StatusAcknowledged, At: alertT0.Add(time.Second), AckBy: "agent:D1"}))
	due, err := s.UnacknowledgedAlerts(ctx, alertT0.Add(30*time.Second), 10)
	ok(t, err)
	if len(due) != 1 || due[0].Case.ID != old.Case.ID {
		t.Fatalf("due %+v, want the old one only", due)
	}
	esc := alert.Change{CaseID: old.Case.ID, Allowed: []casefile.Status{alert.StatusRaised}, At: alertT0.Add(30 * time.Second), Escalate: true}
	ok(t, s.ChangeAlert(ctx, esc))
	if err := s.ChangeAlert(ctx, esc); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("second escalation: %v, want a conflict", err)
	}
	got, _ := s.AlertByRef(ctx, old.Case.Ref)
	if !got.EscalatedAt.Equal(alertT0.Add(30*time.Second)) || got.Case.Status != alert.StatusRaised {
		t.Errorf("escalated: %+v", got)
	}
	due, _ = s.UnacknowledgedAlerts(ctx, alertT0.Add(30*time.Second), 10)
	if len(due) != 0 {
		t.Errorf("still due after escalation: %d", len(due))
	}
}

func testAlertOpen(t *testing.T, s AlertStore) {
	ctx := t.Context()
	a := mustRaise(t, s, newAlert(t, "key-open-a-aaaaaaaaaaaaaaa", alertT0))
	b := mustRaise(t, s, newAlert(t, "key-open-b-aaaaaaaaaaaaaaa", alertT0.Add(time.Second)))
	ok(t, s.ChangeAlert(ctx, alert.Change{CaseID: b.Case.ID, Allowed: alert.Kind.Open(), Status: alert.StatusClosed,
		At: alertT0.Add(2 * time.Second), Outcome: alert.OutcomeResolved}))
	open, err := s.OpenAlerts(ctx, []string{"some-unit"}, 10)
	ok(t, err)
	if len(open) != 1 || open[0].Case.ID != a.Case.ID {
		t.Errorf("open %+v, want a only", open)
	}
	if _, err := s.OpenAlerts(ctx, nil, 0); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("limit 0: %v", err)
	}
}

// Erasing an alert deletes its profile and its sealed entries.
func testAlertErase(t *testing.T, s AlertStore) {
	ctx := t.Context()
	na := newAlert(t, "key-erase-aaaaaaaaaaaaaaaa", alertT0)
	na.Alert.Case.ExpiresAt = alertT0.Add(time.Hour)
	a := mustRaise(t, s, na)
	ok(t, s.AddAlertEntry(ctx, alert.Entry{ID: alertIDs.New(), CaseID: a.Case.ID, Kind: alert.EntryMessage, At: alertT0, Ciphertext: []byte("m")}, nil))
	at := alertT0.Add(2 * time.Hour)
	if _, err := s.EraseCase(ctx, a.Case.ID, alert.StatusExpired, at, alertEvent(a.Case.ID, casefile.EventErased, at)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []alert.EntryKind{alert.EntryPosition, alert.EntryMessage} {
		if es, err := s.AlertEntries(ctx, a.Case.ID, k, "", 10); err != nil || len(es) != 0 {
			t.Errorf("%s entries after erasure: %d, %v", k, len(es), err)
		}
	}
	if _, err := s.CasePersonal(ctx, a.Case.ID); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("profile after erasure: %v", err)
	}
}

// An alert is found by its case's ID as by its reference; an unknown ID
// is not found.
func testAlertByID(t *testing.T, s AlertStore) {
	ctx := t.Context()
	a := mustRaise(t, s, newAlert(t, "key-byid-aaaaaaaaaaaaaaaaa", alertT0))
	b, err := s.AlertByID(ctx, a.Case.ID)
	ok(t, err)
	if b.Case.Ref != a.Case.Ref || b.Type != a.Type || b.Case.ID != a.Case.ID {
		t.Errorf("AlertByID = %+v, want %+v", b, a)
	}
	if _, err := s.AlertByID(ctx, alertIDs.New()); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("unknown ID: %v", err)
	}
}
