package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/station"
)

func testSubmitCase(t *testing.T, f *fixture) {
	tests := []struct {
		name       string
		sameIDs    bool // the service reuses the draft's ID as the case's
		withEvents bool
	}{
		{"draft and case IDs differ", false, true},
		{"case takes the draft's ID", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ctx := f.ctx()
			sl := f.newSlot(f.now.Add(48*time.Hour), 2)
			d := f.newDraft(f.now.Add(time.Hour))
			files := []casefile.Evidence{f.newEvidence(d.ID, f.now.Add(-time.Hour)), f.newEvidence(d.ID, f.now)}
			before := len(f.pending())
			sub := f.submission(d.ID, sl.ID)
			if tt.sameIDs {
				sub.Case.ID = d.ID
				for i := range sub.Events {
					sub.Events[i].CaseID = d.ID
				}
			}
			ok(t, f.s.SubmitCase(ctx, sub))
			id := sub.Case.ID

			c, sec, err := f.s.CaseByRef(ctx, sub.Case.Ref)
			ok(t, err)
			same(t, "case", c, sub.Case)
			same(t, "secrets", sec, sub.Secrets)
			p, err := f.s.CasePersonal(ctx, id)
			ok(t, err)
			same(t, "personal part", p, sub.Personal)
			same(t, "events", f.events(id), stored(id, sub.Events...))

			_, err = f.s.DraftByCode(ctx, d.CodeHash)
			is(t, err, guichet.ErrNotFound)
			got, err := f.s.ListEvidence(ctx, id)
			ok(t, err)
			for i := range files {
				files[i].OwnerID = id
			}
			same(t, "evidence re-owned by the case", got, files)
			if !tt.sameIDs {
				got, err := f.s.ListEvidence(ctx, d.ID)
				ok(t, err)
				same(t, "evidence left with the draft", got, []casefile.Evidence{})
			}

			a, err := f.s.Appointment(ctx, id)
			ok(t, err)
			same(t, "appointment", a, station.Appointment{CaseID: id, SlotID: sl.ID, UnitID: sl.UnitID, Start: sl.Start, End: sl.End})
			same(t, "places booked", f.slot(sl.ID).Booked, 1)

			after := f.pending()
			if len(after) != before+len(sub.Events) {
				t.Errorf("outbox grew by %d entries, want %d", len(after)-before, len(sub.Events))
			}
			for _, e := range after {
				if e.LogIndex != -1 {
					t.Errorf("pending entry %d has LogIndex %d, want -1", e.ID, e.LogIndex)
				}
			}
			f.checkLeaves(after, sub.Secrets.LedgerSalt, sub.Case.Ref, sub.Events)
		})
	}
}

func testSubmitCaseBare(t *testing.T, f *fixture) {
	ctx := f.ctx()
	sub := f.submission("", "")
	sub.Case.UnitID = ""
	sub.Case.LinkedRef = f.newRef()
	sub.Case.ExpiresAt = time.Time{}
	sub.Events[0].Data = nil
	ok(t, f.s.SubmitCase(ctx, sub))
	c, _, err := f.s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	same(t, "case", c, sub.Case)
	_, err = f.s.Appointment(ctx, sub.Case.ID)
	is(t, err, guichet.ErrNotFound)
	same(t, "events", f.events(sub.Case.ID), stored(sub.Case.ID, sub.Events...))
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, sub.Events)

	// A case with no event at all has an empty timeline.
	quiet := f.submission("", "")
	quiet.Events = nil
	ok(t, f.s.SubmitCase(ctx, quiet))
	same(t, "events of a quiet case", f.events(quiet.Case.ID), []casefile.Event{})
}

// testSubmitCaseAtomicity checks that a refused submission writes nothing:
// no case, no events, no outbox entries, no booking, draft and evidence
// untouched.
func testSubmitCaseAtomicity(t *testing.T, f *fixture) {
	existing := f.submitted("")
	tests := []struct {
		name   string
		mangle func(f *fixture, s *complaint.Submission)
		kind   error
	}{
		{"full slot", func(f *fixture, s *complaint.Submission) {
			full := f.newSlot(f.now.Add(72*time.Hour), 1)
			f.submitted(full.ID)
			s.SlotID = full.ID
		}, guichet.ErrConflict},
		{"slot of no places", func(f *fixture, s *complaint.Submission) {
			s.SlotID = f.newSlot(f.now.Add(96*time.Hour), 0).ID
		}, guichet.ErrConflict},
		{"reference taken", func(f *fixture, s *complaint.Submission) { s.Case.Ref = existing.Case.Ref }, guichet.ErrConflict},
		{"case ID taken", func(f *fixture, s *complaint.Submission) {
			s.Case.ID = existing.Case.ID
			for i := range s.Events {
				s.Events[i].CaseID = existing.Case.ID
			}
		}, guichet.ErrConflict},
		{"event ID taken", func(f *fixture, s *complaint.Submission) {
			s.Events[len(s.Events)-1].ID = existing.Events[0].ID
		}, guichet.ErrConflict},
		{"unknown slot", func(f *fixture, s *complaint.Submission) { s.SlotID = f.ids.New() }, guichet.ErrNotFound},
		{"unknown draft", func(f *fixture, s *complaint.Submission) { s.DraftID = f.ids.New() }, guichet.ErrNotFound},
		{"unknown unit", func(f *fixture, s *complaint.Submission) { s.Case.UnitID = f.ids.New() }, guichet.ErrNotFound},
		{"events without a salt", func(f *fixture, s *complaint.Submission) { s.Secrets.LedgerSalt = nil }, guichet.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ctx := f.ctx()
			sl := f.newSlot(f.now.Add(48*time.Hour), 5)
			d := f.newDraft(f.now.Add(time.Hour))
			files := []casefile.Evidence{f.newEvidence(d.ID, f.now)}
			sub := f.submission(d.ID, sl.ID)
			s := &sub
			ownID, ownRef := s.Case.ID, s.Case.Ref
			tt.mangle(f, s)
			slots := map[string]station.Slot{}
			for _, id := range []string{sl.ID, s.SlotID} {
				if x, err := f.s.Slot(ctx, id); err == nil {
					slots[id] = x
				}
			}
			outboxBefore := f.pending()

			is(t, f.s.SubmitCase(ctx, sub), tt.kind)

			if _, _, err := f.s.CaseByRef(ctx, ownRef); s.Case.Ref == ownRef {
				is(t, err, guichet.ErrNotFound)
			}
			if s.Case.ID == ownID {
				_, err := f.s.CaseEvents(ctx, ownID)
				is(t, err, guichet.ErrNotFound)
				_, err = f.s.CasePersonal(ctx, ownID)
				is(t, err, guichet.ErrNotFound)
				_, err = f.s.Appointment(ctx, ownID)
				is(t, err, guichet.ErrNotFound)
			}
			got, err := f.s.DraftByCode(ctx, d.CodeHash)
			ok(t, err)
			same(t, "draft", got.ID, d.ID)
			ev, err := f.s.ListEvidence(ctx, d.ID)
			ok(t, err)
			same(t, "draft's evidence", ev, files)
			for id, before := range slots {
				same(t, "slot", f.slot(id), before)
			}
			same(t, "outbox", f.pending(), outboxBefore)
			for _, e := range s.Events {
				if e.ID == existing.Events[0].ID {
					continue
				}
				_, err := f.s.EventLogIndex(ctx, e.ID)
				is(t, err, guichet.ErrNotFound)
			}
			c, _, err := f.s.CaseByRef(ctx, existing.Case.Ref)
			ok(t, err)
			same(t, "the other case", c, existing.Case)
			same(t, "the other case's events", f.events(existing.Case.ID), stored(existing.Case.ID, existing.Events...))
		})
	}
}

// testEventTimes checks that times are kept to the microsecond and that a
// leaf is computed from the event as stored.
func testEventTimes(t *testing.T, f *fixture) {
	ctx := f.ctx()
	sub := f.submission("", "")
	sub.Events[0].At = f.now.Add(123 * time.Nanosecond).In(time.FixedZone("CET", 3600))
	ok(t, f.s.SubmitCase(ctx, sub))
	got := f.events(sub.Case.ID)
	if len(got) != 1 || !got[0].At.Equal(f.now) || got[0].At.Location() != time.UTC {
		t.Fatalf("event time stored as %v, want %v", got[0].At, f.now)
	}
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, got)
}

func testCaseLookups(t *testing.T, f *fixture) {
	ctx := f.ctx()
	f.submitted("")
	unknown := f.ids.New()
	_, _, err := f.s.CaseByRef(ctx, f.newRef())
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.CasePersonal(ctx, unknown)
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.CaseEvents(ctx, unknown)
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.Appointment(ctx, unknown)
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.EventLogIndex(ctx, unknown)
	is(t, err, guichet.ErrNotFound)
}

func testReschedule(t *testing.T, f *fixture) {
	ctx := f.ctx()
	a := f.newSlot(f.now.Add(24*time.Hour), 3)
	b := f.newSlot(f.now.Add(48*time.Hour), 1)
	full := f.newSlot(f.now.Add(72*time.Hour), 1)
	f.submitted(full.ID)
	sub := f.submitted(a.ID)
	id := sub.Case.ID
	history := stored(id, sub.Events...)
	outbox := f.pending()

	// Every refusal changes nothing.
	refused := []struct {
		name   string
		caseID string
		slotID string
		kind   error
	}{
		{"to a full slot", id, full.ID, guichet.ErrConflict},
		{"to an unknown slot", id, f.ids.New(), guichet.ErrNotFound},
		{"of an unknown case", f.ids.New(), b.ID, guichet.ErrNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ev := f.event(tt.caseID, casefile.EventAppointmentChanged, f.now, map[string]string{"slot": tt.slotID})
			is(t, f.s.Reschedule(ctx, tt.caseID, tt.slotID, []casefile.Event{ev}), tt.kind)
			ap, err := f.s.Appointment(ctx, id)
			ok(t, err)
			same(t, "appointment", ap.SlotID, a.ID)
			same(t, "places at a", f.slot(a.ID).Booked, 1)
			same(t, "places at b", f.slot(b.ID).Booked, 0)
			same(t, "places at full", f.slot(full.ID).Booked, 1)
			same(t, "events", f.events(id), history)
			same(t, "outbox", f.pending(), outbox)
		})
	}

	moves := []struct {
		name                 string
		to                   station.Slot
		bookedA, bookedB     int
		wantSlot, wantUnitID string
	}{
		{"to a free slot", b, 0, 1, b.ID, b.UnitID},
		{"to the slot it holds", b, 0, 1, b.ID, b.UnitID},
		{"back", a, 1, 0, a.ID, a.UnitID},
	}
	for _, tt := range moves {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ev := f.event(id, casefile.EventAppointmentChanged, f.now.Add(time.Minute), map[string]string{"slot": tt.to.ID})
			ok(t, f.s.Reschedule(ctx, id, tt.to.ID, []casefile.Event{ev}))
			history = append(history, stored(id, ev)...)
			ap, err := f.s.Appointment(ctx, id)
			ok(t, err)
			same(t, "appointment", ap, station.Appointment{CaseID: id, SlotID: tt.to.ID, UnitID: tt.wantUnitID, Start: tt.to.Start, End: tt.to.End})
			same(t, "places at a", f.slot(a.ID).Booked, tt.bookedA)
			same(t, "places at b", f.slot(b.ID).Booked, tt.bookedB)
			same(t, "events", f.events(id), history)
			f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, history)
		})
	}

	t.Run("books a case without appointment", func(t *testing.T) {
		f := f.sub(t)
		bare := f.submitted("")
		ev := f.event(bare.Case.ID, casefile.EventAppointmentBooked, f.now, nil)
		ok(t, f.s.Reschedule(ctx, bare.Case.ID, b.ID, []casefile.Event{ev}))
		ap, err := f.s.Appointment(ctx, bare.Case.ID)
		ok(t, err)
		same(t, "appointment", ap.SlotID, b.ID)
		same(t, "places at b", f.slot(b.ID).Booked, 1)
		f.checkLeaves(f.pending(), bare.Secrets.LedgerSalt, bare.Case.Ref, stored(bare.Case.ID, append(bare.Events, ev)...))
	})
}

func testCancelAppointment(t *testing.T, f *fixture) {
	ctx := f.ctx()
	sl := f.newSlot(f.now.Add(24*time.Hour), 1)
	sub := f.submitted(sl.ID)
	id := sub.Case.ID
	ev := f.event(id, casefile.EventAppointmentCancelled, f.now, nil)
	ok(t, f.s.CancelAppointment(ctx, id, []casefile.Event{ev}))
	_, err := f.s.Appointment(ctx, id)
	is(t, err, guichet.ErrNotFound)
	same(t, "places", f.slot(sl.ID).Booked, 0)
	history := stored(id, append(sub.Events, ev)...)
	same(t, "events", f.events(id), history)
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, history)

	outbox := f.pending()
	again := f.event(id, casefile.EventAppointmentCancelled, f.now, nil)
	is(t, f.s.CancelAppointment(ctx, id, []casefile.Event{again}), guichet.ErrNotFound)
	same(t, "events after a refused cancel", f.events(id), history)
	same(t, "outbox after a refused cancel", f.pending(), outbox)
	is(t, f.s.CancelAppointment(ctx, f.ids.New(), nil), guichet.ErrNotFound)

	// The freed place can be taken again.
	f.submitted(sl.ID)
	same(t, "places", f.slot(sl.ID).Booked, 1)
}

// testBookElsewhere: a case without appointment, not taken up, books a
// slot at another unit and moves there; anything else changes nothing.
func testBookElsewhere(t *testing.T, f *fixture) {
	ctx := f.ctx()
	movable := []casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged}
	a := f.newSlot(f.now.Add(24*time.Hour), 2)
	other := f.newUnit("BTA-VILLEURBANNE", "Brigade de Villeurbanne")
	slotAt := func(capacity, booked int) station.Slot {
		sl := station.Slot{ID: f.ids.New(), UnitID: other.ID, Start: f.now.Add(48 * time.Hour), End: f.now.Add(48*time.Hour + 30*time.Minute), Capacity: capacity, Booked: booked}
		ok(t, f.s.CreateSlot(ctx, sl))
		return sl
	}
	b, full := slotAt(1, 0), slotAt(1, 1)
	holding := f.submitted(a.ID)
	bare := f.submitted("")
	taken := f.submission("", "")
	taken.Case.Status = casefile.StatusInProgress
	ok(t, f.s.SubmitCase(ctx, taken))

	refused := []struct {
		name   string
		sub    complaint.Submission
		caseID string
		slotID string
		kind   error
	}{
		{"a case holding an appointment", holding, holding.Case.ID, b.ID, guichet.ErrConflict},
		{"a case taken up", taken, taken.Case.ID, b.ID, guichet.ErrConflict},
		{"a full slot", bare, bare.Case.ID, full.ID, guichet.ErrConflict},
		{"an unknown slot", bare, bare.Case.ID, f.ids.New(), guichet.ErrNotFound},
		{"an unknown case", bare, f.ids.New(), b.ID, guichet.ErrNotFound},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			history, outbox := f.events(tt.sub.Case.ID), f.pending()
			ev := f.event(tt.caseID, casefile.EventAppointmentBooked, f.now, map[string]string{"unit": other.ID})
			is(t, f.s.BookElsewhere(ctx, tt.caseID, tt.slotID, movable, []casefile.Event{ev}), tt.kind)
			c, _, err := f.s.CaseByRef(ctx, tt.sub.Case.Ref)
			ok(t, err)
			same(t, "unit", c.UnitID, tt.sub.Case.UnitID)
			same(t, "places at b", f.slot(b.ID).Booked, 0)
			same(t, "places at a", f.slot(a.ID).Booked, 1)
			same(t, "events", f.events(tt.sub.Case.ID), history)
			same(t, "outbox", f.pending(), outbox)
		})
	}

	t.Run("books and moves", func(t *testing.T) {
		f := f.sub(t)
		ev := f.event(bare.Case.ID, casefile.EventAppointmentBooked, f.now.Add(time.Minute), map[string]string{"unit": other.ID})
		ok(t, f.s.BookElsewhere(ctx, bare.Case.ID, b.ID, movable, []casefile.Event{ev}))
		ap, err := f.s.Appointment(ctx, bare.Case.ID)
		ok(t, err)
		same(t, "appointment", ap, station.Appointment{CaseID: bare.Case.ID, SlotID: b.ID, UnitID: other.ID, Start: b.Start, End: b.End})
		c, _, err := f.s.CaseByRef(ctx, bare.Case.Ref)
		ok(t, err)
		same(t, "unit", c.UnitID, other.ID)
		same(t, "places at b", f.slot(b.ID).Booked, 1)
		history := stored(bare.Case.ID, append(bare.Events, ev)...)
		same(t, "events", f.events(bare.Case.ID), history)
		f.checkLeaves(f.pending(), bare.Secrets.LedgerSalt, bare.Case.Ref, history)
		// Now it holds one: a second booking elsewhere is refused.
		is(t, f.s.BookElsewhere(ctx, bare.Case.ID, b.ID, movable, nil), guichet.ErrConflict)
	})
}

func testExpirableCases(t *testing.T, f *fixture) {
	ctx := f.ctx()
	mk := func(expires time.Time) casefile.Case {
		s := f.submission("", "")
		s.Case.ExpiresAt = expires
		ok(t, f.s.SubmitCase(ctx, s))
		return s.Case
	}
	later := mk(f.now.Add(time.Hour))
	oldest := mk(f.now.Add(-3 * time.Hour))
	atNow := mk(f.now)
	never := mk(time.Time{})
	old := mk(f.now.Add(-time.Hour))
	erased := mk(f.now.Add(-2 * time.Hour))
	_, err := f.s.EraseCase(ctx, erased.ID, casefile.StatusExpired, f.now, nil)
	ok(t, err)
	_, _ = later, never

	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []casefile.Case
	}{
		{"all due", f.now, 10, []casefile.Case{oldest, old, atNow}},
		{"limited", f.now, 2, []casefile.Case{oldest, old}},
		{"earlier", f.now.Add(-90 * time.Minute), 10, []casefile.Case{oldest}},
		{"none due", f.now.Add(-4 * time.Hour), 10, []casefile.Case{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			got, err := f.s.ExpirableCases(ctx, tt.now, tt.limit)
			ok(t, err)
			same(t, "ExpirableCases", got, tt.want)
		})
	}
	_, err = f.s.ExpirableCases(ctx, f.now, 0)
	is(t, err, guichet.ErrInvalid)
}

func testEraseCase(t *testing.T, f *fixture) {
	ctx := f.ctx()
	sl := f.newSlot(f.now.Add(24*time.Hour), 1)
	d := f.newDraft(f.now.Add(time.Hour))
	files := []casefile.Evidence{f.newEvidence(d.ID, f.now), f.newEvidence(d.ID, f.now)}
	sub := f.submission(d.ID, sl.ID)
	ok(t, f.s.SubmitCase(ctx, sub))
	id := sub.Case.ID
	extra := f.newEvidence(id, f.now.Add(time.Minute)) // added after submission
	files = append(files, extra)
	bystander := f.submitted("")
	at := f.now.Add(30 * 24 * time.Hour)
	evs := []casefile.Event{
		f.event(id, casefile.EventExpired, at, map[string]string{"reason": "not_confirmed"}),
		f.event(id, casefile.EventErased, at, nil),
	}

	// Not due yet: refused, nothing written.
	_, err := f.s.EraseCase(ctx, id, casefile.StatusExpired, sub.Case.ExpiresAt.Add(-time.Microsecond), evs)
	is(t, err, guichet.ErrConflict)
	same(t, "events of a case not due", f.events(id), stored(id, sub.Events...))

	keys, err := f.s.EraseCase(ctx, id, casefile.StatusExpired, at, evs)
	ok(t, err)
	var want []string
	for _, e := range files {
		want = append(want, e.BlobKey)
	}
	same(t, "blob keys", sorted(keys), sorted(want))

	c, sec, err := f.s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	wantCase := sub.Case
	wantCase.Status, wantCase.ErasedAt, wantCase.UpdatedAt = casefile.StatusExpired, at, at
	same(t, "tombstone", c, wantCase)
	if sec.LedgerSalt != nil {
		t.Errorf("ledger salt kept after erasure: %x", sec.LedgerSalt)
	}
	same(t, "tracking hash", sec.TrackingHash, sub.Secrets.TrackingHash)
	_, err = f.s.CasePersonal(ctx, id)
	is(t, err, guichet.ErrNotFound)
	list, err := f.s.ListEvidence(ctx, id)
	ok(t, err)
	same(t, "evidence", list, []casefile.Evidence{})
	_, err = f.s.Appointment(ctx, id)
	is(t, err, guichet.ErrNotFound)
	same(t, "places", f.slot(sl.ID).Booked, 0)

	history := stored(id, append(sub.Events, evs...)...)
	same(t, "events", f.events(id), history)
	// The erasure's own leaves were computed with the salt, before it went.
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, history)
	due, err := f.s.ExpirableCases(ctx, at.Add(time.Hour), 10)
	ok(t, err)
	same(t, "due after erasure", due, []casefile.Case{bystander.Case})

	// An erased case refuses every change.
	outbox := f.pending()
	late := f.event(id, casefile.EventErased, at, nil)
	_, err = f.s.EraseCase(ctx, id, casefile.StatusExpired, at, []casefile.Event{late})
	is(t, err, guichet.ErrConflict)
	is(t, f.s.Reschedule(ctx, id, sl.ID, []casefile.Event{late}), guichet.ErrConflict)
	is(t, f.s.CancelAppointment(ctx, id, []casefile.Event{late}), guichet.ErrConflict)
	is(t, f.s.AddEvidence(ctx, casefile.Evidence{ID: f.ids.New(), OwnerID: id, BlobKey: "k", ContentType: "image/png", CreatedAt: at}), guichet.ErrConflict)
	same(t, "events after refused changes", f.events(id), history)
	same(t, "outbox after refused changes", f.pending(), outbox)
	same(t, "places after refused changes", f.slot(sl.ID).Booked, 0)

	_, err = f.s.EraseCase(ctx, f.ids.New(), casefile.StatusExpired, at, nil)
	is(t, err, guichet.ErrNotFound)
	p, err := f.s.CasePersonal(ctx, bystander.Case.ID)
	ok(t, err)
	same(t, "the other case's personal part", p, bystander.Personal)
}

// testSubmitCaseLinked: a submission's linked events land on the other
// case in the same transaction, with leaves of that case's reference and
// salt; a linked case missing or erased, or a linked event that cannot be
// written, fails the whole submission with nothing written on either case.
func testSubmitCaseLinked(t *testing.T, f *fixture) {
	t.Run("written on both cases", func(t *testing.T) {
		f := f.sub(t)
		ctx := f.ctx()
		sg := f.reportSubmission(report.LaneNormal, seenURL("http://phish.example/login"))
		ok(t, f.s.SubmitReport(ctx, sg))
		before := f.pending()
		d := f.newDraft(f.now.Add(time.Hour))
		sub := f.submission(d.ID, "")
		sub.Events = append(sub.Events, f.event(sub.Case.ID, casefile.EventLinked, f.now, map[string]string{"ref": sg.Case.Ref}))
		back := f.event(sg.Case.ID, casefile.EventLinked, f.now, map[string]string{"ref": sub.Case.Ref})
		sub.Linked = []complaint.LinkedEvents{{CaseID: sg.Case.ID, Events: []casefile.Event{back}}}
		ok(t, f.s.SubmitCase(ctx, sub))

		same(t, "pre-complaint's events", f.events(sub.Case.ID), stored(sub.Case.ID, sub.Events...))
		same(t, "report's events", f.events(sg.Case.ID), stored(sg.Case.ID, append(sg.Events, back)...))
		c, _, err := f.s.CaseByRef(ctx, sub.Case.Ref)
		ok(t, err)
		if c.LinkedRef != "" {
			t.Errorf("LinkedRef = %q: the link to a report is an event, not a conversion", c.LinkedRef)
		}
		after := f.pending()
		if len(after) != len(before)+len(sub.Events)+1 {
			t.Errorf("outbox grew by %d entries, want %d", len(after)-len(before), len(sub.Events)+1)
		}
		f.checkLeaves(after, sub.Secrets.LedgerSalt, sub.Case.Ref, sub.Events)
		f.checkLeaves(after, sg.Secrets.LedgerSalt, sg.Case.Ref, []casefile.Event{back})
	})

	erased := f.submitted("")
	at := erased.Case.ExpiresAt
	_, err := f.s.EraseCase(f.ctx(), erased.Case.ID, casefile.StatusExpired, at, []casefile.Event{f.event(erased.Case.ID, casefile.EventErased, at, nil)})
	ok(t, err)
	tests := []struct {
		name   string
		target func(f *fixture, sgID string) string // the linked case's ID
		mangle func(f *fixture, back *casefile.Event)
		kind   error
	}{
		{"unknown linked case", func(f *fixture, _ string) string { return f.ids.New() }, nil, guichet.ErrNotFound},
		{"erased linked case", func(*fixture, string) string { return erased.Case.ID }, nil, guichet.ErrNotFound},
		{"linked to itself", nil, nil, guichet.ErrNotFound},
		{"linked event ID taken", nil, func(f *fixture, back *casefile.Event) { back.ID = erased.Events[0].ID }, guichet.ErrConflict},
		{"linked event of another case", nil, func(f *fixture, back *casefile.Event) { back.CaseID = erased.Case.ID }, guichet.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			ctx := f.ctx()
			sg := f.reportSubmission(report.LaneNormal)
			ok(t, f.s.SubmitReport(ctx, sg))
			d := f.newDraft(f.now.Add(time.Hour))
			sub := f.submission(d.ID, "")
			target := sg.Case.ID
			switch {
			case tt.target != nil:
				target = tt.target(f, sg.Case.ID)
			case tt.name == "linked to itself":
				target = sub.Case.ID
			}
			back := f.event(target, casefile.EventLinked, f.now, map[string]string{"ref": sub.Case.Ref})
			if tt.mangle != nil {
				tt.mangle(f, &back)
			}
			sub.Linked = []complaint.LinkedEvents{{CaseID: target, Events: []casefile.Event{back}}}
			outbox := f.pending()

			is(t, f.s.SubmitCase(ctx, sub), tt.kind)

			_, _, err := f.s.CaseByRef(ctx, sub.Case.Ref)
			is(t, err, guichet.ErrNotFound)
			got, err := f.s.DraftByCode(ctx, d.CodeHash)
			ok(t, err)
			same(t, "draft", got.ID, d.ID)
			same(t, "report's events", f.events(sg.Case.ID), stored(sg.Case.ID, sg.Events...))
			same(t, "outbox", f.pending(), outbox)
		})
	}
}
