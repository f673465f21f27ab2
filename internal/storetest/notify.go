package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/notify"
)

// NotifyStore is a store that also keeps the notification queue.
type NotifyStore interface {
	Store
	notify.Store
}

// RunNotify runs the contract suite of notify.Store: the event cursor, one
// pending notification per case, leases, outcomes and unit scoping. open
// is as for Run.
func RunNotify(t *testing.T, open func(t *testing.T) NotifyStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture, s NotifyStore)
	}{
		{"CursorAndEvents", testNotifyCursor},
		{"EnqueueCoalesces", testNotifyEnqueue},
		{"ClaimLeaseFinish", testNotifyClaim},
		{"ListByUnit", testNotifyList},
		{"RaceClaim", testNotifyRaceClaim},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.fn(t, newFixture(t, s), s)
		})
	}
}

// agentEvent records a visible event by an agent on the case (moving its
// appointment to a fresh slot) and returns it.
func (f *fixture) agentEvent(caseID string, at time.Time) casefile.Event {
	f.t.Helper()
	sl := f.newSlot(at.Add(48*time.Hour), 3)
	e := casefile.Event{ID: f.ids.New(), CaseID: caseID, Type: casefile.EventAppointmentChanged, At: at,
		Actor: "agent:A7F2", Visible: true, Data: map[string]string{"slot": sl.ID}}
	ok(f.t, f.s.Reschedule(f.ctx(), caseID, sl.ID, []casefile.Event{e}))
	return e
}

func testNotifyCursor(t *testing.T, f *fixture, s NotifyStore) {
	ctx := f.ctx()
	cur, err := s.NotifyCursor(ctx)
	ok(t, err)
	same(t, "cursor of an empty store", cur, int64(0))
	_, err = s.NotifyEventsAfter(ctx, 0, 0)
	is(t, err, guichet.ErrInvalid)
	none, err := s.NotifyEventsAfter(ctx, 0, 10)
	ok(t, err)
	same(t, "events of an empty store", none, []notify.Event{})

	a := f.submitted("")
	b := f.submitted("")
	ev := f.agentEvent(a.Case.ID, f.now.Add(time.Minute))
	all, err := s.NotifyEventsAfter(ctx, 0, 10)
	ok(t, err)
	if len(all) != 3 {
		t.Fatalf("events after 0 = %+v, want 3", all)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Pos <= all[i-1].Pos {
			t.Errorf("events not in position order: %d then %d", all[i-1].Pos, all[i].Pos)
		}
	}
	same(t, "cases in order", []string{all[0].CaseID, all[1].CaseID, all[2].CaseID}, []string{a.Case.ID, b.Case.ID, a.Case.ID})
	last := all[2]
	same(t, "agent event", notify.Event{Pos: last.Pos, CaseID: a.Case.ID, Type: ev.Type, Actor: "agent:A7F2", Visible: true, At: ev.At.UTC().Truncate(time.Microsecond)}, last)
	if all[0].Actor != "citizen" || all[0].Type != casefile.EventSubmitted {
		t.Errorf("first event = %+v, want the citizen's submission", all[0])
	}
	two, err := s.NotifyEventsAfter(ctx, all[0].Pos, 1)
	ok(t, err)
	same(t, "after the first, limit 1", two, all[1:2])
	rest, err := s.NotifyEventsAfter(ctx, last.Pos, 10)
	ok(t, err)
	same(t, "after the last", rest, []notify.Event{})
}

func testNotifyEnqueue(t *testing.T, f *fixture, s NotifyStore) {
	ctx := f.ctx()
	a := f.submitted("")
	b := f.submitted("")
	n, err := s.EnqueueNotifications(ctx, 0, 5, []string{a.Case.ID, b.Case.ID}, f.now.Add(time.Minute), f.now)
	ok(t, err)
	same(t, "added", n, 2)
	cur, err := s.NotifyCursor(ctx)
	ok(t, err)
	same(t, "cursor moved", cur, int64(5))

	// A stale cursor changes nothing, not even the queue.
	c := f.submitted("")
	_, err = s.EnqueueNotifications(ctx, 0, 9, []string{c.Case.ID}, f.now, f.now)
	is(t, err, guichet.ErrConflict)
	cur, _ = s.NotifyCursor(ctx)
	same(t, "cursor after a stale move", cur, int64(5))

	// One pending notification per case: a burst coalesces.
	n, err = s.EnqueueNotifications(ctx, 5, 7, []string{a.Case.ID, c.Case.ID}, f.now.Add(2*time.Minute), f.now)
	ok(t, err)
	same(t, "added with a pending one", n, 1)
	list, err := s.ListNotifications(ctx, []string{f.defaultUnit().ID}, 10)
	ok(t, err)
	if len(list) != 3 {
		t.Fatalf("queue = %+v, want 3 notifications", list)
	}
	for _, x := range list {
		if x.Status != notify.StatusPending || x.Attempts != 0 {
			t.Errorf("notification %+v, want pending, never tried", x)
		}
		if x.CaseID == a.Case.ID && !x.NextAt.Equal(f.now.Add(time.Minute)) {
			t.Errorf("coalesced notification due %v, want the first due time %v", x.NextAt, f.now.Add(time.Minute))
		}
	}

	// Unknown case: nothing happens, the cursor included.
	_, err = s.EnqueueNotifications(ctx, 7, 8, []string{f.ids.New()}, f.now, f.now)
	is(t, err, guichet.ErrNotFound)
	cur, _ = s.NotifyCursor(ctx)
	same(t, "cursor after a failed enqueue", cur, int64(7))
	// Moving the cursor alone is allowed.
	n, err = s.EnqueueNotifications(ctx, 7, 8, nil, f.now, f.now)
	ok(t, err)
	same(t, "added with no case", n, 0)
}

func testNotifyClaim(t *testing.T, f *fixture, s NotifyStore) {
	ctx := f.ctx()
	a := f.submitted("")
	b := f.submitted("")
	_, err := s.EnqueueNotifications(ctx, 0, 1, []string{a.Case.ID}, f.now.Add(time.Minute), f.now)
	ok(t, err)
	_, err = s.EnqueueNotifications(ctx, 1, 2, []string{b.Case.ID}, f.now.Add(time.Hour), f.now)
	ok(t, err)
	_, err = s.ClaimNotifications(ctx, f.now, f.now, 0)
	is(t, err, guichet.ErrInvalid)

	got, err := s.ClaimNotifications(ctx, f.now, f.now.Add(5*time.Minute), 10)
	ok(t, err)
	same(t, "claimed before due", got, []notify.Notification{})

	t1 := f.now.Add(2 * time.Minute)
	lease := t1.Add(5 * time.Minute)
	got, err = s.ClaimNotifications(ctx, t1, lease, 10)
	ok(t, err)
	if len(got) != 1 {
		t.Fatalf("claimed %+v, want a's notification", got)
	}
	n := got[0]
	if n.CaseID != a.Case.ID || n.CaseRef != a.Case.Ref || n.UnitID != a.Case.UnitID ||
		n.Status != notify.StatusPending || n.Attempts != 1 || !n.NextAt.Equal(lease) {
		t.Errorf("claimed %+v, want a's (ref %s, unit %s), pending, attempt 1, leased until %v", n, a.Case.Ref, a.Case.UnitID, lease)
	}
	again, err := s.ClaimNotifications(ctx, t1.Add(time.Minute), t1.Add(time.Hour), 10)
	ok(t, err)
	same(t, "claimed during the lease", again, []notify.Notification{})

	// A retry stays pending, due later.
	retryAt := t1.Add(10 * time.Minute)
	ok(t, s.FinishNotification(ctx, n.ID, notify.StatusPending, retryAt, "temporary", t1))
	got, err = s.ClaimNotifications(ctx, retryAt, retryAt.Add(time.Minute), 10)
	ok(t, err)
	if len(got) != 1 || got[0].ID != n.ID || got[0].Attempts != 2 || got[0].LastError != "temporary" {
		t.Fatalf("claimed after retry %+v, want notification %d at attempt 2 with its last error", got, n.ID)
	}
	// While pending, the case gets no second notification.
	added, err := s.EnqueueNotifications(ctx, 2, 3, []string{a.Case.ID}, f.now, f.now)
	ok(t, err)
	same(t, "added while retrying", added, 0)

	sentAt := retryAt.Add(time.Second)
	ok(t, s.FinishNotification(ctx, n.ID, notify.StatusSent, time.Time{}, "", sentAt))
	is(t, s.FinishNotification(ctx, n.ID, notify.StatusFailed, time.Time{}, "", sentAt), guichet.ErrConflict)
	is(t, s.FinishNotification(ctx, 1<<40, notify.StatusSent, time.Time{}, "", sentAt), guichet.ErrNotFound)
	got, err = s.ClaimNotifications(ctx, sentAt.Add(24*time.Hour), sentAt.Add(25*time.Hour), 10)
	ok(t, err)
	if len(got) != 1 || got[0].CaseID != b.Case.ID {
		t.Fatalf("claimed a day later %+v, want only b's (a's was sent)", got)
	}
	// Once sent, a new change makes a new notification.
	added, err = s.EnqueueNotifications(ctx, 3, 4, []string{a.Case.ID}, sentAt, sentAt)
	ok(t, err)
	same(t, "added after sending", added, 1)
	list, err := s.ListNotifications(ctx, []string{a.Case.UnitID}, 10)
	ok(t, err)
	var statuses []notify.Status
	for _, x := range list {
		if x.CaseID == a.Case.ID {
			statuses = append(statuses, x.Status)
		}
	}
	same(t, "a's notifications, newest first", statuses, []notify.Status{notify.StatusPending, notify.StatusSent})
	for _, x := range list {
		if x.ID == n.ID && (!x.UpdatedAt.Equal(sentAt) || x.Attempts != 2) {
			t.Errorf("sent notification %+v, want updated at %v after 2 attempts", x, sentAt)
		}
	}
}

func testNotifyList(t *testing.T, f *fixture, s NotifyStore) {
	ctx := f.ctx()
	a := f.submitted("")
	other := f.newUnit("CSP-LYON7", "Commissariat de Lyon 7e")
	sub := f.submission("", "")
	sub.Case.UnitID = other.ID
	ok(t, s.SubmitCase(ctx, sub))
	_, err := s.EnqueueNotifications(ctx, 0, 1, []string{a.Case.ID, sub.Case.ID}, f.now, f.now)
	ok(t, err)
	_, err = s.ListNotifications(ctx, []string{other.ID}, 0)
	is(t, err, guichet.ErrInvalid)
	list, err := s.ListNotifications(ctx, []string{other.ID}, 10)
	ok(t, err)
	if len(list) != 1 || list[0].CaseRef != sub.Case.Ref || list[0].UnitID != other.ID {
		t.Errorf("other unit's list %+v, want only %s", list, sub.Case.Ref)
	}
	list, err = s.ListNotifications(ctx, []string{}, 10)
	ok(t, err)
	same(t, "no unit", list, []notify.Notification{})
	list, err = s.ListNotifications(ctx, []string{other.ID, a.Case.UnitID}, 1)
	ok(t, err)
	if len(list) != 1 || list[0].CaseID != sub.Case.ID {
		t.Errorf("limit 1 = %+v, want the newest (%s)", list, sub.Case.Ref)
	}
}

func testNotifyRaceClaim(t *testing.T, f *fixture, s NotifyStore) {
	ctx := f.ctx()
	var ids []string
	for range 12 {
		ids = append(ids, f.submitted("").Case.ID)
	}
	_, err := s.EnqueueNotifications(ctx, 0, 1, ids, f.now, f.now)
	ok(t, err)
	claimed := make([][]notify.Notification, 8)
	errs := race(len(claimed), func(i int) error {
		var err error
		claimed[i], err = s.ClaimNotifications(ctx, f.now, f.now.Add(time.Minute), 3)
		return err
	})
	var got []string
	for i, err := range errs {
		ok(t, err)
		for _, n := range claimed[i] {
			got = append(got, n.CaseID)
		}
	}
	slices.Sort(got)
	same(t, "each notification claimed once", got, sorted(ids))
}
