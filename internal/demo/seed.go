// Package demo seeds a demonstration instance: police units with their
// appointment slots, and sample pre-complaints in different states so that
// every page has something to show.
package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// Writer is what seeding needs from a store.
type Writer interface {
	CreateUnit(ctx context.Context, u station.Unit) error
	// CreateSlots stores the slots in one transaction, all or none.
	CreateSlots(ctx context.Context, s []station.Slot) error
}

// SeedUnits creates the seed units and, for those taking appointments,
// half-hour slots with two places on weekdays (9 h–12 h, 14 h–17 h 30,
// Paris time) from day from to day to. It returns the units with their IDs.
func SeedUnits(ctx context.Context, w Writer, ids *uuid7.Generator, from, to time.Time) ([]station.Unit, error) {
	out := make([]station.Unit, 0, len(Units))
	var slots []station.Slot
	for _, u := range Units {
		u.ID = ids.New()
		if err := w.CreateUnit(ctx, u); err != nil {
			return nil, fmt.Errorf("seed unit %s: %w", u.Code, err)
		}
		out = append(out, u)
		if u.AcceptsAppointments {
			slots = append(slots, weekdaySlots(ids, u, from, to, 2)...)
		}
	}
	if err := w.CreateSlots(ctx, slots); err != nil {
		return nil, fmt.Errorf("seed slots: %w", err)
	}
	return out, nil
}

// SeedSlots opens weekday half-hour slots of the given capacity at unit u
// for every day in [from, to), in one transaction.
func SeedSlots(ctx context.Context, w Writer, ids *uuid7.Generator, u station.Unit, from, to time.Time, capacity int) error {
	if err := w.CreateSlots(ctx, weekdaySlots(ids, u, from, to, capacity)); err != nil {
		return fmt.Errorf("seed slots %s: %w", u.Code, err)
	}
	return nil
}

// weekdaySlots returns the half-hour slots of unit u on weekdays in
// [from, to), 9 h–12 h and 14 h–17 h 30 Paris time.
func weekdaySlots(ids *uuid7.Generator, u station.Unit, from, to time.Time, capacity int) []station.Slot {
	var slots []station.Slot
	f := from.In(complaint.Paris)
	day := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, complaint.Paris)
	for ; day.Before(to); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		for _, span := range [][2]int{{9 * 60, 12 * 60}, {14 * 60, 17*60 + 30}} {
			for m := span[0]; m < span[1]; m += 30 {
				start := day.Add(time.Duration(m) * time.Minute)
				slots = append(slots, station.Slot{ID: ids.New(), UnitID: u.ID, Start: start.UTC(), End: start.Add(30 * time.Minute).UTC(), Capacity: capacity})
			}
		}
	}
	return slots
}

// Clock is a running clock that seeding can set back, to create cases in
// the past. After Set(t) it reads t plus the real time elapsed since.
type Clock struct {
	mu    sync.Mutex
	t     time.Time
	setAt time.Time
}

// Now returns the clock's time, in UTC.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.Add(time.Since(c.setAt)).UTC()
}

// Set moves the clock to t; it runs on from there.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t, c.setAt = t, time.Now()
	c.mu.Unlock()
}

// Sample is a seeded pre-complaint a tester can open.
type Sample struct {
	Ref          string
	TrackingCode caseref.Code
	State        string // what the sample shows, in French
}

// SeedCases files sample pre-complaints through svc, whose clock is clock:
// one awaiting its appointment, one rescheduled, one with its appointment
// cancelled, and one filed 31 days ago that expired and was erased. now is
// the real time; the clock is left at now.
func SeedCases(ctx context.Context, svc *complaint.Service, clock *Clock, units []station.Unit, now time.Time) ([]Sample, error) {
	byCode := map[string]station.Unit{}
	for _, u := range units {
		byCode[u.Code] = u
	}
	type spec struct {
		unit, state string
		form        complaint.Form
		back        time.Duration // how long ago it was filed
		then        func(ref string) error
	}
	specs := []spec{
		{unit: "CSP-LYON03", state: "déposée, rendez-vous à venir", form: sampleForm(complaint.Theft, "Vol de mon téléphone dans le tramway T1, à l'arrêt Part-Dieu, pendant l'heure de pointe. Je ne me suis rendu compte de rien.", complaint.Item{Kind: "phone", Description: "Smartphone noir, coque bleue", Value: "849", Serial: "356938035643809"})},
		{unit: "CSP-PARIS11", state: "déposée, rendez-vous déplacé", form: sampleForm(complaint.Burglary, "Cambriolage de mon appartement pendant mes vacances ; la porte a été forcée et plusieurs objets ont disparu.", complaint.Item{Kind: "computer", Description: "Ordinateur portable 14 pouces", Value: "1 299,00", Serial: "C02XK1ZZJGH5"}),
			then: func(ref string) error {
				slots, err := svc.FreeSlots(ctx, byCode["CSP-PARIS11"].ID)
				if err != nil || len(slots) < 5 {
					return fmt.Errorf("reschedule sample: %d slots, %v", len(slots), err)
				}
				return svc.Reschedule(ctx, ref, slots[4].ID)
			}},
		{unit: "BTA-VANNES", state: "déposée, rendez-vous annulé par la victime", form: sampleForm(complaint.VehicleTheft, "Mon véhicule stationné devant mon domicile a disparu pendant la nuit. Aucun témoin.", complaint.Item{Kind: "vehicle", Description: "Renault Clio grise", Value: "9 500", Plate: "GH-417-KT"}),
			then: func(ref string) error { return svc.CancelAppointment(ctx, ref) }},
		{unit: "CSP-BORDEAUX", state: "expirée faute de confirmation, données personnelles effacées", back: 31 * 24 * time.Hour,
			form: sampleForm(complaint.Fraud, "Paiements frauduleux sur ma carte bancaire alors que je l'avais toujours en ma possession.", complaint.Item{Kind: "bank_card", Description: "Carte Visa", Value: "320,40"})},
	}
	var out []Sample
	for _, sp := range specs {
		clock.Set(now.Add(-sp.back))
		u, ok := byCode[sp.unit]
		if !ok {
			return nil, fmt.Errorf("seed case: no unit %s", sp.unit)
		}
		f := sp.form
		f.FactsFrom = now.Add(-sp.back - 72*time.Hour).In(complaint.Paris).Format("2006-01-02T15:04")
		code, _, err := svc.StartDraft(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("seed case: %w", err)
		}
		slots, err := svc.FreeSlots(ctx, u.ID)
		if err != nil || len(slots) == 0 {
			return nil, fmt.Errorf("seed case at %s: no free slot (%v)", u.Code, err)
		}
		f.UnitID, f.SlotID, f.Consent = u.ID, slots[len(slots)/3].ID, true
		for _, step := range complaint.Steps {
			if _, err := svc.SaveStep(ctx, code, step, f, 0); err != nil {
				return nil, fmt.Errorf("seed case at %s: step %s: %w", u.Code, step, err)
			}
		}
		sub, _, err := svc.Submit(ctx, code)
		if err != nil {
			return nil, fmt.Errorf("seed case at %s: submit: %w", u.Code, err)
		}
		clock.Set(now)
		if sp.then != nil {
			if err := sp.then(sub.Ref); err != nil {
				return nil, err
			}
		}
		out = append(out, Sample{Ref: sub.Ref, TrackingCode: sub.TrackingCode, State: sp.state})
	}
	clock.Set(now)
	if _, err := svc.RunRetention(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

func sampleForm(cat complaint.Category, desc string, item complaint.Item) complaint.Form {
	lastNames := map[complaint.Category]string{complaint.Theft: "Martin", complaint.Burglary: "Bernard", complaint.VehicleTheft: "Le Goff", complaint.Fraud: "Dubois"}
	firstNames := map[complaint.Category]string{complaint.Theft: "Camille", complaint.Burglary: "Nadia", complaint.VehicleTheft: "Yann", complaint.Fraud: "Hélène"}
	return complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: cat,
		Civility: "mme", LastName: lastNames[cat], FirstName: firstNames[cat], BirthDate: "1987-04-12", BirthPlace: "Nantes",
		Email: strings.ToLower(firstNames[cat][:1]) + "." + strings.ToLower(strings.ReplaceAll(lastNames[cat], " ", "")) + "@example.fr", Phone: "06 12 34 56 78",
		Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		PlacePostcode: "69003", PlaceCity: "Lyon", Description: desc,
		Items: []complaint.Item{item},
	}
}
