package storetest

import (
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/station"
)

func testPing(t *testing.T, f *fixture) {
	ok(t, f.s.Ping(f.ctx()))
}

func testUnits(t *testing.T, f *fixture) {
	ctx := f.ctx()
	none, err := f.s.ListUnits(ctx)
	ok(t, err)
	if none == nil || len(none) != 0 {
		t.Errorf("ListUnits on an empty store = %#v, want an empty list", none)
	}

	b := f.newUnit("CSP-VILLEURBANNE", "Commissariat de Villeurbanne")
	// A second shape: a brigade with a parent, no hours, no appointments.
	c := station.Unit{
		ID: f.ids.New(), Code: "BTA-PARIS11", Name: "Brigade du 11e arrondissement", Kind: station.Brigade,
		ParentID: b.ID, Address: "12 passage Charles Dallery", Postcode: "75011", City: "Paris",
		Lat: 48.8566, Lon: 2.3522, Phone: "01 44 93 27 30",
	}
	ok(t, f.s.CreateUnit(ctx, c))
	a := f.newUnit("ANT-ANNECY", "Antenne d'Annecy")

	got, err := f.s.Unit(ctx, c.ID)
	ok(t, err)
	if !got.Hours.IsZero() {
		t.Errorf("unit without hours: Hours = %#v", got.Hours)
	}
	got.Hours = station.Hours{}
	same(t, "Unit", got, c)

	all, err := f.s.ListUnits(ctx)
	ok(t, err)
	var names []string
	for _, u := range all {
		names = append(names, u.Name)
	}
	same(t, "ListUnits names", names, []string{a.Name, c.Name, b.Name})
	gotA, err := f.s.Unit(ctx, a.ID)
	ok(t, err)
	same(t, "Unit with hours", gotA, a)

	tests := []struct {
		name string
		u    station.Unit
	}{
		{"duplicate code", station.Unit{ID: f.ids.New(), Code: a.Code, Name: "Autre"}},
		{"duplicate id", station.Unit{ID: a.ID, Code: "OTHER", Name: "Autre"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.CreateUnit(ctx, tt.u), guichet.ErrConflict)
		})
	}
	_, err = f.s.Unit(ctx, f.ids.New())
	is(t, err, guichet.ErrNotFound)
}

func testSlots(t *testing.T, f *fixture) {
	ctx := f.ctx()
	day := f.now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	// Created out of order; two share a start.
	s3 := f.newSlot(day.Add(10*time.Hour), 2)
	s1 := f.newSlot(day.Add(9*time.Hour), 1)
	s2 := f.newSlot(day.Add(9*time.Hour+30*time.Minute), 3)
	s2b := f.newSlot(day.Add(9*time.Hour+30*time.Minute), 1)
	s4 := f.newSlot(day.Add(24*time.Hour), 1)
	other := f.newUnit("CSP-OTHER", "Autre commissariat")
	ok(t, f.s.CreateSlot(ctx, station.Slot{ID: f.ids.New(), UnitID: other.ID, Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Capacity: 1}))
	booked := station.Slot{ID: f.ids.New(), UnitID: other.ID, Start: day, End: day.Add(time.Hour), Capacity: 4, Booked: 2}
	ok(t, f.s.CreateSlot(ctx, booked))

	got, err := f.s.Slot(ctx, s2.ID)
	ok(t, err)
	same(t, "Slot", got, s2)
	got, err = f.s.Slot(ctx, booked.ID)
	ok(t, err)
	same(t, "Slot created with places booked", got, booked)
	_, err = f.s.Slot(ctx, f.ids.New())
	is(t, err, guichet.ErrNotFound)

	second, third := s2, s2b
	if s2b.ID < s2.ID {
		second, third = s2b, s2
	}
	unit := f.defaultUnit().ID
	windows := []struct {
		name     string
		from, to time.Time
		want     []station.Slot
	}{
		{"whole day", day, day.Add(24 * time.Hour), []station.Slot{s1, second, third, s3}},
		{"from is inclusive", s2.Start, day.Add(24 * time.Hour), []station.Slot{second, third, s3}},
		{"to is exclusive", day, s3.Start, []station.Slot{s1, second, third}},
		{"two days", day, day.Add(48 * time.Hour), []station.Slot{s1, second, third, s3, s4}},
		{"empty window", day.Add(time.Hour), day.Add(2 * time.Hour), []station.Slot{}},
	}
	for _, w := range windows {
		t.Run(w.name, func(t *testing.T) {
			f := f.sub(t)
			got, err := f.s.ListSlots(ctx, unit, w.from, w.to)
			ok(t, err)
			same(t, "ListSlots", got, w.want)
		})
	}
	_, err = f.s.ListSlots(ctx, f.ids.New(), day, day.Add(24*time.Hour))
	is(t, err, guichet.ErrNotFound)

	bad := []struct {
		name string
		s    station.Slot
		kind error
	}{
		{"unknown unit", station.Slot{ID: f.ids.New(), UnitID: f.ids.New(), Start: day, End: day.Add(time.Hour), Capacity: 1}, guichet.ErrNotFound},
		{"end before start", station.Slot{ID: f.ids.New(), UnitID: unit, Start: day, End: day.Add(-time.Hour), Capacity: 1}, guichet.ErrInvalid},
		{"negative capacity", station.Slot{ID: f.ids.New(), UnitID: unit, Start: day, End: day.Add(time.Hour), Capacity: -1}, guichet.ErrInvalid},
		{"overbooked", station.Slot{ID: f.ids.New(), UnitID: unit, Start: day, End: day.Add(time.Hour), Capacity: 1, Booked: 2}, guichet.ErrInvalid},
		{"duplicate id", station.Slot{ID: s1.ID, UnitID: unit, Start: day, End: day.Add(time.Hour), Capacity: 1}, guichet.ErrConflict},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			is(t, f.s.CreateSlot(ctx, tt.s), tt.kind)
		})
	}
}

func testCreateSlots(t *testing.T, f *fixture) {
	ctx := f.ctx()
	day := f.now.Truncate(24 * time.Hour).Add(48 * time.Hour)
	unit := f.defaultUnit().ID
	slot := func(start time.Time, capacity, booked int) station.Slot {
		return station.Slot{ID: f.ids.New(), UnitID: unit, Start: start, End: start.Add(30 * time.Minute), Capacity: capacity, Booked: booked}
	}
	ok(t, f.s.CreateSlots(ctx, nil))
	batch := []station.Slot{slot(day.Add(10*time.Hour), 2, 0), slot(day.Add(9*time.Hour), 1, 1), slot(day.Add(9*time.Hour+30*time.Minute), 3, 0)}
	ok(t, f.s.CreateSlots(ctx, batch))
	got, err := f.s.ListSlots(ctx, unit, day, day.Add(24*time.Hour))
	ok(t, err)
	same(t, "ListSlots after CreateSlots", got, []station.Slot{batch[1], batch[2], batch[0]})

	// One bad slot: nothing of its batch is stored.
	later := day.Add(24 * time.Hour)
	bad := []struct {
		name string
		s    station.Slot
		kind error
	}{
		{"unknown unit", station.Slot{ID: f.ids.New(), UnitID: f.ids.New(), Start: later, End: later.Add(time.Hour), Capacity: 1}, guichet.ErrNotFound},
		{"overbooked", slot(later, 1, 2), guichet.ErrInvalid},
		{"duplicate id", station.Slot{ID: batch[0].ID, UnitID: unit, Start: later, End: later.Add(time.Hour), Capacity: 1}, guichet.ErrConflict},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			f := f.sub(t)
			good := slot(later.Add(9*time.Hour), 2, 0)
			is(t, f.s.CreateSlots(ctx, []station.Slot{good, tt.s}), tt.kind)
			_, err := f.s.Slot(ctx, good.ID)
			is(t, err, guichet.ErrNotFound)
		})
	}
}
