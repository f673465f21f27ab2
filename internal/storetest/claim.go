package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
)

// testClaimEvent: a claim is recorded once; a second one is refused and
// writes nothing; a release gives it back; an erased or unknown case
// takes no event.
func testClaimEvent(t *testing.T, f *fixture) {
	ctx := f.ctx()
	sub := f.submitted("")
	id := sub.Case.ID
	at := f.now.Add(time.Minute)
	const claimT, releaseT = casefile.EventCodeEmailed, casefile.EventCodeEmailFailed
	first := f.event(id, claimT, at, nil)
	ok(t, f.s.ClaimEvent(ctx, id, first, releaseT))
	before := len(f.pending())
	is(t, f.s.ClaimEvent(ctx, id, f.event(id, claimT, at, nil), releaseT), guichet.ErrConflict)
	if n := len(f.pending()); n != before {
		t.Errorf("a refused claim wrote %d outbox rows", n-before)
	}
	release := f.event(id, releaseT, at, nil)
	release.Visible = false
	ok(t, f.s.RecordEvents(ctx, id, []casefile.Event{release}))
	again := f.event(id, claimT, at.Add(time.Minute), nil)
	ok(t, f.s.ClaimEvent(ctx, id, again, releaseT))
	is(t, f.s.ClaimEvent(ctx, id, f.event(id, claimT, at, nil), releaseT), guichet.ErrConflict)
	same(t, "events", f.events(id)[len(sub.Events):], stored(id, first, release, again))
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, []casefile.Event{first, release, again})

	is(t, f.s.ClaimEvent(ctx, "no-such-case", f.event("no-such-case", claimT, at, nil), releaseT), guichet.ErrNotFound)
	is(t, f.s.RecordEvents(ctx, "no-such-case", []casefile.Event{f.event("no-such-case", releaseT, at, nil)}), guichet.ErrNotFound)
	other := f.submitted("")
	_, err := f.s.EraseCase(ctx, other.Case.ID, casefile.StatusExpired, other.Case.ExpiresAt, nil)
	ok(t, err)
	is(t, f.s.ClaimEvent(ctx, other.Case.ID, f.event(other.Case.ID, claimT, at, nil), releaseT), guichet.ErrConflict)
	is(t, f.s.RecordEvents(ctx, other.Case.ID, []casefile.Event{f.event(other.Case.ID, releaseT, at, nil)}), guichet.ErrConflict)
}

// testRaceClaimEvent: of many claims at once on one case, exactly one is
// recorded.
func testRaceClaimEvent(t *testing.T, f *fixture) {
	sub := f.submitted("")
	id := sub.Case.ID
	errs := race(12, func(int) error {
		return f.s.ClaimEvent(f.ctx(), id, f.event(id, casefile.EventCodeEmailed, f.now, nil), casefile.EventCodeEmailFailed)
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, guichet.ErrConflict):
			t.Errorf("claim: %v", err)
		}
	}
	n := 0
	for _, ev := range f.events(id) {
		if ev.Type == casefile.EventCodeEmailed {
			n++
		}
	}
	if won != 1 || n != 1 {
		t.Errorf("%d claims won, %d recorded; want 1 and 1", won, n)
	}
}
