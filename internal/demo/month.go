package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// CaseStore is what seeding a month of cases needs from a store: the
// writes the pre-complaint and case-desk services make. Each records its
// events with their transparency-log outbox leaves, which the store
// computes with the case's ledger salt (complaint.Store, casework.Store).
type CaseStore interface {
	ListSlots(ctx context.Context, unitID string, from, to time.Time) ([]station.Slot, error)
	SubmitCase(ctx context.Context, s complaint.Submission) error
	Reschedule(ctx context.Context, caseID, slotID string, events []casefile.Event) error
	CancelAppointment(ctx context.Context, caseID string, events []casefile.Event) error
	ChangeCase(ctx context.Context, c casework.Change) error
	ConvertCase(ctx context.Context, c casework.Conversion) error
	EraseCase(ctx context.Context, caseID string, status casefile.Status, at time.Time, events []casefile.Event) ([]string, error)
}

// Sealer seals a case's personal part under a new data key, or more data
// under an existing one (see internal/vault).
type Sealer = casefile.Sealer

// Month says what SeedMonth files: how many pre-complaints per unit
// taking appointments, drawn from Seed, under the services' rules.
type Month struct {
	Seed            uint64
	PerCommissariat int
	PerBrigade      int
	// TTL is how long a pre-complaint waits for confirmation
	// (complaint.Config.TTL); ClosedRetention how long a closed one keeps
	// its personal part (casework.Config.ClosedRetention); SlotHorizon and
	// MinNotice bound the slots a citizen may book.
	TTL, ClosedRetention, SlotHorizon, MinNotice time.Duration
}

// DefaultMonth is the demo's month: about 420 pre-complaints.
func DefaultMonth() Month {
	c, w := complaint.DefaultConfig(), casework.DefaultConfig()
	return Month{Seed: 2026, PerCommissariat: 40, PerBrigade: 15,
		TTL: c.TTL, ClosedRetention: w.ClosedRetention, SlotHorizon: c.SlotHorizon, MinNotice: c.MinNotice}
}

// Handler is an agent or supervisor who works on a unit's cases.
type Handler struct {
	ID, Pseudonym, ServiceNumber string
	Role                         account.Role
}

// MonthReport counts what SeedMonth filed.
type MonthReport struct {
	Total int
	// ByUnit counts pre-complaints by unit code, then by status.
	ByUnit map[string]map[casefile.Status]int
	// Complaints counts the formal complaints (PL) they became.
	Complaints int
}

// SeedMonth files a realistic month of pre-complaints at every unit that
// takes appointments: filed over the last 40 days, booked in the units'
// slots (within their free places) up to 14 days ahead, then
// rescheduled, cancelled, opened by agents with a purpose, annotated,
// assigned, converted into formal complaints, closed with a reason, or
// expired and erased, each step at its own past time. Everything but the
// secrets is drawn from m.Seed, so a seed gives the same people and
// stories. Personal parts are sealed per case by v, and every step is a
// store write of the same shape the services make, so the events and
// their log leaves are those real cases have. staff are the handlers of
// each unit, by unit ID. Cases are written concurrently, each case's steps
// in order: a store that group-commits (internal/sqlite, batches of up to
// 128 writes) writes the month in a few dozen transactions.
func SeedMonth(ctx context.Context, st CaseStore, v Sealer, ids *uuid7.Generator, units []station.Unit, staff map[string][]Handler, m Month, now time.Time) (MonthReport, error) {
	var seed [32]byte
	for i := range 8 {
		seed[i] = byte(m.Seed >> (8 * i))
	}
	src := mrand.NewChaCha8(seed)
	p := &planner{r: mrand.New(src), refs: src, ids: ids, v: v, m: m, now: now, free: map[string]int{}}
	rep := MonthReport{ByUnit: map[string]map[casefile.Status]int{}}
	var plans []*casePlan
	for _, u := range units {
		if !u.AcceptsAppointments {
			continue
		}
		slots, err := st.ListSlots(ctx, u.ID, now.Add(-45*24*time.Hour), now.Add(m.SlotHorizon+24*time.Hour))
		if err != nil {
			return rep, fmt.Errorf("seed month %s: %w", u.Code, err)
		}
		for _, sl := range slots {
			p.free[sl.ID] = sl.Free()
		}
		n := m.PerCommissariat
		if u.Kind == station.Brigade {
			n = m.PerBrigade
		}
		hood, ok := neighbourhoods[u.Code]
		if !ok {
			hood = neighbourhood{towns: []town{{u.Postcode, u.City}}, streets: []string{"rue de la Gare", "place de l'Église", "avenue de la République"}}
		}
		rep.ByUnit[u.Code] = map[casefile.Status]int{}
		for range n {
			cp, err := p.plan(u, hood, slots, staff[u.ID])
			if err != nil {
				return rep, fmt.Errorf("seed month %s: %w", u.Code, err)
			}
			if cp == nil {
				continue // no free slot left to book
			}
			plans = append(plans, cp)
			rep.ByUnit[u.Code][cp.status]++
			rep.Total++
			if cp.c.LinkedRef != "" {
				rep.Complaints++
			}
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for _, cp := range plans {
		wg.Go(func() {
			for _, op := range cp.ops {
				if err := op(ctx, st); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("seed month: case %s: %w", cp.c.Ref, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return rep, first
}

// planner draws the month's cases, keeping count of the places left.
type planner struct {
	r    *mrand.Rand
	refs io.Reader // the same stream, for references
	ids  *uuid7.Generator
	v    Sealer
	m    Month
	now  time.Time
	free map[string]int // places left, by slot ID
}

// casePlan is one case as drawn: the writes that make it, in order.
type casePlan struct {
	p       *planner
	c       casefile.Case
	salt    []byte
	wrapped []byte
	slot    *station.Slot // current appointment
	last    time.Time     // time of the last step
	status  casefile.Status
	erased  bool
	ops     []func(context.Context, CaseStore) error
}

// between draws a time in [a, b), or a when b is not after a.
func (p *planner) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(p.r.Int64N(int64(b.Sub(a)))))
}

// book takes a free place in a slot starting in [from, to), preferring
// the earliest (citizens take what comes first), or returns nil.
func (p *planner) book(slots []station.Slot, from, to time.Time) *station.Slot {
	i := sort.Search(len(slots), func(i int) bool { return !slots[i].Start.Before(from) })
	var cands []int
	for ; i < len(slots) && slots[i].Start.Before(to); i++ {
		if p.free[slots[i].ID] > 0 {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	k := cands[min(p.r.IntN(len(cands)), p.r.IntN(len(cands)))]
	p.free[slots[k].ID]--
	sl := slots[k]
	return &sl
}

var (
	categoryWeights = []struct {
		c complaint.Category
		w int
	}{{complaint.Theft, 38}, {complaint.Fraud, 22}, {complaint.Burglary, 15}, {complaint.VehicleTheft, 12}, {complaint.Damage, 13}}
	closeWhenSeen = []casework.CloseReason{casework.CloseNotOffence, casework.CloseWrongService, casework.CloseDuplicate, casework.CloseWithdrawn}
	idDocuments   = []casework.IDDocument{casework.IDCard, casework.IDCard, casework.IDCard, casework.IDPassport, casework.IDResidence, casework.IDDrivingLicnce}
)

func (p *planner) category() complaint.Category {
	n := p.r.IntN(100)
	for _, cw := range categoryWeights {
		if n < cw.w {
			return cw.c
		}
		n -= cw.w
	}
	return complaint.Theft
}

// plan draws one case of unit u and its story up to now.
func (p *planner) plan(u station.Unit, hood neighbourhood, slots []station.Slot, staff []Handler) (*casePlan, error) {
	r, now := p.r, p.now
	filed := now.Add(-time.Duration(r.Int64N(int64(40*24*time.Hour-10*time.Minute))) - 10*time.Minute)
	if h := filed.In(complaint.Paris).Hour(); h < 7 && filed.Add(8*time.Hour).Before(now) {
		filed = filed.Add(8 * time.Hour) // few file at night
	}
	sl := p.book(slots, filed.Add(p.m.MinNotice), filed.Add(p.m.SlotHorizon))
	if sl == nil {
		return nil, nil
	}
	form := person(r, hood, filed)
	facts(r, &form, p.category(), hood, filed)
	form.UnitID, form.SlotID, form.Consent = u.ID, sl.ID, true
	cp := &casePlan{p: p, status: casefile.StatusSubmitted}
	if err := cp.submit(u, form, filed, sl); err != nil {
		return nil, err
	}
	var agents, supervisors []Handler
	for _, h := range staff {
		if h.Role == account.RoleSupervisor {
			supervisors = append(supervisors, h)
		} else {
			agents = append(agents, h)
		}
	}
	agent := func() Handler {
		if len(agents) == 0 {
			return pick(r, supervisors)
		}
		return pick(r, agents)
	}
	if len(staff) == 0 {
		return cp, nil // nobody works on them: they wait
	}
	expires := filed.Add(p.m.TTL)
	switch {
	case sl.Start.After(now): // the appointment is to come
		switch x := r.IntN(100); {
		case x < 12:
			cp.cancel(p.between(filed.Add(10*time.Minute), now))
			if r.IntN(3) == 0 {
				h := agent()
				at := p.between(cp.last, now)
				cp.open(at, h, casework.PurposeProcessing)
				cp.note(at.Add(time.Minute), h, cancelledNote, false)
			}
		case x < 32:
			if at := p.between(filed.Add(time.Hour), now.Add(-5*time.Minute)); at.Before(now) {
				if to := p.book(slots, maxTime(at.Add(p.m.MinNotice), now.Add(time.Hour)), at.Add(p.m.SlotHorizon)); to != nil {
					cp.reschedule(at, "citizen", to)
				}
			}
		}
		if cp.slot != nil && r.IntN(100) < 35 {
			h := agent()
			at := p.between(cp.last, now.Add(-10*time.Minute))
			cp.open(at, h, casework.PurposeAppointment)
			if r.IntN(2) == 0 {
				cp.note(at.Add(4*time.Minute), h, pick(r, citizenNotes), true)
			}
			if r.IntN(3) == 0 {
				cp.note(at.Add(6*time.Minute), h, pick(r, internalNotes[:6]), false)
			}
		}
		if cp.slot != nil && r.IntN(100) < 20 {
			by, to := agent(), agent()
			if len(supervisors) > 0 {
				by = pick(r, supervisors)
			}
			cp.assign(p.between(cp.last, now), by, to)
		}
	case sl.End.Add(time.Hour).Before(now) && r.IntN(100) < 62: // the citizen came
		h := agent()
		at := sl.Start.Add(time.Duration(r.IntN(10)) * time.Minute)
		cp.open(at, h, casework.PurposeAppointment)
		if r.IntN(4) == 0 {
			cp.note(at.Add(8*time.Minute), h, pick(r, internalNotes[1:7]), false)
		}
		if r.IntN(100) < 72 {
			if err := cp.convert(at.Add(time.Duration(20+r.IntN(25))*time.Minute), h, form, pick(r, idDocuments)); err != nil {
				return nil, err
			}
		} else {
			reason, redirect := pick(r, closeWhenSeen), ""
			if reason == casework.CloseWrongService {
				redirect = pick(r, []string{"cybermalveillance", "signal_conso", "prosecutor", "civil_court", "thesee"})
			}
			cp.close(at.Add(time.Duration(15+r.IntN(15))*time.Minute), h, reason, redirect)
		}
	case sl.End.Add(time.Hour).Before(now): // nobody came, or the citizen cancelled
		cancelled := r.IntN(5) == 0
		if cancelled {
			cp.cancel(p.between(filed.Add(10*time.Minute), sl.Start.Add(-time.Hour)))
		}
		switch y := r.IntN(100); {
		case y < 40 && !cancelled:
			cp.close(minTime(p.between(sl.End.Add(time.Hour), sl.End.Add(72*time.Hour)), now.Add(-time.Minute)), agent(), casework.CloseNoShow, "")
		case !expires.After(now):
			cp.expire(maxTime(expires, minTime(expires.Add(time.Duration(r.IntN(55))*time.Minute), now)))
		case y < 60:
			h := agent()
			at := p.between(maxTime(cp.last, sl.End), now.Add(-10*time.Minute))
			cp.open(at, h, casework.PurposeProcessing)
			note := internalNotes[7]
			if cancelled {
				note = cancelledNote
			}
			cp.note(at.Add(2*time.Minute), h, note, false)
			if to := p.book(slots, maxTime(at.Add(p.m.MinNotice), now.Add(time.Hour)), at.Add(p.m.SlotHorizon)); to != nil && r.IntN(2) == 0 {
				cp.reschedule(at.Add(5*time.Minute), "agent:"+h.Pseudonym, to)
			} else if to != nil {
				p.free[to.ID]++ // not taken after all
			}
		}
	default: // the appointment is under way or just over
		if at := sl.Start.Add(2 * time.Minute); at.Before(now) {
			cp.open(at, agent(), casework.PurposeAppointment)
		}
	}
	if !cp.erased && len(supervisors) > 0 && r.IntN(100) < 15 && cp.last.Before(now) {
		cp.open(p.between(cp.last, now), pick(r, supervisors), casework.PurposeSupervision)
	}
	return cp, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// event is an event as the services make it.
func (cp *casePlan) event(caseID, typ, actor string, at time.Time, visible bool, data map[string]string) casefile.Event {
	if at.After(cp.last) {
		cp.last = at
	}
	return casefile.Event{ID: cp.p.ids.New(), CaseID: caseID, Type: typ, At: at, Actor: actor, Visible: visible, Data: data}
}

func slotData(sl *station.Slot) map[string]string {
	return map[string]string{"unit": sl.UnitID, "start": sl.Start.UTC().Format(time.RFC3339), "end": sl.End.UTC().Format(time.RFC3339)}
}

// submit files the case as complaint.Service.Submit does.
func (cp *casePlan) submit(u station.Unit, form complaint.Form, at time.Time, sl *station.Slot) error {
	p := cp.p
	ref, err := caseref.New(caseref.PreComplaint, at.In(complaint.Paris).Year(), p.refs)
	if err != nil {
		return err
	}
	cp.salt = make([]byte, 32)
	if _, err := rand.Read(cp.salt); err != nil {
		return err
	}
	track := make([]byte, 32) // the keyed hash of a code nobody was given
	if _, err := rand.Read(track); err != nil {
		return err
	}
	created := at.Add(-time.Duration(5+p.r.IntN(40)) * time.Minute)
	cp.c = casefile.Case{
		ID: p.ids.New(), Ref: ref.String(), Kind: caseref.PreComplaint, Category: string(form.Category),
		Status: casefile.StatusSubmitted, UnitID: u.ID, CreatedAt: created, SubmittedAt: at, UpdatedAt: at, ExpiresAt: at.Add(p.m.TTL),
	}
	sealed, content, err := complaint.PreComplaint.Seal(p.v, cp.c.ID, nil, &form)
	if err != nil {
		return fmt.Errorf("case %s: %w", ref, err)
	}
	cp.wrapped, cp.slot = sealed.WrappedKey, sl
	sub := complaint.Submission{
		Case: cp.c, Secrets: casefile.Secrets{TrackingHash: track, LedgerSalt: cp.salt}, Personal: sealed, SlotID: sl.ID,
		Events: []casefile.Event{
			cp.event(cp.c.ID, casefile.EventSubmitted, "citizen", at, true, map[string]string{"category": cp.c.Category, "unit": u.ID, "content": content}),
			cp.event(cp.c.ID, casefile.EventAppointmentBooked, "citizen", at, true, slotData(sl)),
		},
	}
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error { return st.SubmitCase(ctx, sub) })
	return nil
}

// reschedule moves the appointment, as the citizen (actor "citizen") or
// an agent ("agent:PSEUDO") does.
func (cp *casePlan) reschedule(at time.Time, actor string, to *station.Slot) {
	// The old place is not counted free again: cases are written
	// concurrently, so another case could take it before it is freed.
	cp.slot = to
	evs := []casefile.Event{cp.event(cp.c.ID, casefile.EventAppointmentChanged, actor, at, true, slotData(to))}
	id := cp.c.ID
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error { return st.Reschedule(ctx, id, to.ID, evs) })
}

// cancel frees the appointment, as the citizen does.
func (cp *casePlan) cancel(at time.Time) {
	if cp.slot == nil {
		return
	}
	cp.slot = nil // its place stays counted as taken (see reschedule)
	evs := []casefile.Event{cp.event(cp.c.ID, casefile.EventAppointmentCancelled, "citizen", at, true, nil)}
	id := cp.c.ID
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error { return st.CancelAppointment(ctx, id, evs) })
}

func actorOf(h Handler) string { return "agent:" + h.Pseudonym }

func (cp *casePlan) statusEvent(h Handler, at time.Time, to casefile.Status) casefile.Event {
	ev := cp.event(cp.c.ID, casefile.EventStatusChanged, actorOf(h), at, true, map[string]string{"from": string(cp.status), "to": string(to)})
	cp.status = to
	return ev
}

func (cp *casePlan) change(ch casework.Change) {
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error { return st.ChangeCase(ctx, ch) })
}

// guard asks the kernel whether h may move the case to status to from
// where it is now, as the desk's services do, and returns the statuses
// the store must find it in.
func (cp *casePlan) guard(to casefile.Status, h Handler) ([]casefile.Status, error) {
	by := casefile.ActorAgent
	if h.Role == account.RoleSupervisor {
		by = casefile.ActorSupervisor
	}
	if err := complaint.PreComplaint.Check(cp.status, to, by); err != nil {
		return nil, err
	}
	return complaint.PreComplaint.From(to, by)
}

// fail adds a step that fails with err: a story the kernel refuses is a
// bug of the planner, which SeedMonth reports.
func (cp *casePlan) fail(err error) {
	cp.ops = append(cp.ops, func(context.Context, CaseStore) error { return err })
}

// open records an agent's reading, as casework.Service.Open does: the
// first reading but a supervisor's moves the case to in_progress.
func (cp *casePlan) open(at time.Time, h Handler, purpose casework.Purpose) {
	access := cp.event(cp.c.ID, casefile.EventAccessed, actorOf(h), at, true, map[string]string{
		"unit": cp.c.UnitID, "role": string(h.Role), "agent": h.Pseudonym, "purpose": string(purpose),
	})
	ch := casework.Change{CaseID: cp.c.ID, At: at, Events: []casefile.Event{access}}
	if fresh, err := cp.guard(casefile.StatusInProgress, h); err == nil && purpose != casework.PurposeSupervision {
		ch.Allowed, ch.Status = fresh, casefile.StatusInProgress
		ch.Events = append(ch.Events, cp.statusEvent(h, at, casefile.StatusInProgress))
	}
	cp.change(ch)
}

// note adds a note, as casework.Service.AddNote does.
func (cp *casePlan) note(at time.Time, h Handler, text string, toCitizen bool) {
	id := cp.p.ids.New()
	sealed, err := cp.p.v.SealWith(cp.wrapped, []byte(text), casework.NoteAAD(cp.c.ID, id))
	if err != nil {
		cp.fail(fmt.Errorf("seal note: %w", err))
		return
	}
	typ := casefile.EventNoteInternal
	if toCitizen {
		typ = casefile.EventNoteToCitizen
	}
	cp.change(casework.Change{
		CaseID: cp.c.ID, At: at,
		Note:   &casework.StoredNote{ID: id, CaseID: cp.c.ID, Ciphertext: sealed.Ciphertext, ToCitizen: toCitizen, AuthorID: h.ID, Author: h.Pseudonym, At: at},
		Events: []casefile.Event{cp.event(cp.c.ID, typ, actorOf(h), at, toCitizen, map[string]string{"note": id})},
	})
}

// assign puts to in charge, as casework.Service.Assign does when by asks.
func (cp *casePlan) assign(at time.Time, by, to Handler) {
	ch := casework.Change{
		CaseID: cp.c.ID, At: at, Allowed: complaint.PreComplaint.Open(),
		Assign: &casework.Assignment{AgentID: to.ID, Pseudonym: to.Pseudonym, At: at},
		Events: []casefile.Event{cp.event(cp.c.ID, casefile.EventAssigned, actorOf(by), at, true, map[string]string{"agent": to.Pseudonym})},
	}
	if allowed, err := cp.guard(casefile.StatusAssigned, by); err == nil {
		ch.Allowed, ch.Status = allowed, casefile.StatusAssigned
		ch.Events = append(ch.Events, cp.statusEvent(by, at, casefile.StatusAssigned))
	}
	cp.change(ch)
}

// close closes the case without complaint, as casework.Service.Close does.
func (cp *casePlan) close(at time.Time, h Handler, reason casework.CloseReason, redirect string) {
	allowed, err := cp.guard(casefile.StatusClosed, h)
	if err != nil {
		cp.fail(err)
		return
	}
	closed := cp.event(cp.c.ID, casefile.EventClosed, actorOf(h), at, true, map[string]string{"reason": string(reason), "redirect": redirect})
	cp.change(casework.Change{
		CaseID: cp.c.ID, Allowed: allowed, Status: casefile.StatusClosed, SetExpiry: true,
		ExpiresAt: at.Add(cp.p.m.ClosedRetention), At: at,
		Events: []casefile.Event{closed, cp.statusEvent(h, at, casefile.StatusClosed)},
	})
}

// convert records the formal complaint at the desk, as
// casework.Service.Convert does, and, most often, the agent then prints
// its record (an access for purpose conversion).
func (cp *casePlan) convert(at time.Time, h Handler, form complaint.Form, doc casework.IDDocument) error {
	p := cp.p
	ref, err := caseref.New(caseref.Complaint, at.In(complaint.Paris).Year(), p.refs)
	if err != nil {
		return err
	}
	form.SlotID, form.Consent = "", true
	pl := casefile.Case{
		ID: p.ids.New(), Ref: ref.String(), Kind: caseref.Complaint, Category: cp.c.Category,
		Status: casefile.StatusConfirmed, UnitID: cp.c.UnitID, CreatedAt: at, SubmittedAt: at, UpdatedAt: at, LinkedRef: cp.c.Ref,
	}
	allowed, err := cp.guard(casefile.StatusConfirmed, h)
	if err != nil {
		return err
	}
	sealed, content, err := complaint.Complaint.Seal(p.v, pl.ID, nil, &complaint.Filed{Form: form, Identity: complaint.IdentityCheck{
		Document: doc, Checked: true, Agent: h.Pseudonym, ServiceNumber: h.ServiceNumber, At: at,
	}})
	if err != nil {
		return fmt.Errorf("case %s: %w", cp.c.Ref, err)
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return err
	}
	cv := casework.Conversion{
		PPID: cp.c.ID, PPAllowed: allowed, PL: pl, PLSalt: salt, PLPerson: sealed, At: at,
		PLEvents: []casefile.Event{cp.event(pl.ID, casefile.EventCreated, actorOf(h), at, true, map[string]string{
			"pre_complaint": cp.c.Ref, "unit": cp.c.UnitID, "category": cp.c.Category, "content": content,
		})},
		PPEvents: []casefile.Event{
			cp.event(cp.c.ID, casefile.EventConverted, actorOf(h), at, true, map[string]string{"complaint": pl.Ref}),
			cp.statusEvent(h, at, casefile.StatusConfirmed),
		},
	}
	cp.c.LinkedRef = pl.Ref
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error { return st.ConvertCase(ctx, cv) })
	if p.r.IntN(100) < 60 {
		rec := at.Add(time.Duration(1+p.r.IntN(4)) * time.Minute)
		access := cp.event(pl.ID, casefile.EventAccessed, actorOf(h), rec, true, map[string]string{
			"unit": pl.UnitID, "role": string(h.Role), "agent": h.Pseudonym, "purpose": string(casework.PurposeConversion),
		})
		cp.change(casework.Change{CaseID: pl.ID, At: rec, Events: []casefile.Event{access}})
	}
	return nil
}

// expire erases the case unconfirmed, as complaint.Service.RunRetention
// does when its deadline has passed.
func (cp *casePlan) expire(at time.Time) {
	if err := complaint.PreComplaint.Check(cp.status, casefile.StatusExpired, casefile.ActorSystem); err != nil {
		cp.fail(err)
		return
	}
	evs := []casefile.Event{
		cp.event(cp.c.ID, casefile.EventExpired, "system", at, true, map[string]string{"reason": "not_confirmed"}),
		cp.event(cp.c.ID, casefile.EventErased, "system", at, true, nil),
	}
	cp.status, cp.erased, cp.slot = casefile.StatusExpired, true, nil
	id := cp.c.ID
	cp.ops = append(cp.ops, func(ctx context.Context, st CaseStore) error {
		_, err := st.EraseCase(ctx, id, casefile.StatusExpired, at, evs)
		return err
	})
}
