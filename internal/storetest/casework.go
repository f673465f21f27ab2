package storetest

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
)

// CaseworkStore is a store that also serves the case desk (casework.Store)
// and master-key rotation (casework.KeyStore).
//
// Beyond their doc comments the suite holds stores to these rules: scope
// filtering is the service's, but every list takes the unit IDs it may
// return; a note is deleted with its case's personal part (erasure); of
// concurrent conversions of one pre-complaint exactly one succeeds.
type CaseworkStore interface {
	Store
	casework.Store
	casework.KeyStore
}

// RunCasework runs the contract suite of the case desk's store methods.
// open follows the rules of Run.
func RunCasework(t *testing.T, open func(t *testing.T) CaseworkStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture, s CaseworkStore)
	}{
		{"ChangeCase", testChangeCase},
		{"NotesErasedWithCase", testNotesErased},
		{"QueueCases", testQueueCases},
		{"ConvertCase", testConvertCase},
		{"RaceConvert", testRaceConvert},
		{"SlotsOfTheCalendar", testCalendarSlots},
		{"AccessEvents", testAccessEvents},
		{"WrappedKeys", testWrappedKeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.fn(t, newFixture(t, s), s)
		})
	}
}

func testChangeCase(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	sub := f.submitted("")
	id := sub.Case.ID
	at := f.now.Add(time.Hour)
	note := &casework.StoredNote{ID: f.ids.New(), CaseID: id, Ciphertext: randBytes(80), ToCitizen: true, AuthorID: "ag1", Author: "A111", At: at}
	evs := []casefile.Event{f.event(id, casefile.EventAssigned, at, map[string]string{"agent": "A111"}),
		f.event(id, casefile.EventNoteToCitizen, at, map[string]string{"note": note.ID})}
	ok(t, s.ChangeCase(ctx, casework.Change{
		CaseID: id, Allowed: []casefile.Status{casefile.StatusSubmitted}, Status: casefile.StatusAssigned,
		SetExpiry: true, ExpiresAt: at.Add(time.Hour), At: at,
		Assign: &casework.Assignment{AgentID: "ag1", Pseudonym: "A111", At: at}, Note: note, Events: evs,
	}))
	c, _, err := s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	if c.Status != casefile.StatusAssigned || !c.ExpiresAt.Equal(at.Add(time.Hour)) || !c.UpdatedAt.Equal(at) {
		t.Errorf("case after change = %+v", c)
	}
	a, err := s.CaseAssignment(ctx, id)
	ok(t, err)
	same(t, "assignment", a, casework.Assignment{AgentID: "ag1", Pseudonym: "A111", At: at})
	notes, err := s.CaseNotes(ctx, id)
	ok(t, err)
	same(t, "notes", notes, []casework.StoredNote{*note})
	same(t, "events", f.events(id)[len(sub.Events):], stored(id, evs...))
	f.checkLeaves(f.pending(), sub.Secrets.LedgerSalt, sub.Case.Ref, evs)

	// A status not allowed any more: nothing at all is written.
	before := len(f.pending())
	err = s.ChangeCase(ctx, casework.Change{CaseID: id, Allowed: []casefile.Status{casefile.StatusSubmitted},
		Status: casefile.StatusClosed, At: at, Note: &casework.StoredNote{ID: f.ids.New(), CaseID: id, Ciphertext: []byte{1}, AuthorID: "x", Author: "x", At: at},
		Events: []casefile.Event{f.event(id, casefile.EventClosed, at, nil)}})
	is(t, err, guichet.ErrConflict)
	if n := len(f.pending()); n != before {
		t.Errorf("refused change wrote %d outbox rows", n-before)
	}
	notes, _ = s.CaseNotes(ctx, id)
	if len(notes) != 1 {
		t.Errorf("refused change wrote a note")
	}
	// A new tracking code's digest replaces the old one; a refused change
	// leaves it.
	_, sec, err := s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	if !bytes.Equal(sec.TrackingHash, sub.Secrets.TrackingHash) {
		t.Fatalf("tracking digest before any change = %x, want %x", sec.TrackingHash, sub.Secrets.TrackingHash)
	}
	fresh := randBytes(32)
	is(t, s.ChangeCase(ctx, casework.Change{CaseID: id, Allowed: []casefile.Status{casefile.StatusClosed}, TrackingHash: randBytes(32), At: at}), guichet.ErrConflict)
	ok(t, s.ChangeCase(ctx, casework.Change{CaseID: id, TrackingHash: fresh, At: at,
		Events: []casefile.Event{f.event(id, casefile.EventCodeReissued, at, nil)}}))
	_, sec, err = s.CaseByRef(ctx, sub.Case.Ref)
	ok(t, err)
	if !bytes.Equal(sec.TrackingHash, fresh) {
		t.Errorf("tracking digest after reissue = %x, want %x", sec.TrackingHash, fresh)
	}
	if other, _, _ := s.CaseByRef(ctx, f.submitted("").Case.Ref); other.ID == "" {
		t.Errorf("another case unreadable after reissue")
	}
	// Expiry cleared: zero time.
	ok(t, s.ChangeCase(ctx, casework.Change{CaseID: id, SetExpiry: true, At: at}))
	c, _, _ = s.CaseByRef(ctx, sub.Case.Ref)
	if !c.ExpiresAt.IsZero() {
		t.Errorf("expiry not cleared: %v", c.ExpiresAt)
	}
	_, err = s.CaseAssignment(ctx, f.submitted("").Case.ID)
	is(t, err, guichet.ErrNotFound)
	is(t, s.ChangeCase(ctx, casework.Change{CaseID: "no-such-case", At: at}), guichet.ErrNotFound)
	// A case that never expires (confirmed) is not erased, even if
	// retention listed it before.
	_, err = s.EraseCase(ctx, id, casefile.StatusExpired, at, nil)
	is(t, err, guichet.ErrConflict)
	ok(t, s.ChangeCase(ctx, casework.Change{CaseID: id, SetExpiry: true, ExpiresAt: at, At: at}))
	_, err = s.EraseCase(ctx, id, casefile.StatusExpired, at, nil)
	ok(t, err)
	is(t, s.ChangeCase(ctx, casework.Change{CaseID: id, At: at, Events: []casefile.Event{f.event(id, casefile.EventAccessed, at, nil)}}), guichet.ErrConflict)
}

func testNotesErased(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	sub := f.submitted("")
	keep := f.submitted("")
	for _, id := range []string{sub.Case.ID, keep.Case.ID} {
		ok(t, s.ChangeCase(ctx, casework.Change{CaseID: id, At: f.now,
			Note: &casework.StoredNote{ID: f.ids.New(), CaseID: id, Ciphertext: randBytes(40), AuthorID: "a", Author: "A111", At: f.now}}))
	}
	_, err := s.EraseCase(ctx, sub.Case.ID, casefile.StatusExpired, sub.Case.ExpiresAt, nil)
	ok(t, err)
	notes, err := s.CaseNotes(ctx, sub.Case.ID)
	ok(t, err)
	if len(notes) != 0 {
		t.Errorf("%d notes left after erasure", len(notes))
	}
	if notes, _ := s.CaseNotes(ctx, keep.Case.ID); len(notes) != 1 {
		t.Errorf("erasure deleted another case's notes")
	}
}

func testQueueCases(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	unit := f.defaultUnit().ID
	other := f.newUnit("CSP-OTHER", "Autre")
	s3 := f.newSlot(f.now.Add(3*time.Hour), 5)
	s1 := f.newSlot(f.now.Add(1*time.Hour), 5)
	late := f.submitted(s3.ID)
	early := f.submitted(s1.ID)
	bare := f.submitted("") // no appointment: after the others
	o := f.submission("", "")
	o.Case.UnitID = other.ID
	ok(t, s.SubmitCase(ctx, o))
	refs := func(rows []casework.QueueRow) []string {
		out := []string{}
		for _, r := range rows {
			out = append(out, r.Case.Ref)
		}
		return out
	}
	q := casework.QueueQuery{UnitIDs: []string{unit}, Kind: caseref.PreComplaint, Limit: 10}
	rows, err := s.QueueCases(ctx, q)
	ok(t, err)
	same(t, "queue order", refs(rows), []string{early.Case.Ref, late.Case.Ref, bare.Case.Ref})
	if rows[0].Appointment == nil || rows[0].Appointment.SlotID != s1.ID || !rows[0].Appointment.Start.Equal(s1.Start) || rows[2].Appointment != nil {
		t.Errorf("appointments = %+v / %+v", rows[0].Appointment, rows[2].Appointment)
	}
	// Paging by key.
	q.Limit = 1
	var got []string
	for page := 0; page < 5; page++ {
		rows, err := s.QueueCases(ctx, q)
		ok(t, err)
		if len(rows) == 0 {
			break
		}
		got = append(got, rows[0].Case.Ref)
		r := rows[0]
		k := casework.QueueKey{NoAppointment: r.Appointment == nil, At: r.Case.SubmittedAt, ID: r.Case.ID}
		if r.Appointment != nil {
			k.At = r.Appointment.Start
		}
		q.After = &k
	}
	same(t, "pages", got, []string{early.Case.Ref, late.Case.Ref, bare.Case.Ref})
	// Filters.
	for name, tc := range map[string]struct {
		q    casework.QueueQuery
		want []string
	}{
		"both units":  {casework.QueueQuery{UnitIDs: []string{unit, other.ID}}, []string{early.Case.Ref, late.Case.Ref, bare.Case.Ref, o.Case.Ref}},
		"no unit":     {casework.QueueQuery{}, []string{}},
		"ref":         {casework.QueueQuery{UnitIDs: []string{unit}, Ref: late.Case.Ref}, []string{late.Case.Ref}},
		"other's ref": {casework.QueueQuery{UnitIDs: []string{unit}, Ref: o.Case.Ref}, []string{}},
		"range":       {casework.QueueQuery{UnitIDs: []string{unit}, ApptFrom: f.now.Add(2 * time.Hour), ApptTo: f.now.Add(4 * time.Hour)}, []string{late.Case.Ref}},
		"category":    {casework.QueueQuery{UnitIDs: []string{unit}, Category: "fraud"}, []string{}},
		"status":      {casework.QueueQuery{UnitIDs: []string{unit}, Statuses: []casefile.Status{casefile.StatusSubmitted, casefile.StatusAssigned}}, []string{early.Case.Ref, late.Case.Ref, bare.Case.Ref}},
		"closed":      {casework.QueueQuery{UnitIDs: []string{unit}, Statuses: []casefile.Status{casefile.StatusClosed}}, []string{}},
		"expiring":    {casework.QueueQuery{UnitIDs: []string{unit}, ExpiresBefore: f.now.Add(31 * 24 * time.Hour)}, []string{early.Case.Ref, late.Case.Ref, bare.Case.Ref}},
		"not yet":     {casework.QueueQuery{UnitIDs: []string{unit}, ExpiresBefore: f.now.Add(24 * time.Hour)}, []string{}},
		"kind PL":     {casework.QueueQuery{UnitIDs: []string{unit}, Kind: caseref.Complaint}, []string{}},
	} {
		tc.q.Limit = 10
		rows, err := s.QueueCases(ctx, tc.q)
		ok(t, err)
		same(t, name, refs(rows), tc.want)
	}
	ok(t, s.ChangeCase(ctx, casework.Change{CaseID: bare.Case.ID, At: f.now, Assign: &casework.Assignment{AgentID: "ag7", Pseudonym: "A777", At: f.now}}))
	rows, err = s.QueueCases(ctx, casework.QueueQuery{UnitIDs: []string{unit}, AssignedTo: "ag7", Limit: 10})
	ok(t, err)
	if same(t, "assigned to", refs(rows), []string{bare.Case.Ref}); len(rows) == 1 && (rows[0].Assignment == nil || rows[0].Assignment.Pseudonym != "A777") {
		t.Errorf("assignment = %+v", rows[0].Assignment)
	}
	_, err = s.QueueCases(ctx, casework.QueueQuery{UnitIDs: []string{unit}})
	is(t, err, guichet.ErrInvalid)
}

// conversion builds the conversion of pp into a new complaint.
func (f *fixture) conversion(pp complaint.Submission) casework.Conversion {
	f.t.Helper()
	r, err := caseref.New(caseref.Complaint, 2026, randReader{})
	ok(f.t, err)
	pl := casefile.Case{ID: f.ids.New(), Ref: r.String(), Kind: caseref.Complaint, Category: pp.Case.Category,
		Status: casefile.StatusConfirmed, UnitID: pp.Case.UnitID, CreatedAt: f.now, SubmittedAt: f.now, UpdatedAt: f.now,
		LinkedRef: pp.Case.Ref}
	guard, err := complaint.PreComplaint.From(casefile.StatusConfirmed, casefile.ActorAgent)
	ok(f.t, err)
	return casework.Conversion{
		PPID: pp.Case.ID, PPAllowed: guard, PL: pl, PLSalt: randBytes(32), At: f.now,
		PLPerson: casefile.Sealed{WrappedKey: randBytes(60), Ciphertext: randBytes(500)},
		PLEvents: []casefile.Event{f.event(pl.ID, casefile.EventCreated, f.now, map[string]string{"pre_complaint": pp.Case.Ref})},
		PPEvents: []casefile.Event{f.event(pp.Case.ID, casefile.EventConverted, f.now, map[string]string{"complaint": pl.Ref})},
	}
}

func testConvertCase(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	pp := f.submitted(f.newSlot(f.now.Add(time.Hour), 1).ID)
	cv := f.conversion(pp)
	ok(t, s.ConvertCase(ctx, cv))
	c, _, err := s.CaseByRef(ctx, pp.Case.Ref)
	ok(t, err)
	if c.Status != casefile.StatusConfirmed || c.LinkedRef != cv.PL.Ref || !c.ExpiresAt.IsZero() {
		t.Errorf("pre-complaint after conversion = %+v", c)
	}
	pl, sec, err := s.CaseByRef(ctx, cv.PL.Ref)
	ok(t, err)
	same(t, "complaint", pl, cv.PL)
	if !bytes.Equal(sec.LedgerSalt, cv.PLSalt) || sec.TrackingHash != nil {
		t.Errorf("complaint secrets = %+v", sec)
	}
	p, err := s.CasePersonal(ctx, pl.ID)
	ok(t, err)
	same(t, "complaint personal", p, cv.PLPerson)
	same(t, "complaint events", f.events(pl.ID), stored(pl.ID, cv.PLEvents...))
	out := f.pending()
	f.checkLeaves(out, cv.PLSalt, pl.Ref, cv.PLEvents)
	f.checkLeaves(out, pp.Secrets.LedgerSalt, pp.Case.Ref, cv.PPEvents)
	// Expirable no more.
	exp, err := s.ExpirableCases(ctx, f.now.Add(365*24*time.Hour), 10)
	ok(t, err)
	for _, e := range exp {
		if e.ID == pp.Case.ID || e.ID == pl.ID {
			t.Errorf("converted case %s still expirable", e.Ref)
		}
	}
	// Twice, or a closed case: conflict, nothing written.
	closed := f.submitted("")
	ok(t, s.ChangeCase(ctx, casework.Change{CaseID: closed.Case.ID, Status: casefile.StatusClosed, At: f.now}))
	before := len(f.pending())
	is(t, s.ConvertCase(ctx, f.conversion(pp)), guichet.ErrConflict)
	cv2 := f.conversion(closed)
	is(t, s.ConvertCase(ctx, cv2), guichet.ErrConflict)
	if _, _, err := s.CaseByRef(ctx, cv2.PL.Ref); err == nil {
		t.Errorf("refused conversion created the complaint")
	}
	if n := len(f.pending()); n != before {
		t.Errorf("refused conversions wrote %d outbox rows", n-before)
	}
	is(t, s.ConvertCase(ctx, casework.Conversion{PPID: "nope", PPAllowed: cv.PPAllowed, PL: f.conversion(pp).PL, PLSalt: randBytes(32)}), guichet.ErrNotFound)
	// The store keeps the kernel's guard: a pre-complaint whose status is
	// not among the allowed ones is refused even though it is open.
	open := f.submitted("")
	cv3 := f.conversion(open)
	cv3.PPAllowed = []casefile.Status{casefile.StatusInProgress}
	is(t, s.ConvertCase(ctx, cv3), guichet.ErrConflict)
	cv3.PPAllowed = nil
	is(t, s.ConvertCase(ctx, cv3), guichet.ErrInvalid)
	if c, _, err := s.CaseByRef(ctx, open.Case.Ref); err != nil || c.Status != casefile.StatusSubmitted || c.LinkedRef != "" {
		t.Errorf("refused conversion changed the pre-complaint: %+v, %v", c, err)
	}
}

func testRaceConvert(t *testing.T, f *fixture, s CaseworkStore) {
	pp := f.submitted("")
	cvs := make([]casework.Conversion, 8)
	for i := range cvs {
		cvs[i] = f.conversion(pp)
	}
	won := tally(t, race(len(cvs), func(i int) error { return s.ConvertCase(f.ctx(), cvs[i]) }), 1)
	c, _, err := s.CaseByRef(f.ctx(), pp.Case.Ref)
	ok(t, err)
	for i, w := range won {
		_, _, err := s.CaseByRef(f.ctx(), cvs[i].PL.Ref)
		if w && (err != nil || c.LinkedRef != cvs[i].PL.Ref) {
			t.Errorf("winner %d: complaint %v, link %s", i, err, c.LinkedRef)
		}
		if !w && err == nil {
			t.Errorf("loser %d created its complaint", i)
		}
	}
}

func testCalendarSlots(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	sl := f.newSlot(f.now.Add(time.Hour), 3)
	empty := f.newSlot(f.now.Add(2*time.Hour), 2)
	a := f.submitted(sl.ID)
	b := f.submitted(sl.ID)
	got, err := s.SlotBookings(ctx, f.defaultUnit().ID, f.now, f.now.Add(24*time.Hour))
	ok(t, err)
	same(t, "bookings", got, map[string][]string{sl.ID: sorted([]string{a.Case.Ref, b.Case.Ref})})
	got, err = s.SlotBookings(ctx, f.defaultUnit().ID, f.now.Add(90*time.Minute), f.now.Add(24*time.Hour))
	ok(t, err)
	same(t, "bookings later", got, map[string][]string{})

	_, err = s.SetSlotCapacity(ctx, sl.ID, 1)
	is(t, err, guichet.ErrConflict)
	up, err := s.SetSlotCapacity(ctx, sl.ID, 6)
	ok(t, err)
	if up.Capacity != 6 || up.Booked != 2 {
		t.Errorf("after set = %+v", up)
	}
	closed, err := s.SetSlotCapacity(ctx, sl.ID, -1)
	ok(t, err)
	if closed.Capacity != 2 || f.slot(sl.ID).Capacity != 2 {
		t.Errorf("after close = %+v", closed)
	}
	closed, err = s.SetSlotCapacity(ctx, empty.ID, -1)
	ok(t, err)
	if closed.Capacity != 0 {
		t.Errorf("empty slot closed to %d", closed.Capacity)
	}
	_, err = s.SetSlotCapacity(ctx, "no-such-slot", 3)
	is(t, err, guichet.ErrNotFound)
}

func testAccessEvents(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	a := f.submitted("")
	o := f.submission("", "")
	o.Case.UnitID = f.newUnit("CSP-OTHER", "Autre").ID
	ok(t, s.SubmitCase(ctx, o))
	var want []casework.AccessRecord
	for i, c := range []complaint.Submission{a, o, a} {
		at := f.now.Add(time.Duration(i+1) * time.Minute)
		ev := f.event(c.Case.ID, casefile.EventAccessed, at, map[string]string{"agent": "A111", "purpose": "processing", "role": "agent", "unit": c.Case.UnitID})
		ok(t, s.ChangeCase(ctx, casework.Change{CaseID: c.Case.ID, At: at, Events: []casefile.Event{ev,
			f.event(c.Case.ID, casefile.EventNoteInternal, at, map[string]string{"note": "n"})}}))
		if c.Case.ID == a.Case.ID {
			want = append([]casework.AccessRecord{{Ref: c.Case.Ref, Event: stored(c.Case.ID, ev)[0]}}, want...)
		}
	}
	got, err := s.AccessEvents(ctx, []string{f.defaultUnit().ID}, f.now, f.now.Add(time.Hour), 10)
	ok(t, err)
	same(t, "access events", got, want)
	got, err = s.AccessEvents(ctx, []string{f.defaultUnit().ID}, f.now, f.now.Add(2*time.Minute), 10)
	ok(t, err)
	same(t, "access events before", got, want[1:])
	got, err = s.AccessEvents(ctx, []string{f.defaultUnit().ID}, f.now, f.now.Add(time.Hour), 1)
	ok(t, err)
	same(t, "access events, limit 1", got, want[:1])
	got, err = s.AccessEvents(ctx, nil, f.now, f.now.Add(time.Hour), 10)
	ok(t, err)
	same(t, "no units", got, []casework.AccessRecord{})
}

func testWrappedKeys(t *testing.T, f *fixture, s CaseworkStore) {
	ctx := f.ctx()
	d := f.newDraft(f.now.Add(time.Hour))
	c1, c2 := f.submitted(""), f.submitted("")
	kinds := s.WrappedKeyKinds()
	if len(kinds) < 2 || kinds[0] == "" {
		t.Fatalf("kinds = %v", kinds)
	}
	all := map[string][]byte{}
	for _, kind := range kinds {
		after := ""
		for {
			page, err := s.WrappedKeys(ctx, kind, after, 1)
			ok(t, err)
			if len(page) == 0 {
				break
			}
			all[kind+"/"+page[0].ID] = page[0].Key
			after = page[0].ID
		}
	}
	if !bytes.Equal(all["case/"+c1.Case.ID], c1.Personal.WrappedKey) || !bytes.Equal(all["case/"+c2.Case.ID], c2.Personal.WrappedKey) ||
		!bytes.Equal(all["draft/"+d.ID], d.Sealed.WrappedKey) {
		t.Errorf("wrapped keys listed: %d, missing some", len(all))
	}
	nk := randBytes(60)
	n, err := s.ReplaceWrappedKeys(ctx, "case", []casework.KeyReplacement{
		{ID: c1.Case.ID, Old: c1.Personal.WrappedKey, New: nk},
		{ID: c2.Case.ID, Old: randBytes(60), New: randBytes(60)}, // changed meanwhile: left alone
	})
	ok(t, err)
	if n != 1 {
		t.Errorf("replaced %d, want 1", n)
	}
	p1, _ := s.CasePersonal(ctx, c1.Case.ID)
	p2, _ := s.CasePersonal(ctx, c2.Case.ID)
	if !bytes.Equal(p1.WrappedKey, nk) || !bytes.Equal(p1.Ciphertext, c1.Personal.Ciphertext) || !bytes.Equal(p2.WrappedKey, c2.Personal.WrappedKey) {
		t.Errorf("after replace: %x / %x", p1.WrappedKey[:4], p2.WrappedKey[:4])
	}
	_, err = s.WrappedKeys(ctx, "nothing", "", 10)
	is(t, err, guichet.ErrInvalid)
	_, err = s.ReplaceWrappedKeys(ctx, "nothing", nil)
	is(t, err, guichet.ErrInvalid)
}

type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return rand.Read(p) }
