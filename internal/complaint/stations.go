package complaint

import (
	"context"

	"github.com/guichet/guichet/internal/station"
)

// Stations ranks the units taking appointments by nearness to the query (a
// postcode or town) or to coordinates. A postcode or town whose position
// is known (station.Locate) ranks them by distance from it, nearest first,
// each with its distance; others by département, without distances.
func (s *Service) Stations(ctx context.Context, query string, lat, lon float64, haveCoords bool) ([]station.Ranked, error) {
	if !haveCoords {
		lat, lon, haveCoords = station.Locate(query)
	}
	units, err := s.d.Store.ListUnits(ctx)
	if err != nil {
		return nil, err
	}
	open := units[:0:0]
	for _, u := range units {
		if u.AcceptsAppointments {
			open = append(open, u)
		}
	}
	return station.Rank(open, query, lat, lon, haveCoords), nil
}

// Unit returns one unit.
func (s *Service) Unit(ctx context.Context, id string) (station.Unit, error) {
	return s.d.Store.Unit(ctx, id)
}

// FreeSlots returns the unit's slots with a free place, from MinNotice
// ahead to SlotHorizon.
func (s *Service) FreeSlots(ctx context.Context, unitID string) ([]station.Slot, error) {
	now := s.d.Clock.Now()
	all, err := s.d.Store.ListSlots(ctx, unitID, now.Add(s.cfg.MinNotice), now.Add(s.cfg.SlotHorizon))
	if err != nil {
		return nil, err
	}
	free := all[:0:0]
	for _, sl := range all {
		if sl.Free() > 0 {
			free = append(free, sl)
		}
	}
	return free, nil
}
