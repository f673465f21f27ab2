// Package storetest is the one contract test suite that every guichet store
// (internal/sqlite, internal/postgres) passes. A store's own tests call Run
// with a function that opens a fresh, empty store; the suite then checks
// every method against the contracts of complaint.Store, station and the
// outbox contract of casefile, including their concurrency guarantees.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/verifier"
)

// Store is everything the suite checks: the pre-complaint service's store,
// the seeding methods and the outbox that the ledger's sequencer drains.
//
// Beyond the contracts of complaint.Store and casefile, the suite holds
// stores to these rules:
//   - Times are kept in UTC to the microsecond (truncated); an event's
//     leaf is computed from the event as stored, so a stored event always
//     hashes to its leaf.
//   - Recording events on an erased case, or adding evidence to one, fails
//     with guichet.ErrConflict: without its salt a leaf would name the case.
//   - Events need a non-empty ledger salt (guichet.ErrInvalid otherwise).
//   - SubmitCase of an unknown draft fails with guichet.ErrNotFound, so one
//     draft makes at most one case; DraftID and SlotID may be empty.
//   - Lists are never nil; a limit ≤ 0 fails with guichet.ErrInvalid.
type Store interface {
	complaint.Store
	report.Store
	partner.Store
	verifier.Store
	stats.Store

	// CreateUnit stores a new unit; a duplicate ID or Code fails with
	// guichet.ErrConflict.
	CreateUnit(ctx context.Context, u station.Unit) error
	// CreateSlot stores a new slot of an existing unit (guichet.ErrNotFound
	// otherwise); End after Start and 0 ≤ Booked ≤ Capacity, else
	// guichet.ErrInvalid.
	CreateSlot(ctx context.Context, s station.Slot) error
	// CreateSlots stores new slots as CreateSlot does each, in one
	// transaction: when one fails (with CreateSlot's error kinds) none is
	// stored.
	CreateSlots(ctx context.Context, s []station.Slot) error

	// PendingOutbox returns up to limit entries whose LogIndex is unset (-1),
	// in ID order.
	PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error)
	// MarkSequenced sets LogIndex = firstIndex+i for ids[i], atomically; an
	// entry already sequenced or unknown, or an index taken, fails with
	// guichet.ErrConflict and marks nothing.
	MarkSequenced(ctx context.Context, ids []int64, firstIndex int64) error
	// SequencedCount returns how many entries have a LogIndex.
	SequencedCount(ctx context.Context) (int64, error)
	// EventLogIndex returns the LogIndex of the event's leaf;
	// guichet.ErrNotFound until it is sequenced.
	EventLogIndex(ctx context.Context, eventID string) (int64, error)

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
}

// Run runs the whole contract suite. open MUST return a fresh, empty store
// each time it is called, and arrange (t.Cleanup) for it to be closed; it
// is called once per subtest, and subtests run in parallel.
func Run(t *testing.T, open func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"Ping", testPing},
		{"Partners", testPartners},
		{"Tokens", testTokens},
		{"BatchDedup", testBatchDedup},
		{"BatchSamePartition", testBatchSamePartition},
		{"Units", testUnits},
		{"Slots", testSlots},
		{"CreateSlots", testCreateSlots},
		{"Drafts", testDrafts},
		{"UpdateDraft", testUpdateDraft},
		{"DeleteExpiredDrafts", testDeleteExpiredDrafts},
		{"Evidence", testEvidence},
		{"SubmitCase", testSubmitCase},
		{"SubmitCaseWithoutDraftOrSlot", testSubmitCaseBare},
		{"SubmitCaseAtomicity", testSubmitCaseAtomicity},
		{"SubmitCaseLinked", testSubmitCaseLinked},
		{"EventTimesToTheMicrosecond", testEventTimes},
		{"CaseLookups", testCaseLookups},
		{"Reschedule", testReschedule},
		{"CancelAppointment", testCancelAppointment},
		{"BookElsewhere", testBookElsewhere},
		{"ClaimEvent", testClaimEvent},
		{"SubmitReport", testSubmitReport},
		{"SubmitReportsOne", testSubmitReportsOne},
		{"SharedKeys", testSharedKeys},
		{"Rules", testRules},
		{"ReportRoutes", testReportRoutes},
		{"ReportPlace", testReportPlace},
		{"RulePlaces", testRulePlaces},
		{"KnownGoodSeed", testKnownGoodSeed},
		{"Campaigns", testCampaigns},
		{"CampaignBatch", testCampaignBatch},
		{"KnownGoodEdits", testKnownGoodEdits},
		{"HubThreshold", testHubThreshold},
		{"PublishKey", testPublishKey},
		{"CheckKeys", testCheckKeys},
		{"StatsCounts", testStatsCounts},
		{"RebuildSamePartition", testRebuildSamePartition},
		{"RaceBridge", testRaceBridge},
		{"TenThousandDoNotCollapse", testTenThousandDoNotCollapse},
		{"SyntheticReports", testSyntheticReports},
		{"RaceClaimEvent", testRaceClaimEvent},
		{"ExpirableCases", testExpirableCases},
		{"EraseCase", testEraseCase},
		{"Outbox", testOutbox},
		{"RaceSubmitForLastPlaces", testRaceSubmit},
		{"RaceRescheduleForLastPlaces", testRaceReschedule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newFixture(t, open(t)))
		})
	}
}

// fixture builds realistic objects and stores them.
type fixture struct {
	t    testing.TB
	s    Store
	ids  *uuid7.Generator
	now  time.Time     // a fixed instant, UTC, to the microsecond
	unit *station.Unit // shared with subtests' fixtures
}

func newFixture(t testing.TB, s Store) *fixture {
	return &fixture{
		t:    t,
		s:    s,
		ids:  uuid7.New(nil, nil),
		now:  time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC),
		unit: new(station.Unit),
	}
}

// sub returns the fixture for subtest t: same store, failures reported on t.
func (f *fixture) sub(t *testing.T) *fixture {
	g := *f
	g.t = t
	return &g
}

func (f *fixture) ctx() context.Context { return f.t.Context() }

// defaultUnit returns the fixture's unit, creating it on first use.
func (f *fixture) defaultUnit() station.Unit {
	f.t.Helper()
	if f.unit.ID == "" {
		*f.unit = f.newUnit("CSP-LYON3", "Commissariat de Lyon 3e")
	}
	return *f.unit
}

func (f *fixture) newUnit(code, name string) station.Unit {
	f.t.Helper()
	u := station.Unit{
		ID: f.ids.New(), Code: code, Name: name, Kind: station.Commissariat,
		Address: "40 rue Marius Berliet", Postcode: "69008", City: "Lyon",
		Lat: 45.7378, Lon: 4.8695, Phone: "04 78 78 40 40",
		Hours: station.Hours{
			Desk:         station.MustParseSchedule("Mo-Fr 08:30-19:00; Sa 09:00-12:00; Su off"),
			Appointments: station.MustParseSchedule("Mo,We,Fr 09:00-12:00; PH off"),
			Notes:        []station.Note{station.NoteCall17},
		},
		AcceptsAppointments: true,
	}
	ok(f.t, f.s.CreateUnit(f.ctx(), u))
	return u
}

// newSlot stores a slot of the default unit starting at start.
func (f *fixture) newSlot(start time.Time, capacity int) station.Slot {
	f.t.Helper()
	sl := station.Slot{
		ID: f.ids.New(), UnitID: f.defaultUnit().ID,
		Start: start, End: start.Add(30 * time.Minute), Capacity: capacity,
	}
	ok(f.t, f.s.CreateSlot(f.ctx(), sl))
	return sl
}

// newDraft stores a draft expiring at expires.
func (f *fixture) newDraft(expires time.Time) complaint.Draft {
	f.t.Helper()
	d := complaint.Draft{
		ID: f.ids.New(), CodeHash: randBytes(32), Step: "identity",
		Sealed:    casefile.Sealed{WrappedKey: randBytes(60), Ciphertext: randBytes(300)},
		CreatedAt: f.now.Add(-time.Hour), UpdatedAt: f.now.Add(-time.Hour), ExpiresAt: expires,
		Version: 1,
	}
	ok(f.t, f.s.CreateDraft(f.ctx(), d))
	return d
}

// newEvidence stores a file record of owner created at created.
func (f *fixture) newEvidence(ownerID string, created time.Time) casefile.Evidence {
	f.t.Helper()
	id := f.ids.New()
	e := casefile.Evidence{
		ID: id, OwnerID: ownerID, BlobKey: "evidence/" + id, ContentType: "image/jpeg",
		Size: 123456, SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", CreatedAt: created,
	}
	ok(f.t, f.s.AddEvidence(f.ctx(), e))
	return e
}

func (f *fixture) newRef() string {
	f.t.Helper()
	r, err := caseref.New(caseref.PreComplaint, 2026, rand.Reader)
	ok(f.t, err)
	return r.String()
}

func (f *fixture) event(caseID, typ string, at time.Time, data map[string]string) casefile.Event {
	return casefile.Event{ID: f.ids.New(), CaseID: caseID, Type: typ, At: at, Actor: "citizen", Visible: true, Data: data}
}

// submission builds (without storing) the submission of draftID (may be
// empty) booking slotID (may be empty), with its events.
func (f *fixture) submission(draftID, slotID string) complaint.Submission {
	f.t.Helper()
	c := casefile.Case{
		ID: f.ids.New(), Ref: f.newRef(), Kind: caseref.PreComplaint, Category: "theft",
		Status: casefile.StatusSubmitted, UnitID: f.defaultUnit().ID,
		CreatedAt: f.now.Add(-time.Hour), SubmittedAt: f.now, UpdatedAt: f.now,
		ExpiresAt: f.now.Add(30 * 24 * time.Hour),
	}
	s := complaint.Submission{
		Case:     c,
		Secrets:  casefile.Secrets{TrackingHash: randBytes(32), LedgerSalt: randBytes(32)},
		Personal: casefile.Sealed{WrappedKey: randBytes(60), Ciphertext: randBytes(2000)},
		DraftID:  draftID,
		SlotID:   slotID,
		Events: []casefile.Event{
			f.event(c.ID, casefile.EventSubmitted, f.now, map[string]string{"category": "theft", "unit": c.UnitID}),
		},
	}
	if slotID != "" {
		s.Events = append(s.Events, f.event(c.ID, casefile.EventAppointmentBooked, f.now, map[string]string{"slot": slotID}))
	}
	return s
}

// submitted stores a case, from a fresh draft, booking slotID if not empty.
func (f *fixture) submitted(slotID string) complaint.Submission {
	f.t.Helper()
	d := f.newDraft(f.now.Add(time.Hour))
	s := f.submission(d.ID, slotID)
	ok(f.t, f.s.SubmitCase(f.ctx(), s))
	return s
}

// pending returns every pending outbox entry.
func (f *fixture) pending() []casefile.OutboxEntry {
	f.t.Helper()
	p, err := f.s.PendingOutbox(f.ctx(), 1_000_000)
	ok(f.t, err)
	return p
}

// events returns the case's events.
func (f *fixture) events(caseID string) []casefile.Event {
	f.t.Helper()
	ev, err := f.s.CaseEvents(f.ctx(), caseID)
	ok(f.t, err)
	return ev
}

// slot returns the stored slot.
func (f *fixture) slot(id string) station.Slot {
	f.t.Helper()
	sl, err := f.s.Slot(f.ctx(), id)
	ok(f.t, err)
	return sl
}

// checkLeaves checks that every event has exactly one outbox entry (among
// entries) whose leaf is casefile.NewLeaf(salt, ref, event) canonically
// encoded, and that the entries of the events follow their order.
func (f *fixture) checkLeaves(entries []casefile.OutboxEntry, salt []byte, ref string, events []casefile.Event) {
	f.t.Helper()
	byEvent := map[string]casefile.OutboxEntry{}
	for _, e := range entries {
		if _, dup := byEvent[e.EventID]; dup {
			f.t.Errorf("outbox: event %s has two entries", e.EventID)
		}
		byEvent[e.EventID] = e
	}
	last := int64(-1)
	for _, ev := range events {
		e, found := byEvent[ev.ID]
		if !found {
			f.t.Errorf("outbox: no entry for event %s (%s)", ev.ID, ev.Type)
			continue
		}
		want := casefile.NewLeaf(salt, ref, ev).MarshalCanonical()
		if string(e.Leaf) != string(want) {
			f.t.Errorf("outbox: event %s leaf\n got %s\nwant %s", ev.ID, e.Leaf, want)
		}
		if e.ID <= last {
			f.t.Errorf("outbox: event %s has entry %d, not after %d", ev.ID, e.ID, last)
		}
		last = e.ID
	}
}

// ok fails the test now if err is not nil.
func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// is fails the test now unless err wraps kind.
func is(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got error %v, want one wrapping %q", err, kind)
	}
}

// same reports a difference between got and want.
func same[T any](t testing.TB, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		s = []string{}
	}
	return s
}

// stored is how a store gives an event back: its case set, its time to the
// microsecond.
func stored(caseID string, events ...casefile.Event) []casefile.Event {
	out := make([]casefile.Event, len(events))
	for i, e := range events {
		e.CaseID = caseID
		e.At = e.At.UTC().Truncate(time.Microsecond)
		out[i] = e
	}
	return out
}
