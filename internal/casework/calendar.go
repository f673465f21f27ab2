package casework

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// unitInScope checks that p may run unit's calendar.
func unitInScope(p account.Principal, unitID string) error {
	if !p.CanSeeUnit(unitID) {
		return notFound("unit " + unitID)
	}
	return nil
}

// Calendar returns the unit's slots starting in [from, to) with the
// references of the cases booked on each.
func (s *Service) Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]SlotView, error) {
	if err := unitInScope(p, unitID); err != nil {
		return nil, err
	}
	slots, err := s.d.Store.ListSlots(ctx, unitID, from, to)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	booked, err := s.d.Store.SlotBookings(ctx, unitID, from, to)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	out := make([]SlotView, 0, len(slots))
	for _, sl := range slots {
		refs := booked[sl.ID]
		if refs == nil {
			refs = []string{}
		}
		out = append(out, SlotView{Slot: sl, Refs: refs})
	}
	return out, nil
}

// MaxSlotCapacity bounds the places of one slot.
const MaxSlotCapacity = 50

// OpenSlot adds a slot to the unit's calendar and returns it. Bad times or
// capacity fail with a *guichet.ValidationError (fields "start", "end",
// "capacity").
func (s *Service) OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*SlotView, error) {
	if err := unitInScope(p, unitID); err != nil {
		return nil, err
	}
	var v guichet.ValidationError
	now := s.d.Clock.Now()
	switch {
	case start.IsZero():
		v.Add("start", "err.required")
	case start.Before(now):
		v.Add("start", "err.slot.past")
	}
	switch {
	case end.IsZero():
		v.Add("end", "err.required")
	case !start.IsZero() && (!end.After(start) || end.Sub(start) > 8*time.Hour):
		v.Add("end", "err.slot.end")
	}
	if capacity < 1 || capacity > MaxSlotCapacity {
		v.Add("capacity", "err.slot.capacity", MaxSlotCapacity)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	sl := station.Slot{ID: s.d.IDs.New(), UnitID: unitID, Start: start, End: end, Capacity: capacity}
	if err := s.d.Store.CreateSlot(ctx, sl); err != nil {
		return nil, fmt.Errorf("open slot: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "slot opened", "unit", unitID, "slot", sl.ID, "agent", p.Pseudonym)
	stored, err := s.d.Store.Slot(ctx, sl.ID)
	if err != nil {
		return nil, err
	}
	return &SlotView{Slot: stored, Refs: []string{}}, nil
}

// slotInScope loads a slot of one of p's units.
func (s *Service) slotInScope(ctx context.Context, p account.Principal, slotID string) (station.Slot, error) {
	sl, err := s.d.Store.Slot(ctx, slotID)
	if err != nil {
		return station.Slot{}, fmt.Errorf("slot %s: %w", slotID, err)
	}
	if err := unitInScope(p, sl.UnitID); err != nil {
		return station.Slot{}, notFound("slot " + slotID)
	}
	return sl, nil
}

// SetCapacity changes a slot's capacity; below its bookings fails with a
// *guichet.ValidationError on field "capacity".
func (s *Service) SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error {
	if _, err := s.slotInScope(ctx, p, slotID); err != nil {
		return err
	}
	var v guichet.ValidationError
	if capacity < 0 || capacity > MaxSlotCapacity {
		v.Add("capacity", "err.slot.capacity", MaxSlotCapacity)
		return v.Err()
	}
	if _, err := s.d.Store.SetSlotCapacity(ctx, slotID, capacity); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			v.Add("capacity", "err.slot.below_booked")
			return v.Err()
		}
		return err
	}
	s.d.Logger.InfoContext(ctx, "slot capacity set", "slot", slotID, "capacity", capacity, "agent", p.Pseudonym)
	return nil
}

// CloseSlot stops new bookings on a slot: its capacity becomes its number
// of bookings (those keep their place).
func (s *Service) CloseSlot(ctx context.Context, p account.Principal, slotID string) error {
	if _, err := s.slotInScope(ctx, p, slotID); err != nil {
		return err
	}
	if _, err := s.d.Store.SetSlotCapacity(ctx, slotID, -1); err != nil {
		return err
	}
	s.d.Logger.InfoContext(ctx, "slot closed", "slot", slotID, "agent", p.Pseudonym)
	return nil
}

// Reschedule moves the case's appointment to another slot of its unit, as
// the citizen's reschedule does, the actor being the agent. A full or gone
// slot fails with a *guichet.ValidationError on field "slot_id"; a final
// case with guichet.ErrConflict.
func (s *Service) Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return err
	}
	if !complaint.Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	now := s.d.Clock.Now()
	var v guichet.ValidationError
	slot, err := s.d.Store.Slot(ctx, slotID)
	if err != nil || slot.UnitID != c.UnitID || slot.Start.Before(now) {
		v.Add("slot_id", "err.slot.gone")
		return v.Err()
	}
	ev := s.event(c.ID, casefile.EventAppointmentChanged, p, now, true, map[string]string{
		"unit": slot.UnitID, "start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
	})
	if err := s.d.Store.Reschedule(ctx, c.ID, slot.ID, []casefile.Event{ev}); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			v.Add("slot_id", "err.slot.full")
			return v.Err()
		}
		return fmt.Errorf("case %s: reschedule: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment rescheduled by agent", "ref", c.Ref, "agent", p.Pseudonym)
	return nil
}
