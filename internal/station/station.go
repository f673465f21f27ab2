// Package station describes the police units that receive citizens and the
// appointment slots they open, and ranks units by distance from a citizen.
package station

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Kind of unit.
type Kind string

// Kinds of unit.
const (
	Commissariat Kind = "commissariat" // police nationale
	Brigade      Kind = "brigade"      // gendarmerie nationale
)

// Unit is a police unit open to the public.
type Unit struct {
	ID       string // UUIDv7
	Code     string // short stable code, e.g. "CSP-LYON3"
	Name     string
	Kind     Kind
	ParentID string // enclosing unit, if any
	Address  string
	Postcode string
	City     string
	Lat, Lon float64
	Phone    string
	// Hours is when the unit receives the public, as data rendered in
	// each language (see Hours.Lines).
	Hours Hours
	// AcceptsAppointments is true when the unit takes pre-complaint
	// appointments.
	AcceptsAppointments bool
}

// Slot is a span of time at a unit during which Capacity citizens can be
// received. Booked never exceeds Capacity: stores enforce it atomically.
type Slot struct {
	ID       string // UUIDv7
	UnitID   string
	Start    time.Time
	End      time.Time
	Capacity int
	Booked   int
}

// Free reports how many places are left.
func (s Slot) Free() int { return s.Capacity - s.Booked }

// Appointment is a case's booking of a slot.
type Appointment struct {
	CaseID string
	SlotID string
	UnitID string
	Start  time.Time
	End    time.Time
}

// Ranked is a unit with its distance from the citizen, when known.
type Ranked struct {
	Unit
	DistanceKm float64 // -1 when unknown
}

// Rank orders units by how near they are to the citizen. When lat/lon are
// given (ok true) units are ranked by great-circle distance. Otherwise a
// postcode or town name is matched: same postcode (or town) first, then same
// département; the units matched stand in for the citizen's position, so
// the rest follow by distance from them (for 69003, Mâcon before Chamonix),
// and by name when nothing matched. It never drops a unit: the citizen can
// always pick any unit.
func Rank(units []Unit, query string, lat, lon float64, haveCoords bool) []Ranked {
	out := make([]Ranked, 0, len(units))
	q := strings.TrimSpace(strings.ToLower(query))
	for _, u := range units {
		r := Ranked{Unit: u, DistanceKm: -1}
		if haveCoords {
			r.DistanceKm = Haversine(lat, lon, u.Lat, u.Lon)
		}
		out = append(out, r)
	}
	if haveCoords {
		sort.SliceStable(out, func(i, j int) bool { return out[i].DistanceKm < out[j].DistanceKm })
		return out
	}
	score := func(u Unit) int {
		if q == "" {
			return 3
		}
		switch {
		case u.Postcode == q:
			return 0
		case len(q) >= 2 && isDigits(q) && strings.HasPrefix(u.Postcode, departement(q)):
			return 1
		case !isDigits(q) && strings.Contains(strings.ToLower(u.City), q):
			return 0
		}
		return 3
	}
	// The anchor is the centre of the best-matching units, if any.
	best, n := 3, 0
	var alat, alon float64
	for _, r := range out {
		switch sc := score(r.Unit); {
		case sc < best:
			best, n, alat, alon = sc, 1, r.Lat, r.Lon
		case sc == best && sc < 3:
			n++
			alat, alon = alat+r.Lat, alon+r.Lon
		}
	}
	anchored := n > 0
	if anchored {
		alat, alon = alat/float64(n), alon/float64(n)
	}
	type key struct {
		score int
		km    float64
	}
	keys := make(map[string]key, len(out))
	for _, r := range out {
		k := key{score: score(r.Unit)}
		if anchored {
			k.km = Haversine(alat, alon, r.Lat, r.Lon)
		}
		keys[r.ID] = k
	}
	sort.SliceStable(out, func(i, j int) bool {
		ki, kj := keys[out[i].ID], keys[out[j].ID]
		if ki.score != kj.score {
			return ki.score < kj.score
		}
		if ki.km != kj.km {
			return ki.km < kj.km
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func departement(postcode string) string {
	if len(postcode) >= 3 && (strings.HasPrefix(postcode, "97") || strings.HasPrefix(postcode, "98")) {
		return postcode[:3]
	}
	return postcode[:2]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Haversine returns the great-circle distance in kilometres.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
