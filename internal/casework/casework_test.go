package casework_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/casework/caseworktest"
)

func is(t *testing.T, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want %v", err, kind)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func field(t *testing.T, err error, name string) {
	t.Helper()
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a validation error on %s", err, name)
	}
	if _, found := v.For(name); !found {
		t.Fatalf("err = %v, want a validation error on %s", err, name)
	}
}

func lastEvent(t *testing.T, e *caseworktest.Env, ref, typ string) casefile.Event {
	t.Helper()
	c, _, err := e.Store.CaseByRef(t.Context(), ref)
	ok(t, err)
	evs, err := e.Store.CaseEvents(t.Context(), c.ID)
	ok(t, err)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			return evs[i]
		}
	}
	t.Fatalf("%s: no %s event in %v", ref, typ, evs)
	return casefile.Event{}
}

func countEvents(t *testing.T, e *caseworktest.Env, ref, typ string) int {
	t.Helper()
	c, _, err := e.Store.CaseByRef(t.Context(), ref)
	ok(t, err)
	evs, err := e.Store.CaseEvents(t.Context(), c.ID)
	ok(t, err)
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// TestScope: whatever the method, a case out of the principal's scope is
// not found, never forbidden.
func TestScope(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	sub := e.Submit(e.Units[0], caseworktest.Filing{})
	other := e.Principal(e.Units[1], account.RoleAgent, "B222")
	supOther := e.Principal(e.Units[1], account.RoleSupervisor, "S222")
	analyst := e.Principal(e.Units[0], account.RoleAnalyst, "N111")
	admin := e.Principal(e.Units[0], account.RoleAdmin, "D111")
	mine := e.Principal(e.Units[0], account.RoleAgent, "A111")
	for _, p := range []account.Principal{other, supOther, analyst, admin} {
		_, err := e.Cases.Summary(ctx, p, sub.Ref)
		is(t, err, guichet.ErrNotFound)
		_, err = e.Cases.Open(ctx, p, sub.Ref, casework.PurposeProcessing)
		is(t, err, guichet.ErrNotFound)
		_, err = e.Cases.AddNote(ctx, p, sub.Ref, "note", false)
		is(t, err, guichet.ErrNotFound)
		is(t, e.Cases.Assign(ctx, p, sub.Ref, mine.AgentID), guichet.ErrNotFound)
		is(t, e.Cases.Close(ctx, p, sub.Ref, casework.CloseWithdrawn, ""), guichet.ErrNotFound)
		_, err = e.Cases.Convert(ctx, p, sub.Ref, casework.ConvertInput{})
		is(t, err, guichet.ErrNotFound)
		_, err = e.Cases.Evidence(ctx, p, sub.Ref, "x")
		is(t, err, guichet.ErrNotFound)
		_, err = e.Cases.Calendar(ctx, p, e.Units[0].ID, e.Clock.Now(), e.Clock.Now().Add(time.Hour))
		is(t, err, guichet.ErrNotFound)
		page, err := e.Cases.Queue(ctx, p, casework.Filter{})
		if err == nil && len(page.Items) != 0 {
			t.Errorf("%s sees %d cases of another unit", p.Pseudonym, len(page.Items))
		}
	}
	for _, p := range []account.Principal{mine, analyst} {
		_, err := e.Cases.AccessReport(ctx, p, time.Time{}, e.Clock.Now())
		is(t, err, guichet.ErrNotFound)
		_, err = e.Cases.Deadlines(ctx, p, time.Hour)
		is(t, err, guichet.ErrNotFound)
	}
	// A malformed reference, or a typo caught by the check symbol, too.
	_, err := e.Cases.Summary(ctx, mine, "PP-2026-XXXX")
	is(t, err, guichet.ErrNotFound)
	// Nothing above recorded an access.
	if n := countEvents(t, e, sub.Ref, casefile.EventAccessed); n != 0 {
		t.Errorf("%d access events recorded by refused calls", n)
	}
	// Summary within scope reads no personal data and records nothing.
	sum, err := e.Cases.Summary(ctx, mine, strings.ToLower(strings.ReplaceAll(sub.Ref, "-", " ")))
	ok(t, err)
	if sum.Case.Ref != sub.Ref || sum.Appointment == nil || sum.Unit == nil || sum.Unit.ID != e.Units[0].ID {
		t.Errorf("summary = %+v", sum)
	}
	if n := countEvents(t, e, sub.Ref, casefile.EventAccessed); n != 0 {
		t.Errorf("summary recorded %d access events", n)
	}
}

func TestQueue(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	// Filed in an order different from their appointments.
	late := e.Submit(u, caseworktest.Filing{Slot: 4})
	early := e.Submit(u, caseworktest.Filing{Slot: 0})
	mid := e.Submit(u, caseworktest.Filing{Slot: 2})
	e.Submit(e.Units[1], caseworktest.Filing{}) // another unit
	page, err := e.Cases.Queue(ctx, a, casework.Filter{Limit: 2})
	ok(t, err)
	if len(page.Items) != 2 || page.Items[0].Case.Ref != early.Ref || page.Items[1].Case.Ref != mid.Ref || page.Next == "" {
		t.Fatalf("first page = %+v", page)
	}
	if page.Items[0].Appointment == nil || page.Items[0].Case.ExpiresAt.IsZero() {
		t.Errorf("queue item lacks appointment or deadline: %+v", page.Items[0])
	}
	page2, err := e.Cases.Queue(ctx, a, casework.Filter{Limit: 2, Cursor: page.Next})
	ok(t, err)
	if len(page2.Items) != 1 || page2.Items[0].Case.Ref != late.Ref || page2.Next != "" {
		t.Fatalf("second page = %+v", page2)
	}
	_, err = e.Cases.Queue(ctx, a, casework.Filter{Cursor: "garbage!"})
	is(t, err, guichet.ErrInvalid)

	// Forgiving reference search.
	typed := strings.ToLower(strings.ReplaceAll(mid.Ref, "-", ""))
	page, err = e.Cases.Queue(ctx, a, casework.Filter{Ref: typed})
	ok(t, err)
	if len(page.Items) != 1 || page.Items[0].Case.Ref != mid.Ref {
		t.Errorf("search %q = %+v", typed, page.Items)
	}
	page, err = e.Cases.Queue(ctx, a, casework.Filter{Ref: "PP-2026-0000-0000"})
	ok(t, err)
	if len(page.Items) != 0 {
		t.Errorf("malformed search found %d", len(page.Items))
	}

	// Mine, category, appointment range, deadline.
	ok(t, e.Cases.Assign(ctx, a, late.Ref, a.AgentID))
	page, err = e.Cases.Queue(ctx, a, casework.Filter{Mine: true})
	ok(t, err)
	if len(page.Items) != 1 || page.Items[0].Case.Ref != late.Ref || page.Items[0].Assignee == nil ||
		page.Items[0].Assignee.Pseudonym != "A111" || page.Items[0].Assignee.Name != a.Name {
		t.Errorf("mine = %+v", page.Items)
	}
	page, err = e.Cases.Queue(ctx, a, casework.Filter{Category: "burglary"})
	ok(t, err)
	if len(page.Items) != 0 {
		t.Errorf("burglary filter = %d items", len(page.Items))
	}
	page, err = e.Cases.Queue(ctx, a, casework.Filter{Status: casefile.StatusAssigned})
	ok(t, err)
	if len(page.Items) != 1 {
		t.Errorf("assigned filter = %d items", len(page.Items))
	}
	sum, err := e.Cases.Summary(ctx, a, early.Ref)
	ok(t, err)
	st := sum.Appointment.Start
	page, err = e.Cases.Queue(ctx, a, casework.Filter{From: st, To: st.Add(time.Minute)})
	ok(t, err)
	if len(page.Items) != 1 || page.Items[0].Case.Ref != early.Ref {
		t.Errorf("date range = %+v", page.Items)
	}
	page, err = e.Cases.Queue(ctx, a, casework.Filter{ExpiringWithin: 24 * time.Hour})
	ok(t, err)
	if len(page.Items) != 0 {
		t.Errorf("expiring within a day = %d", len(page.Items))
	}
	page, err = e.Cases.Queue(ctx, a, casework.Filter{ExpiringWithin: 31 * 24 * time.Hour})
	ok(t, err)
	if len(page.Items) != 3 {
		t.Errorf("expiring within 31 days = %d", len(page.Items))
	}
	if n := countEvents(t, e, early.Ref, casefile.EventAccessed); n != 0 {
		t.Errorf("queue recorded %d access events", n)
	}
}

func TestOpenNotesEvidence(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	file := append(append([]byte{}, caseworktest.PNG...), "trailing"...)
	sub := e.Submit(u, caseworktest.Filing{LastName: "Dupontel", FileName: "photo-velo.png", File: file})

	_, err := e.Cases.Open(ctx, a, sub.Ref, "curiosity")
	is(t, err, guichet.ErrInvalid)

	sup := e.Principal(u, account.RoleSupervisor, "S111")
	cf, err := e.Cases.Open(ctx, sup, sub.Ref, casework.PurposeSupervision)
	ok(t, err)
	if cf.Case.Status != casefile.StatusSubmitted {
		t.Errorf("a supervisor's look moved the case to %s", cf.Case.Status)
	}
	cf, err = e.Cases.Open(ctx, a, sub.Ref, casework.PurposeAppointment)
	ok(t, err)
	if cf.Form == nil || cf.Form.LastName != "Dupontel" || cf.AccessEventID == "" {
		t.Fatalf("open = %+v", cf)
	}
	if len(cf.Evidence) != 1 || cf.Evidence[0].Name != "photo-velo.png" || cf.Evidence[0].ContentType != "image/png" {
		t.Errorf("evidence = %+v", cf.Evidence)
	}
	if cf.Case.Status != casefile.StatusInProgress {
		t.Errorf("status after first open = %s", cf.Case.Status)
	}
	acc := lastEvent(t, e, sub.Ref, casefile.EventAccessed)
	want := map[string]string{"unit": u.ID, "role": "agent", "agent": "A111", "purpose": "appointment"}
	if !acc.Visible || acc.Actor != "agent:A111" || len(acc.Data) != len(want) {
		t.Errorf("access event = %+v", acc)
	}
	for k, v := range want {
		if acc.Data[k] != v {
			t.Errorf("access event data[%s] = %q, want %q", k, acc.Data[k], v)
		}
	}
	if ch := lastEvent(t, e, sub.Ref, casefile.EventStatusChanged); ch.Data["to"] != "in_progress" {
		t.Errorf("status event = %+v", ch)
	}
	// A second opening records another access and no second status change.
	_, err = e.Cases.Open(ctx, a, sub.Ref, casework.PurposeProcessing)
	ok(t, err)
	if n := countEvents(t, e, sub.Ref, casefile.EventAccessed); n != 3 {
		t.Errorf("%d access events after three openings", n)
	}
	if n := countEvents(t, e, sub.Ref, casefile.EventStatusChanged); n != 1 {
		t.Errorf("%d status changes after two openings", n)
	}

	// Evidence.
	f, err := e.Cases.Evidence(ctx, a, sub.Ref, cf.Evidence[0].ID)
	ok(t, err)
	if !bytes.Equal(f.Data, file) || f.Name != "photo-velo.png" || f.ContentType != "image/png" {
		t.Errorf("evidence file = %q %q %d bytes", f.Name, f.ContentType, len(f.Data))
	}
	if n := countEvents(t, e, sub.Ref, casefile.EventAccessed); n != 4 {
		t.Errorf("%d access events after evidence download", n)
	}
	_, err = e.Cases.Evidence(ctx, a, sub.Ref, "0190c6a6-0000-7000-8000-000000000000")
	is(t, err, guichet.ErrNotFound)

	// Notes.
	_, err = e.Cases.AddNote(ctx, a, sub.Ref, "   ", false)
	field(t, err, "note")
	_, err = e.Cases.AddNote(ctx, a, sub.Ref, strings.Repeat("x", 4001), false)
	field(t, err, "note")
	internal, err := e.Cases.AddNote(ctx, a, sub.Ref, "Témoin à rappeler", false)
	ok(t, err)
	citizen, err := e.Cases.AddNote(ctx, a, sub.Ref, "Merci d'apporter la facture du vélo.", true)
	ok(t, err)
	if ev := lastEvent(t, e, sub.Ref, casefile.EventNoteInternal); ev.Visible || ev.Data["note"] != internal {
		t.Errorf("internal note event = %+v", ev)
	}
	if ev := lastEvent(t, e, sub.Ref, casefile.EventNoteToCitizen); !ev.Visible || ev.Data["note"] != citizen || len(ev.Data) != 1 {
		t.Errorf("citizen note event = %+v", ev)
	}
	cf, err = e.Cases.Open(ctx, a, sub.Ref, casework.PurposeProcessing)
	ok(t, err)
	if len(cf.Notes) != 2 || cf.Notes[0].Text != "Témoin à rappeler" || cf.Notes[1].Text != "Merci d'apporter la facture du vélo." ||
		!cf.Notes[1].ToCitizen || cf.Notes[0].Author != "A111" {
		t.Errorf("notes = %+v", cf.Notes)
	}
	cn, err := e.Cases.CitizenNotes(ctx, sub.Ref)
	ok(t, err)
	if len(cn) != 1 || cn[0].ID != citizen {
		t.Errorf("citizen notes = %+v", cn)
	}
}

func TestAssign(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	sup := e.Principal(u, account.RoleSupervisor, "S111")
	a := e.Principal(u, account.RoleAgent, "A111")
	other := e.Principal(e.Units[1], account.RoleAgent, "B222")
	analyst := e.Principal(u, account.RoleAnalyst, "N111")
	sub := e.Submit(u, caseworktest.Filing{})
	field(t, e.Cases.Assign(ctx, sup, sub.Ref, other.AgentID), "agent")
	field(t, e.Cases.Assign(ctx, sup, sub.Ref, analyst.AgentID), "agent")
	field(t, e.Cases.Assign(ctx, sup, sub.Ref, "nobody"), "agent")
	ok(t, e.Cases.Assign(ctx, sup, sub.Ref, a.AgentID))
	ev := lastEvent(t, e, sub.Ref, casefile.EventAssigned)
	if !ev.Visible || ev.Data["agent"] != "A111" || ev.Actor != "agent:S111" {
		t.Errorf("assigned event = %+v", ev)
	}
	sum, err := e.Cases.Summary(ctx, a, sub.Ref)
	ok(t, err)
	if sum.Case.Status != casefile.StatusAssigned || sum.Assignee == nil || sum.Assignee.AgentID != a.AgentID {
		t.Errorf("after assign: %s %+v", sum.Case.Status, sum.Assignee)
	}
	list, err := e.Cases.Assignees(ctx, sup, sub.Ref)
	ok(t, err)
	if len(list) != 2 {
		t.Errorf("assignees = %+v", list)
	}
}

func convertInput(e *caseworktest.Env, lastName string) casework.ConvertInput {
	f := e.Form(caseworktest.Filing{LastName: lastName, FirstName: "Camille",
		Description: "Vol de mon vélo devant la gare ; corrigé au guichet : le cadenas était en U."})
	return casework.ConvertInput{IdentityChecked: true, IDDocument: casework.IDPassport, Form: f}
}

func TestConvert(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	sub := e.Submit(u, caseworktest.Filing{})

	in := convertInput(e, "Martin-Dubois")
	in.IdentityChecked, in.IDDocument = false, ""
	in.Form.Description = "court"
	_, err := e.Cases.Convert(ctx, a, sub.Ref, in)
	field(t, err, "identity_checked")
	field(t, err, "id_document")
	field(t, err, "description")

	pl, err := e.Cases.Convert(ctx, a, sub.Ref, convertInput(e, "Martin-Dubois"))
	ok(t, err)
	if !strings.HasPrefix(pl, "PL-") {
		t.Fatalf("complaint ref %q", pl)
	}
	pp, _, err := e.Store.CaseByRef(ctx, sub.Ref)
	ok(t, err)
	if pp.Status != casefile.StatusConfirmed || pp.LinkedRef != pl || !pp.ExpiresAt.IsZero() {
		t.Errorf("pre-complaint after conversion = %+v", pp)
	}
	if ev := lastEvent(t, e, sub.Ref, casefile.EventConverted); ev.Data["complaint"] != pl || !ev.Visible {
		t.Errorf("converted event = %+v", ev)
	}
	if ev := lastEvent(t, e, pl, casefile.EventCreated); ev.Data["pre_complaint"] != sub.Ref {
		t.Errorf("created event = %+v", ev)
	}
	cf, err := e.Cases.Open(ctx, a, pl, casework.PurposeConversion)
	ok(t, err)
	if cf.Case.LinkedRef != sub.Ref || cf.Form == nil || cf.Form.LastName != "Martin-Dubois" ||
		cf.Identity == nil || cf.Identity.Document != casework.IDPassport || cf.Identity.Agent != "A111" {
		t.Errorf("complaint file = %+v / %+v", cf.Case, cf.Identity)
	}
	// Twice: conflict.
	_, err = e.Cases.Convert(ctx, a, sub.Ref, convertInput(e, "Martin"))
	is(t, err, guichet.ErrConflict)

	// The record.
	pdf, err := e.Cases.ComplaintRecord(ctx, a, pl)
	ok(t, err)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("record is not a PDF")
	}
	if ev := lastEvent(t, e, pl, casefile.EventAccessed); ev.Data["purpose"] != "conversion" {
		t.Errorf("record access = %+v", ev)
	}
	_, err = e.Cases.ComplaintRecord(ctx, a, sub.Ref)
	is(t, err, guichet.ErrNotFound)

	// Retention long after never erases the confirmed case.
	e.Clock.Add(400 * 24 * time.Hour)
	_, err = e.Complaints.RunRetention(ctx)
	ok(t, err)
	pp, _, err = e.Store.CaseByRef(ctx, sub.Ref)
	ok(t, err)
	if pp.Erased() {
		t.Errorf("retention erased a confirmed pre-complaint")
	}
}

func TestConvertRace(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	b := e.Principal(u, account.RoleAgent, "A222")
	sub := e.Submit(u, caseworktest.Filing{})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []account.Principal{a, b} {
		wg.Go(func() { _, errs[i] = e.Cases.Convert(ctx, p, sub.Ref, convertInput(e, "Martin")) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, guichet.ErrConflict):
			t.Errorf("loser: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d conversions won: %v", wins, errs)
	}
	if n := countEvents(t, e, sub.Ref, casefile.EventConverted); n != 1 {
		t.Errorf("%d converted events", n)
	}
}

func TestCloseAndRetention(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	sub := e.Submit(u, caseworktest.Filing{})
	field(t, e.Cases.Close(ctx, a, sub.Ref, casework.CloseWrongService, ""), "redirect")
	field(t, e.Cases.Close(ctx, a, sub.Ref, "bored", ""), "reason")
	field(t, e.Cases.Close(ctx, a, sub.Ref, casework.CloseNotOffence, "nowhere"), "redirect")
	ok(t, e.Cases.Close(ctx, a, sub.Ref, casework.CloseWrongService, "cybermalveillance"))
	ev := lastEvent(t, e, sub.Ref, casefile.EventClosed)
	if !ev.Visible || ev.Data["reason"] != "wrong_service" || ev.Data["redirect"] != "cybermalveillance" {
		t.Errorf("closed event = %+v", ev)
	}
	c, _, err := e.Store.CaseByRef(ctx, sub.Ref)
	ok(t, err)
	if c.Status != casefile.StatusClosed || !c.ExpiresAt.Equal(e.Clock.Now().Add(365*24*time.Hour)) {
		t.Errorf("closed case = %+v", c)
	}
	is(t, e.Cases.Close(ctx, a, sub.Ref, casework.CloseWithdrawn, ""), guichet.ErrConflict)
	// Kept past the pre-complaint TTL, erased after the closed retention.
	e.Clock.Add(60 * 24 * time.Hour)
	_, err = e.Complaints.RunRetention(ctx)
	ok(t, err)
	c, _, _ = e.Store.CaseByRef(ctx, sub.Ref)
	if c.Erased() {
		t.Fatal("closed case erased before its retention")
	}
	e.Clock.Add(306 * 24 * time.Hour)
	_, err = e.Complaints.RunRetention(ctx)
	ok(t, err)
	c, _, _ = e.Store.CaseByRef(ctx, sub.Ref)
	if !c.Erased() || c.Status != casefile.StatusClosed {
		t.Errorf("after retention: %+v", c)
	}
	cf, err := e.Cases.Open(ctx, a, sub.Ref, casework.PurposeSupervision)
	ok(t, err)
	if cf.Form != nil || cf.AccessEventID != "" {
		t.Errorf("erased case opened with personal data")
	}
}

func TestCalendarAndReschedule(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	sub := e.Submit(u, caseworktest.Filing{})
	from, to := e.Clock.Now(), e.Clock.Now().Add(14*24*time.Hour)
	cal, err := e.Cases.Calendar(ctx, a, u.ID, from, to)
	ok(t, err)
	var bookedSlot casework.SlotView
	for _, sl := range cal {
		if len(sl.Refs) > 0 {
			bookedSlot = sl
		}
	}
	if len(bookedSlot.Refs) != 1 || bookedSlot.Refs[0] != sub.Ref || bookedSlot.Booked != 1 {
		t.Fatalf("booked slot = %+v", bookedSlot)
	}
	field(t, e.Cases.SetCapacity(ctx, a, bookedSlot.ID, 0), "capacity")
	ok(t, e.Cases.SetCapacity(ctx, a, bookedSlot.ID, 5))
	ok(t, e.Cases.CloseSlot(ctx, a, bookedSlot.ID))
	sl, err := e.Store.Slot(ctx, bookedSlot.ID)
	ok(t, err)
	if sl.Capacity != 1 || sl.Booked != 1 {
		t.Errorf("closed slot = %+v", sl)
	}
	start := e.Clock.Now().Add(20 * 24 * time.Hour)
	_, err = e.Cases.OpenSlot(ctx, a, u.ID, start, start.Add(-time.Minute), 2)
	field(t, err, "end")
	_, err = e.Cases.OpenSlot(ctx, a, u.ID, start, start.Add(30*time.Minute), 0)
	field(t, err, "capacity")
	_, err = e.Cases.OpenSlot(ctx, a, e.Units[1].ID, start, start.Add(30*time.Minute), 2)
	is(t, err, guichet.ErrNotFound)
	nsl, err := e.Cases.OpenSlot(ctx, a, u.ID, start, start.Add(30*time.Minute), 2)
	ok(t, err)
	ok(t, e.Cases.Reschedule(ctx, a, sub.Ref, nsl.ID))
	ev := lastEvent(t, e, sub.Ref, casefile.EventAppointmentChanged)
	if ev.Actor != "agent:A111" || !ev.Visible || ev.Data["start"] != start.UTC().Format(time.RFC3339) {
		t.Errorf("reschedule event = %+v", ev)
	}
	cal, err = e.Cases.Calendar(ctx, a, u.ID, start, start.Add(time.Hour))
	ok(t, err)
	if len(cal) != 1 || len(cal[0].Refs) != 1 || cal[0].Booked != 1 {
		t.Errorf("new slot = %+v", cal)
	}
	field(t, e.Cases.Reschedule(ctx, a, sub.Ref, "no-such-slot"), "slot_id")
}

func TestSupervisorReports(t *testing.T) {
	e := caseworktest.New(t)
	ctx := t.Context()
	u := e.Units[0]
	a := e.Principal(u, account.RoleAgent, "A111")
	sup := e.Principal(u, account.RoleSupervisor, "S111")
	supOther := e.Principal(e.Units[1], account.RoleSupervisor, "S222")
	sub := e.Submit(u, caseworktest.Filing{})
	_, err := e.Cases.Open(ctx, a, sub.Ref, casework.PurposeAppointment)
	ok(t, err)
	rep, err := e.Cases.AccessReport(ctx, sup, e.Clock.Now().Add(-time.Hour), e.Clock.Now().Add(time.Hour))
	ok(t, err)
	if len(rep) != 1 || rep[0].Ref != sub.Ref || rep[0].Agent != "A111" || rep[0].Role != "agent" ||
		rep[0].Purpose != casework.PurposeAppointment || rep[0].UnitID != u.ID {
		t.Errorf("access report = %+v", rep)
	}
	rep, err = e.Cases.AccessReport(ctx, supOther, e.Clock.Now().Add(-time.Hour), e.Clock.Now().Add(time.Hour))
	ok(t, err)
	if len(rep) != 0 {
		t.Errorf("other unit's supervisor sees %d accesses", len(rep))
	}
	dl, err := e.Cases.Deadlines(ctx, sup, 31*24*time.Hour)
	ok(t, err)
	if len(dl) != 1 || dl[0].Case.Ref != sub.Ref {
		t.Errorf("deadlines = %+v", dl)
	}
	dl, err = e.Cases.Deadlines(ctx, sup, 24*time.Hour)
	ok(t, err)
	if len(dl) != 0 {
		t.Errorf("deadlines within a day = %+v", dl)
	}
}
