package main

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/station"
)

// escalationLoop calls alerts.Escalate with the clock's time every every
// (default 5 s) until ctx ends. Every node runs it: the store escalates
// each alert once however many nodes ask at the same moment, and the
// escalation is an event, so every console (on any node) hears of it.
func escalationLoop(ctx context.Context, alerts *alert.Service, clock guichet.Clock, every time.Duration, log *slog.Logger) {
	if alerts == nil {
		return
	}
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := alerts.Escalate(ctx, clock.Now()); err != nil && ctx.Err() == nil {
			log.ErrorContext(ctx, "alert escalation failed", "err", err)
		}
	}
}

// unitAreas routes an alert to the dispatchers of the police unit nearest
// to its first position, within areaMaxKM: the unit's own area, the way a
// call to 17 reaches the local command room. Sub-units (a unit with a
// parent) have no dispatchers of their own; their parents cover them.
// The units are read again at most every minute.
type unitAreas struct {
	units interface {
		ListUnits(ctx context.Context) ([]station.Unit, error)
	}
	clock guichet.Clock

	mu     sync.Mutex
	cached []station.Unit
	at     time.Time
}

// areaMaxKM bounds how far an alert may be from a unit to be its: beyond,
// the alert has no unit and every dispatcher sees it.
const areaMaxKM = 30

func newUnitAreas(units interface {
	ListUnits(ctx context.Context) ([]station.Unit, error)
}, clock guichet.Clock) *unitAreas {
	return &unitAreas{units: units, clock: clock}
}

// AreaOf implements alert.AreaFinder.
func (a *unitAreas) AreaOf(ctx context.Context, lat, lon float64) (string, error) {
	a.mu.Lock()
	units, at := a.cached, a.at
	a.mu.Unlock()
	if now := a.clock.Now(); units == nil || now.Sub(at) > time.Minute || now.Before(at) {
		var err error
		if units, err = a.units.ListUnits(ctx); err != nil {
			return "", err
		}
		a.mu.Lock()
		a.cached, a.at = units, now
		a.mu.Unlock()
	}
	best, bestKM := "", math.Inf(1)
	for _, u := range units {
		if u.ParentID != "" {
			continue
		}
		if d := alert.Haversine(lat, lon, u.Lat, u.Lon); d < bestKM && d <= areaMaxKM {
			best, bestKM = u.ID, d
		}
	}
	return best, nil
}
