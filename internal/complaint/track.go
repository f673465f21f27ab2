package complaint

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/station"
)

// CaseView is a case as its citizen sees it.
type CaseView struct {
	Case        casefile.Case
	Events      []casefile.Event
	Appointment *station.Appointment // nil when none
	Unit        *station.Unit        // nil when none
	Form        *Form                // nil once erased
	// Salt is the case's ledger salt (nil once erased): the citizen's copy
	// lets them tie transparency-log leaves to their reference.
	Salt []byte
}

// Authenticate checks a reference and tracking code. A malformed or
// unknown reference and a wrong code all fail with
// guichet.ErrUnauthenticated, and a well-formed reference costs the same
// work whether it exists or not (one lookup, one keyed hash, one
// constant-time comparison), so that references cannot be probed.
//
// Authenticate MUST NOT refuse the right code and writes nothing on a
// failure: no per-case failure counter, no lockout, no event on the case.
// A per-case lockout let anyone who knew a reference lock its citizen out
// and told which references exist (locked ones answered differently);
// with a tracking code of at least 80 bits, guessing is bounded by the
// callers' per-client limits (see internal/web), which count failures
// only. The stores' code-failure columns are left unused.
func (s *Service) Authenticate(ctx context.Context, ref, code string) (casefile.Case, error) {
	r, err := caseref.Parse(ref)
	if err != nil {
		return casefile.Case{}, fmt.Errorf("authenticate: %w: %w", guichet.ErrUnauthenticated, err)
	}
	c, sec, err := s.d.Store.CaseByRef(ctx, r.String())
	found := err == nil
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return casefile.Case{}, err
	}
	want := sec.TrackingHash
	if !found {
		// Compared all the same, so that a missing case takes as long as
		// a wrong code; no code's digest is all zeros.
		want = make([]byte, sha256.Size)
	}
	cd, perr := caseref.ParseCode(code)
	match := caseref.Equal(s.d.Codes.Sum(purposeTracking, cd), want)
	if !found || perr != nil || !match {
		s.d.Logger.InfoContext(ctx, "tracking code refused", "ref", r.String())
		return casefile.Case{}, fmt.Errorf("authenticate %s: %w", r, guichet.ErrUnauthenticated)
	}
	return c, nil
}

// TrackingDigest returns the digest stored for tracking code c, so that a
// desk that gives a case a new code stores it the way Authenticate reads it.
func (s *Service) TrackingDigest(c caseref.Code) []byte {
	return s.d.Codes.Sum(purposeTracking, c)
}

// View returns the citizen's view of a case. The caller MUST have
// authenticated the citizen for ref (Authenticate) first.
func (s *Service) View(ctx context.Context, ref string) (*CaseView, error) {
	c, sec, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	v := &CaseView{Case: c, Salt: sec.LedgerSalt}
	if v.Events, err = s.d.Store.CaseEvents(ctx, c.ID); err != nil {
		return nil, err
	}
	if a, err := s.d.Store.Appointment(ctx, c.ID); err == nil {
		v.Appointment = &a
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, err
	}
	if c.UnitID != "" {
		if u, err := s.d.Store.Unit(ctx, c.UnitID); err == nil {
			v.Unit = &u
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, err
		}
	}
	if !c.Erased() {
		sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("case %s: personal: %w", ref, err)
		}
		p, err := PreComplaint.OpenPersonal(s.d.Vault, c.ID, sealed)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", ref, err)
		}
		v.Form = p.(*Form)
	}
	return v, nil
}

// Changeable reports whether the citizen may still move or cancel the
// appointment of c.
func Changeable(c casefile.Case) bool {
	return !c.Status.Final() && !c.Erased()
}

// Reschedule moves the appointment of an authenticated citizen's case to
// another free slot of the same unit, or books one when the case has none.
// The slot already held is refused with a *guichet.ValidationError on
// "slot_id" ("err.slot.same") and nothing is recorded: a move to the same
// time is no move.
func (s *Service) Reschedule(ctx context.Context, ref, slotID string) error {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return err
	}
	if !Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", ref, c.Status, guichet.ErrConflict)
	}
	cur, err := s.d.Store.Appointment(ctx, c.ID)
	booked := err == nil
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return fmt.Errorf("case %s: appointment: %w", ref, err)
	}
	if booked && cur.SlotID == slotID {
		var v guichet.ValidationError
		v.Add("slot_id", "err.slot.same")
		return v.Err()
	}
	now := s.d.Clock.Now()
	slot, err := s.d.Store.Slot(ctx, slotID)
	if err != nil || slot.Start.Before(now.Add(s.cfg.MinNotice)) {
		var v guichet.ValidationError
		v.Add("slot_id", "err.slot.gone")
		return v.Err()
	}
	if slot.UnitID != c.UnitID {
		return s.bookElsewhere(ctx, c, booked, slot)
	}
	typ := casefile.EventAppointmentChanged
	if !booked {
		typ = casefile.EventAppointmentBooked
	}
	ev := s.event(c.ID, typ, "citizen", now, map[string]string{
		"unit": slot.UnitID, "start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
	})
	if err := s.d.Store.Reschedule(ctx, c.ID, slot.ID, []casefile.Event{ev}); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			var v guichet.ValidationError
			v.Add("slot_id", "err.slot.full")
			return v.Err()
		}
		return fmt.Errorf("case %s: reschedule: %w", ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment rescheduled", "ref", ref)
	return nil
}

// rebookable are the statuses in which a citizen may take their case to
// another unit: no agent has taken it up yet.
var rebookable = []casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged}

// CanBookElsewhere reports whether the citizen may book an appointment at
// another unit than the case's: the case holds no appointment (it was
// cancelled) and no agent has taken it up. Otherwise a move stays at the
// case's unit.
func CanBookElsewhere(c casefile.Case, hasAppointment bool) bool {
	return Changeable(c) && !hasAppointment && slices.Contains(rebookable, c.Status)
}

// bookElsewhere books slot, at another unit than c's, for c which holds no
// appointment, and moves c to that unit.
func (s *Service) bookElsewhere(ctx context.Context, c casefile.Case, booked bool, slot station.Slot) error {
	var v guichet.ValidationError
	if !CanBookElsewhere(c, booked) {
		v.Add("slot_id", "err.slot.other_unit")
		return v.Err()
	}
	ev := s.event(c.ID, casefile.EventAppointmentBooked, "citizen", s.d.Clock.Now(), map[string]string{
		"unit": slot.UnitID, "from_unit": c.UnitID,
		"start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
	})
	err := s.d.Store.BookElsewhere(ctx, c.ID, slot.ID, rebookable, []casefile.Event{ev})
	if errors.Is(err, guichet.ErrConflict) {
		// The slot filled up, or the case changed meanwhile (an agent
		// took it up, another window booked).
		if sl, serr := s.d.Store.Slot(ctx, slot.ID); serr == nil && sl.Free() <= 0 {
			v.Add("slot_id", "err.slot.full")
		} else {
			v.Add("slot_id", "err.slot.other_unit")
		}
		return v.Err()
	}
	if err != nil {
		return fmt.Errorf("case %s: book elsewhere: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment booked at another unit", "ref", c.Ref, "unit", slot.UnitID, "from_unit", c.UnitID)
	return nil
}

// CancelAppointment frees the case's appointment; the pre-complaint stays
// open (a new slot can be booked) until it expires.
func (s *Service) CancelAppointment(ctx context.Context, ref string) error {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return err
	}
	if !Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", ref, c.Status, guichet.ErrConflict)
	}
	ev := s.event(c.ID, casefile.EventAppointmentCancelled, "citizen", s.d.Clock.Now(), nil)
	if err := s.d.Store.CancelAppointment(ctx, c.ID, []casefile.Event{ev}); err != nil {
		return fmt.Errorf("case %s: cancel appointment: %w", ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment cancelled", "ref", ref)
	return nil
}
