// Package caseworktest builds a complete case desk on a real SQLite store
// for tests and benchmarks: units and slots seeded, the pre-complaint
// service to file cases as citizens do, and principals to handle them.
package caseworktest

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Agents is an in-memory directory of agents.
type Agents struct {
	mu sync.Mutex
	m  map[string]casework.Agent
}

// Put adds or replaces an agent.
func (a *Agents) Put(ag casework.Agent) { a.mu.Lock(); a.m[ag.ID] = ag; a.mu.Unlock() }

// AgentByID implements casework.Agents.
func (a *Agents) AgentByID(_ context.Context, id string) (casework.Agent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ag, ok := a.m[id]
	if !ok {
		return casework.Agent{}, errNotFound(id)
	}
	return ag, nil
}

// UnitAgents implements casework.Agents.
func (a *Agents) UnitAgents(_ context.Context, unitID string) ([]casework.Agent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []casework.Agent{}
	for _, ag := range a.m {
		if ag.UnitID == unitID {
			out = append(out, ag)
		}
	}
	return out, nil
}

// Env is a running case desk.
type Env struct {
	TB         testing.TB
	Dir        string // holds guichet.db and the evidence directory
	Store      *sqlite.Store
	Vault      *vault.Vault
	Master     []byte // the vault's master key, ID "m1"
	Codes      *caseref.Hasher
	Bucket     *evidence.Bucket
	Clock      *Clock
	IDs        *uuid7.Generator
	Complaints *complaint.Service
	Cases      *casework.Service
	Agents     *Agents
	Units      []station.Unit // seeded; Units[0] and Units[1] take appointments
}

// New builds an Env in a fresh temporary directory, closed when tb ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	ctx := tb.Context()
	dir := tb.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "guichet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	bucket, err := evidence.Open(ctx, "file://"+filepath.Join(dir, "evidence"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = bucket.Close() })
	master := make([]byte, vault.KeySize)
	_, _ = rand.Read(master)
	v, err := vault.New(master, "m1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	codeKey := make([]byte, 32)
	_, _ = rand.Read(codeKey)
	codes, err := caseref.NewHasher(codeKey)
	if err != nil {
		tb.Fatal(err)
	}
	clock := &Clock{t: time.Date(2026, 3, 16, 8, 0, 0, 0, time.UTC)}
	ids := uuid7.New(clock.Now, rand.Reader)
	e := &Env{TB: tb, Dir: dir, Store: st, Vault: v, Master: master, Codes: codes, Bucket: bucket, Clock: clock, IDs: ids,
		Agents: &Agents{m: map[string]casework.Agent{}}}
	all, err := demo.SeedUnits(ctx, st, ids, clock.Now(), clock.Now().Add(14*24*time.Hour))
	if err != nil {
		tb.Fatal(err)
	}
	for _, u := range all {
		if u.AcceptsAppointments {
			e.Units = append(e.Units, u)
		}
	}
	e.Complaints = complaint.New(complaint.DefaultConfig(), complaint.Deps{
		Store: st, Vault: v, Blobs: bucket, Sniff: evidence.Sniff, Codes: codes,
		Clock: clock, Rand: rand.Reader, IDs: ids,
	})
	e.Cases = casework.New(casework.DefaultConfig(), casework.Deps{
		Store: st, Agents: e.Agents, Vault: v, Blobs: bucket, Clock: clock, Rand: rand.Reader, IDs: ids,
		LogIndex: st.EventLogIndex, TrackingDigest: e.Complaints.TrackingDigest,
	})
	return e
}

// Principal returns a principal of unit (agents see their unit) and
// registers it as an active agent.
func (e *Env) Principal(unit station.Unit, role account.Role, pseudonym string) account.Principal {
	p := account.Principal{
		AgentID: e.IDs.New(), Pseudonym: pseudonym, ServiceNumber: "SN" + pseudonym, Name: "Agent " + pseudonym,
		UnitID: unit.ID, Role: role, SessionID: "s-" + pseudonym,
	}
	if p.HandlesCases() {
		p.Units = []string{unit.ID}
	}
	e.Agents.Put(casework.Agent{ID: p.AgentID, Pseudonym: p.Pseudonym, Name: p.Name, ServiceNumber: p.ServiceNumber,
		UnitID: unit.ID, Role: role, Active: true})
	return p
}

// Filing is what a citizen files with Submit.
type Filing struct {
	LastName, FirstName, Description string
	// FileName and File, when set, are uploaded as evidence.
	FileName string
	File     []byte
	// Slot is the index of the free slot booked (0: the first).
	Slot int
	// Edit, when set, changes the form before it is filed.
	Edit func(*complaint.Form)
}

// Form returns a valid pre-complaint form for unit, with f's texts.
func (e *Env) Form(f Filing) complaint.Form {
	return complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Theft,
		Civility: "mme", LastName: f.LastName, FirstName: f.FirstName, BirthDate: "1987-04-12", BirthPlace: "Nantes",
		Email: "c.martin@example.fr", Phone: "06 12 34 56 78", Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		FactsFrom:     e.Clock.Now().Add(-48 * time.Hour).In(complaint.Paris).Format("2006-01-02T15:04"),
		PlacePostcode: "69003", PlaceCity: "Lyon", Description: f.Description,
		Items: []complaint.Item{{Kind: "bicycle", Description: "Vélo de ville", Value: "450"}},
	}
}

// Submit files a pre-complaint at unit as a citizen does and returns it.
func (e *Env) Submit(unit station.Unit, f Filing) *complaint.Submitted {
	e.TB.Helper()
	ctx := e.TB.Context()
	if f.LastName == "" {
		f.LastName = "Martin"
	}
	if f.FirstName == "" {
		f.FirstName = "Camille"
	}
	if f.Description == "" {
		f.Description = "Vol de mon vélo attaché devant la gare, le cadenas a été coupé."
	}
	form := e.Form(f)
	if f.Edit != nil {
		f.Edit(&form)
	}
	code, _, err := e.Complaints.StartDraft(ctx, form)
	if err != nil {
		e.TB.Fatal(err)
	}
	slots, err := e.Complaints.FreeSlots(ctx, unit.ID)
	if err != nil || len(slots) <= f.Slot {
		e.TB.Fatalf("free slots: %d, %v", len(slots), err)
	}
	form.UnitID, form.SlotID, form.Consent = unit.ID, slots[f.Slot].ID, true
	for _, step := range complaint.Steps {
		if _, err := e.Complaints.SaveStep(ctx, code, step, form, 0); err != nil {
			e.TB.Fatalf("step %s: %v", step, err)
		}
	}
	if f.File != nil {
		if _, err := e.Complaints.AddEvidence(ctx, code, f.FileName, bytesReader(f.File)); err != nil {
			e.TB.Fatal(err)
		}
	}
	sub, _, err := e.Complaints.Submit(ctx, code)
	if err != nil {
		e.TB.Fatal(err)
	}
	return sub
}
