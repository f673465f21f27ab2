package alert_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newService(t *testing.T) (*alert.Service, *sqlite.Store, *stepClock) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &stepClock{t: time.Date(2026, 12, 3, 22, 5, 32, 0, time.UTC)}
	svc := alert.New(alert.Deps{Store: st, Vault: v, Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader),
		EscalateAfter: 30 * time.Second})
	return svc, st, c
}

var (
	disp1 = account.Principal{Pseudonym: "D1A7", Role: account.RoleDispatcher, UnitID: "u1"}
	disp2 = account.Principal{Pseudonym: "D2B8", Role: account.RoleDispatcher, UnitID: "u1"}
)

func raiseInput(key string) alert.RaiseInput {
	return alert.RaiseInput{
		Type:     alert.TypeDomesticViolence,
		Position: &alert.Position{Lat: 48.8534951, Lon: 2.3483915, Accuracy: 12, Battery: 0.41},
		Profile: alert.Profile{Name: "Léa Martin", Phone: "+33612345678", MedicalNotes: "asthme", Deaf: true,
			Contacts: []alert.Contact{{Name: "Sam", Phone: "+33698765432"}}},
		Key: key,
	}
}

func TestAlertLifecycle(t *testing.T) {
	svc, st, c := newService(t)
	ctx := t.Context()
	const key = "k3Y-0123456789abcdefghij"
	in := raiseInput(key)
	r1, err := svc.Raise(ctx, in)
	if err != nil || !r1.Created {
		t.Fatalf("Raise = %+v, %v", r1, err)
	}
	r2, err := svc.Raise(ctx, in) // the phone retries: the first answer was lost
	if err != nil || r2.Created || r2.Ref != r1.Ref {
		t.Fatalf("retried Raise = %+v, %v; want %s again, not created", r2, err, r1.Ref)
	}
	if _, err := svc.Raise(ctx, alert.RaiseInput{Type: "burglary", Key: "short"}); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("bad raise: %v", err)
	}

	open, err := svc.Open(ctx, disp1)
	if err != nil || len(open) != 1 || open[0].Case.Ref != r1.Ref {
		t.Fatalf("Open = %+v, %v", open, err)
	}
	if _, err := svc.Open(ctx, account.Principal{Role: account.RoleAnalyst}); !errors.Is(err, guichet.ErrForbidden) {
		t.Errorf("an analyst lists alerts: %v", err)
	}
	if err := svc.Acknowledge(ctx, account.Principal{Role: account.RoleAgent, Pseudonym: "X"}, r1.Ref); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("a plain agent acknowledges: %v", err)
	}

	// Two dispatchers at once: one wins, the other is told who did.
	c.Add(4 * time.Second)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, p := range []account.Principal{disp1, disp2} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = svc.Acknowledge(ctx, p, r1.Ref) }()
	}
	wg.Wait()
	winner, loser := 0, 1
	if errs[0] != nil {
		winner, loser = 1, 0
	}
	if errs[winner] != nil {
		t.Fatalf("both acknowledgements failed: %v", errs)
	}
	var already *alert.AlreadyError
	if !errors.As(errs[loser], &already) || !errors.Is(errs[loser], guichet.ErrConflict) {
		t.Fatalf("loser got %v, want an *AlreadyError", errs[loser])
	}
	wantBy := "agent:" + []account.Principal{disp1, disp2}[winner].Pseudonym
	if already.By != wantBy || !already.At.Equal(c.Now()) {
		t.Errorf("AlreadyError %+v, want by %s at %v", already, wantBy, c.Now())
	}
	got, err := svc.Status(ctx, r1.Ref, key)
	if err != nil || got.Case.Status != alert.StatusAcknowledged || got.AckBy != wantBy {
		t.Errorf("citizen's status %+v, %v", got, err)
	}
	if _, err := svc.Status(ctx, r1.Ref, "someone-elses-key-0123456789"); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("a wrong key: %v", err)
	}

	// Positions and chat, sealed.
	c.Add(5 * time.Second)
	if err := svc.AddPosition(ctx, r1.Ref, key, alert.Position{Lat: 48.86, Lon: 2.35, Accuracy: 8, Battery: -1}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ChatFromCitizen(ctx, r1.Ref, key, alert.Message{Quick: alert.QuickCantTalk}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Chat(ctx, disp1, r1.Ref, alert.Message{Text: "Une patrouille arrive, restez cachée."}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ChatFromCitizen(ctx, r1.Ref, key, alert.Message{Quick: "dance"}); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("unknown quick reply: %v", err)
	}
	pos, _, err := svc.Positions(ctx, disp1, r1.Ref, "")
	if err != nil || len(pos) != 2 || pos[0].Lat != 48.8534951 || pos[1].Lat != 48.86 || pos[0].Battery != 0.41 {
		t.Errorf("positions %+v, %v", pos, err)
	}
	msgs, err := svc.Messages(ctx, account.Principal{}, r1.Ref, key)
	if err != nil || len(msgs) != 2 || msgs[0].Quick != alert.QuickCantTalk || msgs[0].From != "citizen" || msgs[1].From != "agent:D1A7" {
		t.Errorf("messages %+v, %v", msgs, err)
	}
	prof, err := svc.Profile(ctx, disp2, r1.Ref)
	if err != nil || prof.Name != "Léa Martin" || !prof.Deaf {
		t.Errorf("profile %+v, %v", prof, err)
	}
	// The console reloads the page every few seconds: one reading is
	// one access in the person's journal, not one per reload.
	if _, err := svc.Profile(ctx, disp2, r1.Ref); err != nil {
		t.Fatal(err)
	}

	if err := svc.AssignUnit(ctx, disp1, r1.Ref, "PATROL-12"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Close(ctx, disp1, r1.Ref, alert.OutcomeSafe); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("a dispatcher closes as the citizen: %v", err)
	}
	if err := svc.CloseByCitizen(ctx, r1.Ref, key); err != nil {
		t.Fatal(err)
	}
	if err := svc.AddPosition(ctx, r1.Ref, key, alert.Position{Lat: 1, Lon: 1, Battery: -1}); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("position after closing: %v", err)
	}

	// Every change is an event, and none names the person or the place.
	a, _ := st.AlertByRef(ctx, r1.Ref)
	evs, err := st.CaseEvents(ctx, a.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		blob := fmt.Sprint(e.Data)
		for _, secret := range []string{"Léa", "+336", "48.8", "2.34", "asthme", "patrouille", alert.QuickCantTalk} {
			if strings.Contains(blob, secret) {
				t.Errorf("event %s carries %q: %s", e.Type, secret, blob)
			}
		}
	}
	want := "submitted alert.position alert.acknowledged alert.position alert.message alert.message accessed alert.unit_assigned closed"
	if strings.Join(types, " ") != want {
		t.Errorf("events\n%s\nwant\n%s", strings.Join(types, " "), want)
	}
	if a.Unit != "PATROL-12" || a.Outcome != alert.OutcomeSafe {
		t.Errorf("closed alert %+v", a)
	}
	for _, e := range evs {
		if e.Type == casefile.EventAccessed && (e.Actor != "agent:D2B8" || e.Data["purpose"] != alert.PurposeDispatch || e.Data["unit"] != "u1") {
			t.Errorf("access %+v", e)
		}
	}
}

// TestProfileViewIsAnAccess: reading the person's profile is recorded on
// the case once per dispatcher per ViewWindow, and each dispatcher's
// reading on its own.
func TestProfileViewIsAnAccess(t *testing.T) {
	svc, st, c := newService(t)
	ctx := t.Context()
	r, err := svc.Raise(ctx, raiseInput("view-0123456789abcdefghijk"))
	if err != nil {
		t.Fatal(err)
	}
	accesses := func() (n int) {
		t.Helper()
		a, err := st.AlertByRef(ctx, r.Ref)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := st.CaseEvents(ctx, a.Case.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == casefile.EventAccessed {
				n++
			}
		}
		return n
	}
	view := func(p account.Principal) {
		t.Helper()
		if _, err := svc.Profile(ctx, p, r.Ref); err != nil {
			t.Fatal(err)
		}
	}
	view(disp1)
	c.Add(5 * time.Second)
	view(disp1)
	if n := accesses(); n != 1 {
		t.Errorf("two readings 5 s apart: %d accesses, want 1", n)
	}
	view(disp2)
	if n := accesses(); n != 2 {
		t.Errorf("a second dispatcher's reading: %d accesses, want 2", n)
	}
	c.Add(alert.ViewWindow)
	view(disp1)
	if n := accesses(); n != 3 {
		t.Errorf("a reading after the window: %d accesses, want 3", n)
	}
}

func TestEscalate(t *testing.T) {
	svc, st, c := newService(t)
	ctx := t.Context()
	late, err := svc.Raise(ctx, raiseInput("late-0123456789abcdefghij"))
	if err != nil {
		t.Fatal(err)
	}
	taken, err := svc.Raise(ctx, raiseInput("taken-0123456789abcdefghi"))
	if err != nil {
		t.Fatal(err)
	}
	c.Add(10 * time.Second)
	if err := svc.Acknowledge(ctx, disp1, taken.Ref); err != nil {
		t.Fatal(err)
	}
	c.Add(19 * time.Second) // 29 s after the raise
	if got, err := svc.Escalate(ctx, c.Now()); err != nil || len(got) != 0 {
		t.Fatalf("Escalate at 29 s = %+v, %v; want none", got, err)
	}
	c.Add(2 * time.Second) // 31 s
	got, err := svc.Escalate(ctx, c.Now())
	if err != nil || len(got) != 1 || got[0].Case.Ref != late.Ref {
		t.Fatalf("Escalate at 31 s = %+v, %v; want %s only", got, err, late.Ref)
	}
	if again, err := svc.Escalate(ctx, c.Now().Add(time.Minute)); err != nil || len(again) != 0 {
		t.Errorf("second Escalate = %+v, %v; want none", again, err)
	}
	a, _ := st.AlertByRef(ctx, late.Ref)
	if !a.EscalatedAt.Equal(c.Now()) || a.Case.Status != alert.StatusRaised {
		t.Errorf("escalated alert %+v: still raised, escalated at %v", a, c.Now())
	}
	evs, _ := st.CaseEvents(ctx, a.Case.ID)
	last := evs[len(evs)-1]
	if last.Type != alert.EventEscalated || last.Actor != "system" || last.Data["after"] != "31" {
		t.Errorf("last event %+v", last)
	}
	// Still acknowledgeable after escalation.
	if err := svc.Acknowledge(ctx, disp2, late.Ref); err != nil {
		t.Errorf("acknowledge an escalated alert: %v", err)
	}
}

type fixedArea string

func (a fixedArea) AreaOf(context.Context, float64, float64) (string, error) { return string(a), nil }

// An alert of a unit's area is shown to that unit's dispatchers only.
func TestAreaScope(t *testing.T) {
	_, st, c := newService(t)
	ctx := t.Context()
	unit := station.Unit{ID: uuid7.New(c.Now, rand.Reader).New(), Code: "CIC-75", Name: "CIC Paris", Kind: station.Commissariat}
	if err := st.CreateUnit(ctx, unit); err != nil {
		t.Fatal(err)
	}
	v, _ := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	svc := alert.New(alert.Deps{Store: st, Vault: v, Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader), Areas: fixedArea(unit.ID)})
	r, err := svc.Raise(ctx, raiseInput("area-0123456789abcdefghij"))
	if err != nil {
		t.Fatal(err)
	}
	mine := account.Principal{Pseudonym: "M1", Role: account.RoleDispatcher, UnitID: unit.ID}
	other := account.Principal{Pseudonym: "O1", Role: account.RoleDispatcher, UnitID: "elsewhere"}
	if l, err := svc.Open(ctx, mine); err != nil || len(l) != 1 || l[0].Case.UnitID != unit.ID {
		t.Errorf("own area: %+v, %v", l, err)
	}
	if l, err := svc.Open(ctx, other); err != nil || len(l) != 0 {
		t.Errorf("other area lists %d alerts, %v", len(l), err)
	}
	if err := svc.Acknowledge(ctx, other, r.Ref); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("other area acknowledges: %v", err)
	}
	if err := svc.Acknowledge(ctx, mine, r.Ref); err != nil {
		t.Errorf("own area acknowledges: %v", err)
	}
}
