package demo_test

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// staffDir is the agents the desk may assign, from the seeded logins.
type staffDir map[string]casework.Agent

func (d staffDir) AgentByID(_ context.Context, id string) (casework.Agent, error) {
	a, ok := d[id]
	if !ok {
		return casework.Agent{}, guichet.ErrNotFound
	}
	return a, nil
}

func (d staffDir) UnitAgents(_ context.Context, unitID string) ([]casework.Agent, error) {
	var out []casework.Agent
	for _, a := range d {
		if a.UnitID == unitID {
			out = append(out, a)
		}
	}
	return out, nil
}

// TestSeedMonth seeds the demo's month on a real SQLite store, as `guichet
// demo` does, and looks at it as the units' agents do through the case
// desk: enough cases in every state, spread in time, appointments within
// the slots' places, and every case, note and complaint opening with the
// instance's key.
func TestSeedMonth(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	master := make([]byte, vault.KeySize)
	_, _ = rand.Read(master)
	v, err := vault.New(master, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 18, 9, 30, 0, 0, time.UTC)
	clock := &demo.Clock{}
	clock.Set(now)
	ids := uuid7.New(clock.Now, rand.Reader)
	units, err := demo.SeedUnits(ctx, st, ids, now.AddDate(0, 0, -40), now.AddDate(0, 0, 15))
	if err != nil {
		t.Fatal(err)
	}
	acfg := account.DefaultConfig("http://127.0.0.1")
	acfg.Argon2 = account.Argon2{Memory: 64, Time: 1, Threads: 1}
	accounts, err := account.New(acfg, account.Deps{Store: st, Vault: v, IDs: ids, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := accounts.HashPassword(demo.DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	units, logins, _, err := demo.SeedAgents(ctx, st, ids, accounts, units, hash)
	if err != nil {
		t.Fatal(err)
	}
	m := demo.DefaultMonth()
	rep, err := demo.SeedMonth(ctx, st, v, ids, units, demo.Staff(units, logins), m, now)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total < 300 {
		t.Fatalf("seeded %d pre-complaints, want at least 300", rep.Total)
	}

	bucket, err := evidence.Open(ctx, "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	dir := staffDir{}
	for _, l := range logins {
		u := unitByCode(t, units, l.UnitCode)
		dir[l.ID] = casework.Agent{ID: l.ID, Pseudonym: l.Pseudonym, Name: l.Name, ServiceNumber: l.ServiceNumber, UnitID: u.ID, Role: l.Role, Active: true}
	}
	desk := casework.New(casework.DefaultConfig(), casework.Deps{
		Store: st, Agents: dir, Vault: v, Blobs: bucket, Clock: clock, Rand: rand.Reader, IDs: ids, LogIndex: st.EventLogIndex,
	})

	total := map[casefile.Status]int{}
	for _, byStatus := range rep.ByUnit {
		for s, n := range byStatus {
			total[s] += n
		}
	}
	for _, s := range []casefile.Status{casefile.StatusSubmitted, casefile.StatusInProgress, casefile.StatusAssigned,
		casefile.StatusConfirmed, casefile.StatusClosed, casefile.StatusExpired} {
		if total[s] < 5 {
			t.Errorf("%d pre-complaints %s, want a few of every state (all: %v)", total[s], s, total)
		}
	}
	if rep.Complaints != total[casefile.StatusConfirmed] {
		t.Errorf("%d complaints for %d confirmed pre-complaints", rep.Complaints, total[casefile.StatusConfirmed])
	}

	var past, future, opened, withNotes int
	var first, last time.Time
	for _, u := range units {
		if !u.AcceptsAppointments {
			continue
		}
		byStatus := rep.ByUnit[u.Code]
		if sum(byStatus) < 10 {
			t.Errorf("unit %s: %d pre-complaints, want a unit's month (%v)", u.Code, sum(byStatus), byStatus)
		}
		agent := unitAgent(t, logins, u)
		// The queue shows every open case the month left, per status
		// (all read before opening any, which takes a case up).
		statuses := []casefile.Status{casefile.StatusSubmitted, casefile.StatusAssigned, casefile.StatusInProgress}
		byQueue := map[casefile.Status][]casework.QueueItem{}
		for _, s := range statuses {
			byQueue[s] = queue(t, desk, agent, casework.Filter{Status: s})
		}
		for _, s := range statuses {
			items := byQueue[s]
			if len(items) != byStatus[s] {
				t.Errorf("unit %s: queue shows %d %s, the seed filed %d", u.Code, len(items), s, byStatus[s])
			}
			for _, it := range items {
				if first.IsZero() || it.Case.SubmittedAt.Before(first) {
					first = it.Case.SubmittedAt
				}
				last = maxTime(last, it.Case.SubmittedAt)
				if it.Appointment != nil {
					if it.Appointment.Start.After(now) {
						future++
					} else {
						past++
					}
				}
			}
			// The first of each status opens with the instance's key,
			// with its notes.
			if len(items) > 0 {
				cf, err := desk.Open(ctx, agent, items[0].Case.Ref, casework.PurposeProcessing)
				if err != nil {
					t.Fatalf("unit %s: open %s (%s): %v", u.Code, items[0].Case.Ref, s, err)
				}
				if cf.Form == nil || cf.Form.LastName == "" || cf.Form.Description == "" {
					t.Errorf("unit %s: %s opened without its form", u.Code, items[0].Case.Ref)
				}
				// What the seed filed is what a citizen could have filed.
				if step, err := complaint.ValidateAll(cf.Form, items[0].Case.SubmittedAt); err != nil {
					t.Errorf("unit %s: %s: step %s refused: %v", u.Code, items[0].Case.Ref, step, err)
				}
				opened++
				if len(cf.Notes) > 0 {
					withNotes++
				}
			}
		}
		// The slots hold their bookings: none overbooked.
		slots, err := st.ListSlots(ctx, u.ID, now.AddDate(0, 0, -45), now.AddDate(0, 0, 20))
		if err != nil {
			t.Fatal(err)
		}
		for _, sl := range slots {
			if sl.Booked < 0 || sl.Booked > sl.Capacity {
				t.Errorf("unit %s: slot %s booked %d of %d", u.Code, sl.Start, sl.Booked, sl.Capacity)
			}
		}
	}
	if past == 0 || future < 30 {
		t.Errorf("open cases with an appointment: %d past, %d in the next 14 days; want both", past, future)
	}
	if first.After(now.AddDate(0, 0, -20)) || last.Before(now.AddDate(0, 0, -1)) {
		t.Errorf("open cases filed from %s to %s: want them spread over the month to %s", first, last, now)
	}
	if opened < 20 {
		t.Errorf("opened %d cases", opened)
	}
	if withNotes == 0 {
		t.Error("no opened case had a note")
	}

	// A supervisor's access report shows the month's readings, with
	// their purposes.
	sup := principal(t, logins, units, "SUP-L03")
	entries, err := desk.AccessReport(ctx, sup, now.AddDate(0, 0, -30), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	purposes := map[casework.Purpose]int{}
	for _, e := range entries {
		purposes[e.Purpose]++
	}
	for _, p := range []casework.Purpose{casework.PurposeAppointment, casework.PurposeProcessing, casework.PurposeSupervision} {
		if purposes[p] == 0 {
			t.Errorf("access report of %s: no %s reading in %d entries (%v)", sup.UnitID, p, len(entries), purposes)
		}
	}
}

func sum(m map[casefile.Status]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func unitByCode(t *testing.T, units []station.Unit, code string) station.Unit {
	t.Helper()
	for _, u := range units {
		if u.Code == code {
			return u
		}
	}
	t.Fatalf("no unit %s", code)
	return station.Unit{}
}

// unitAgent is a principal for one of u's agents.
func unitAgent(t *testing.T, logins []demo.AgentLogin, u station.Unit) account.Principal {
	t.Helper()
	for _, l := range logins {
		if l.UnitCode == u.Code && l.Role == account.RoleAgent {
			return account.Principal{AgentID: l.ID, Pseudonym: l.Pseudonym, ServiceNumber: l.ServiceNumber, Name: l.Name,
				UnitID: u.ID, Role: l.Role, Units: []string{u.ID}, SessionID: "s-" + l.Pseudonym}
		}
	}
	t.Fatalf("unit %s has no agent", u.Code)
	return account.Principal{}
}

// principal is the principal of a seeded supervisor: its unit and
// sub-units.
func principal(t *testing.T, logins []demo.AgentLogin, units []station.Unit, sn string) account.Principal {
	t.Helper()
	for _, l := range logins {
		if l.ServiceNumber != sn {
			continue
		}
		u := unitByCode(t, units, l.UnitCode)
		p := account.Principal{AgentID: l.ID, Pseudonym: l.Pseudonym, ServiceNumber: sn, Name: l.Name,
			UnitID: u.ID, Role: l.Role, Units: []string{u.ID}, SessionID: "s-" + l.Pseudonym}
		for _, s := range units {
			if s.ParentID == u.ID {
				p.Units = append(p.Units, s.ID)
			}
		}
		return p
	}
	t.Fatalf("no login %s", sn)
	return account.Principal{}
}

// queue returns every case of the queue that f selects, page by page.
func queue(t *testing.T, desk *casework.Service, p account.Principal, f casework.Filter) []casework.QueueItem {
	t.Helper()
	var out []casework.QueueItem
	for {
		page, err := desk.Queue(t.Context(), p, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}
