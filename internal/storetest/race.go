package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
)

// races are the shapes of the booking races: racers goroutines go for the
// capacity places of one slot at the same instant.
var races = []struct {
	name             string
	capacity, racers int
}{
	{"one place, two racers", 1, 2},
	{"one place, many racers", 1, 16},
	{"three places, many racers", 3, 24},
}

// race runs fn(i) for i in [0, n) in n goroutines released together, and
// returns the error each returned.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally checks that exactly want of errs are nil and that every other one
// wraps guichet.ErrConflict; it returns which succeeded.
func tally(t *testing.T, errs []error, want int) []bool {
	t.Helper()
	won := make([]bool, len(errs))
	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won[i] = true
			n++
		case !errors.Is(err, guichet.ErrConflict):
			t.Errorf("racer %d: got %v, want nil or guichet.ErrConflict", i, err)
		}
	}
	if n != want {
		t.Errorf("%d racers won, want exactly %d", n, want)
	}
	return won
}

func testRaceSubmit(t *testing.T, f *fixture) {
	for k, tt := range races {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ctx := f.ctx()
			sl := f.newSlot(f.now.Add(time.Duration(24+k)*time.Hour), tt.capacity)
			drafts := make([]complaint.Draft, tt.racers)
			subs := make([]complaint.Submission, tt.racers)
			for i := range subs {
				drafts[i] = f.newDraft(f.now.Add(time.Hour))
				subs[i] = f.submission(drafts[i].ID, sl.ID)
			}
			outbox := len(f.pending())

			errs := race(tt.racers, func(i int) error { return f.s.SubmitCase(ctx, subs[i]) })
			won := tally(t, errs, tt.capacity)

			same(t, "places booked", f.slot(sl.ID).Booked, tt.capacity)
			events := 0
			for i, s := range subs {
				_, _, errCase := f.s.CaseByRef(ctx, s.Case.Ref)
				_, errDraft := f.s.DraftByCode(ctx, drafts[i].CodeHash)
				_, errAppt := f.s.Appointment(ctx, s.Case.ID)
				if won[i] {
					events += len(s.Events)
					ok(t, errCase)
					ok(t, errAppt)
					is(t, errDraft, guichet.ErrNotFound)
				} else {
					is(t, errCase, guichet.ErrNotFound)
					is(t, errAppt, guichet.ErrNotFound)
					ok(t, errDraft)
				}
			}
			same(t, "outbox entries written", len(f.pending())-outbox, events)
		})
	}
}

func testRaceReschedule(t *testing.T, f *fixture) {
	for k, tt := range races {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ctx := f.ctx()
			home := f.newSlot(f.now.Add(time.Duration(24+k)*time.Hour), tt.racers)
			target := f.newSlot(f.now.Add(time.Duration(48+k)*time.Hour), tt.capacity)
			subs := make([]complaint.Submission, tt.racers)
			moves := make([]casefile.Event, tt.racers)
			for i := range subs {
				subs[i] = f.submitted(home.ID)
				moves[i] = f.event(subs[i].Case.ID, casefile.EventAppointmentChanged, f.now, map[string]string{"slot": target.ID})
			}

			errs := race(tt.racers, func(i int) error {
				return f.s.Reschedule(ctx, subs[i].Case.ID, target.ID, []casefile.Event{moves[i]})
			})
			won := tally(t, errs, tt.capacity)

			same(t, "places at the target", f.slot(target.ID).Booked, tt.capacity)
			same(t, "places left at home", f.slot(home.ID).Booked, tt.racers-tt.capacity)
			for i, s := range subs {
				ap, err := f.s.Appointment(ctx, s.Case.ID)
				ok(t, err)
				want, history := home.ID, stored(s.Case.ID, s.Events...)
				if won[i] {
					want, history = target.ID, stored(s.Case.ID, append(s.Events, moves[i])...)
				}
				same(t, "appointment", ap.SlotID, want)
				same(t, "events", f.events(s.Case.ID), history)
				_, err = f.s.EventLogIndex(ctx, moves[i].ID)
				is(t, err, guichet.ErrNotFound)
			}
		})
	}
}
