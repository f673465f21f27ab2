package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// memStore is a small in-memory complaint.Store for the web tests. One
// mutex makes every method atomic.
type memStore struct {
	mu       sync.Mutex
	units    map[string]station.Unit
	slots    map[string]station.Slot
	drafts   map[string]complaint.Draft
	evidence map[string]casefile.Evidence
	cases    map[string]*memCase // by ID
}

type memCase struct {
	c        casefile.Case
	sec      casefile.Secrets
	personal *casefile.Sealed
	events   []casefile.Event
	appt     *station.Appointment
}

var _ complaint.Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{
		units: map[string]station.Unit{}, slots: map[string]station.Slot{},
		drafts: map[string]complaint.Draft{}, evidence: map[string]casefile.Evidence{}, cases: map[string]*memCase{},
	}
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, guichet.ErrNotFound) }

func (m *memStore) ListUnits(context.Context) ([]station.Unit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]station.Unit, 0, len(m.units))
	for _, u := range m.units {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (m *memStore) Unit(_ context.Context, id string) (station.Unit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.units[id]
	if !ok {
		return u, notFound("unit")
	}
	return u, nil
}

func (m *memStore) ListSlots(_ context.Context, unitID string, from, to time.Time) ([]station.Slot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []station.Slot
	for _, s := range m.slots {
		if s.UnitID == unitID && !s.Start.Before(from) && s.Start.Before(to) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

func (m *memStore) Slot(_ context.Context, id string) (station.Slot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.slots[id]
	if !ok {
		return s, notFound("slot")
	}
	return s, nil
}

func (m *memStore) CreateDraft(_ context.Context, d complaint.Draft) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.drafts {
		if bytes.Equal(o.CodeHash, d.CodeHash) {
			return guichet.ErrConflict
		}
	}
	m.drafts[d.ID] = d
	return nil
}

func (m *memStore) DraftByCode(_ context.Context, h []byte) (complaint.Draft, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.drafts {
		if bytes.Equal(d.CodeHash, h) {
			return d, nil
		}
	}
	return complaint.Draft{}, notFound("draft")
}

func (m *memStore) UpdateDraft(_ context.Context, d complaint.Draft) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.drafts[d.ID]
	if !ok {
		return notFound("draft")
	}
	if o.Version != d.Version {
		return guichet.ErrConflict
	}
	d.Version++
	d.CodeHash, d.CreatedAt = o.CodeHash, o.CreatedAt
	m.drafts[d.ID] = d
	return nil
}

func (m *memStore) DeleteExpiredDrafts(_ context.Context, now time.Time) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for id, d := range m.drafts {
		if !d.ExpiresAt.After(now) {
			delete(m.drafts, id)
			keys = append(keys, m.dropEvidence(id)...)
		}
	}
	return keys, nil
}

func (m *memStore) dropEvidence(owner string) []string {
	var keys []string
	for id, e := range m.evidence {
		if e.OwnerID == owner {
			keys = append(keys, e.BlobKey)
			delete(m.evidence, id)
		}
	}
	return keys
}

func (m *memStore) AddEvidence(_ context.Context, e casefile.Evidence) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.evidence[e.ID] = e
	return nil
}

func (m *memStore) ListEvidence(_ context.Context, owner string) ([]casefile.Evidence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []casefile.Evidence
	for _, e := range m.evidence {
		if e.OwnerID == owner {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

func (m *memStore) DeleteEvidence(_ context.Context, owner, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.evidence[id]; !ok || e.OwnerID != owner {
		return notFound("evidence")
	}
	delete(m.evidence, id)
	return nil
}

func (m *memStore) book(slotID string) error {
	s, ok := m.slots[slotID]
	if !ok {
		return notFound("slot")
	}
	if s.Free() <= 0 {
		return guichet.ErrConflict
	}
	s.Booked++
	m.slots[slotID] = s
	return nil
}

func (m *memStore) free(c *memCase) {
	if c.appt == nil {
		return
	}
	if s, ok := m.slots[c.appt.SlotID]; ok {
		s.Booked--
		m.slots[s.ID] = s
	}
	c.appt = nil
}

func (m *memStore) SubmitCase(_ context.Context, sub complaint.Submission) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.cases {
		if c.c.Ref == sub.Case.Ref {
			return guichet.ErrConflict
		}
	}
	mc := &memCase{c: sub.Case, sec: sub.Secrets, personal: &sub.Personal, events: append([]casefile.Event(nil), sub.Events...)}
	if sub.SlotID != "" {
		if err := m.book(sub.SlotID); err != nil {
			return err
		}
		s := m.slots[sub.SlotID]
		mc.appt = &station.Appointment{CaseID: sub.Case.ID, SlotID: s.ID, UnitID: s.UnitID, Start: s.Start, End: s.End}
	}
	delete(m.drafts, sub.DraftID)
	for id, e := range m.evidence {
		if e.OwnerID == sub.DraftID {
			e.OwnerID = sub.Case.ID
			m.evidence[id] = e
		}
	}
	m.cases[sub.Case.ID] = mc
	return nil
}

func (m *memStore) byRef(ref string) (*memCase, error) {
	for _, c := range m.cases {
		if c.c.Ref == ref {
			return c, nil
		}
	}
	return nil, notFound("case")
}

func (m *memStore) CaseByRef(_ context.Context, ref string) (casefile.Case, casefile.Secrets, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.byRef(ref)
	if err != nil {
		return casefile.Case{}, casefile.Secrets{}, err
	}
	return c.c, c.sec, nil
}

func (m *memStore) CasePersonal(_ context.Context, id string) (casefile.Sealed, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok || c.personal == nil {
		return casefile.Sealed{}, notFound("personal")
	}
	return *c.personal, nil
}

func (m *memStore) CaseEvents(_ context.Context, id string) ([]casefile.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok {
		return nil, notFound("case")
	}
	return append([]casefile.Event(nil), c.events...), nil
}

func (m *memStore) RecordCodeFailure(_ context.Context, id string, at time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cases[id]
	c.sec.CodeFailures++
	c.sec.LastCodeFailure = at
	return c.sec.CodeFailures, nil
}

func (m *memStore) ResetCodeFailures(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cases[id].sec.CodeFailures = 0
	return nil
}

func (m *memStore) Appointment(_ context.Context, id string) (station.Appointment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok || c.appt == nil {
		return station.Appointment{}, notFound("appointment")
	}
	return *c.appt, nil
}

func (m *memStore) Reschedule(_ context.Context, id, slotID string, evs []casefile.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cases[id]
	if err := m.book(slotID); err != nil {
		return err
	}
	m.free(c)
	s := m.slots[slotID]
	c.appt = &station.Appointment{CaseID: id, SlotID: s.ID, UnitID: s.UnitID, Start: s.Start, End: s.End}
	c.events = append(c.events, evs...)
	return nil
}

func (m *memStore) CancelAppointment(_ context.Context, id string, evs []casefile.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cases[id]
	if c.appt == nil {
		return notFound("appointment")
	}
	m.free(c)
	c.events = append(c.events, evs...)
	return nil
}

func (m *memStore) ExpirableCases(_ context.Context, now time.Time, limit int) ([]casefile.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []casefile.Case
	for _, c := range m.cases {
		if !c.c.ExpiresAt.IsZero() && !c.c.ExpiresAt.After(now) && !c.c.Erased() && len(out) < limit {
			out = append(out, c.c)
		}
	}
	return out, nil
}

func (m *memStore) EraseCase(_ context.Context, id string, st casefile.Status, at time.Time, evs []casefile.Event) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok {
		return nil, notFound("case")
	}
	if c.c.Erased() {
		return nil, errors.Join(guichet.ErrConflict)
	}
	c.events = append(c.events, evs...)
	c.personal, c.sec.LedgerSalt = nil, nil
	m.free(c)
	c.c.Status, c.c.ErasedAt = st, at
	return m.dropEvidence(id), nil
}

// memBlobs keeps blobs in memory.
type memBlobs struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (b *memBlobs) Put(_ context.Context, k string, d []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.m[k] = append([]byte(nil), d...)
	return nil
}

func (b *memBlobs) Get(_ context.Context, k string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.m[k]
	if !ok {
		return nil, notFound("blob")
	}
	return d, nil
}

func (b *memBlobs) Delete(_ context.Context, k string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.m, k)
	return nil
}

// sniff is a test double of evidence.Sniff: PDF, JPEG and PNG by magic.
func sniff(head []byte) (string, error) {
	switch ct := http.DetectContentType(head); ct {
	case "application/pdf", "image/jpeg", "image/png":
		return ct, nil
	}
	return "", fmt.Errorf("file type: %w", guichet.ErrInvalid)
}
