package alert

import (
	"math"
	"slices"
	"sync"
)

// Fleet is a spatial index of the units a dispatcher can send (patrols,
// crews), with their last known position and whether they are available,
// answering "the k nearest available units" in microseconds for a few
// thousand units, while positions change every few seconds.
//
// It is a uniform grid over latitude and longitude: each unit lives in one
// cell; a query walks square rings of cells outwards from the query's cell
// and stops once no cell further out can hold a unit nearer than the k-th
// found. Distances are great-circle (haversine) kilometres. The zero value
// is not usable; call NewFleet. A Fleet is safe for concurrent use.
//
// The grid does not wrap at the antimeridian: units on the other side of
// longitude ±180° from a query are found only if nothing nearer is. A
// dispatcher's area never spans it (Wallis-et-Futuna and New Caledonia
// lie on either side of it, each its own area).
type Fleet struct {
	mu    sync.RWMutex
	cell  float64 // cell side, in degrees
	units map[string]*fleetUnit
	grid  map[cellKey][]*fleetUnit
	// bounds of the cells that hold units, to stop walking rings that
	// cannot hold any.
	minX, maxX, minY, maxY int
}

type cellKey struct{ x, y int }

type fleetUnit struct {
	UnitPosition
	at cellKey
}

// UnitPosition is a unit as the fleet knows it.
type UnitPosition struct {
	ID        string
	Lat, Lon  float64
	Available bool
}

// NearUnit is one answer of Nearest: a unit and its distance.
type NearUnit struct {
	UnitPosition
	KM float64
}

// DefaultCellDegrees is the grid's cell side: 0.05° is about 5.5 km north
// to south, 3.7 km east to west in France — a city's units spread over a
// few cells, a rural département's over a few dozen.
const DefaultCellDegrees = 0.05

// NewFleet returns an empty fleet whose grid cells are cellDegrees wide
// (DefaultCellDegrees when cellDegrees <= 0).
func NewFleet(cellDegrees float64) *Fleet {
	if cellDegrees <= 0 {
		cellDegrees = DefaultCellDegrees
	}
	return &Fleet{cell: cellDegrees, units: map[string]*fleetUnit{}, grid: map[cellKey][]*fleetUnit{}}
}

func (f *Fleet) keyOf(lat, lon float64) cellKey {
	return cellKey{int(math.Floor(lon / f.cell)), int(math.Floor(lat / f.cell))}
}

// validPosition reports whether lat, lon is a position on Earth.
func validPosition(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && !math.IsNaN(lat) && !math.IsNaN(lon)
}

// Set records unit u's position and availability, adding the unit if it
// is new. A position off the Earth (NaN, latitude past ±90°) is refused:
// Set returns false and the fleet is unchanged.
func (f *Fleet) Set(u UnitPosition) bool {
	if !validPosition(u.Lat, u.Lon) {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	k := f.keyOf(u.Lat, u.Lon)
	if old, ok := f.units[u.ID]; ok {
		if old.at == k {
			old.UnitPosition = u
			return true
		}
		f.unfile(old)
	}
	fu := &fleetUnit{UnitPosition: u, at: k}
	f.units[u.ID] = fu
	if len(f.units) == 1 {
		f.minX, f.maxX, f.minY, f.maxY = k.x, k.x, k.y, k.y
	} else {
		f.minX, f.maxX = min(f.minX, k.x), max(f.maxX, k.x)
		f.minY, f.maxY = min(f.minY, k.y), max(f.maxY, k.y)
	}
	f.grid[k] = append(f.grid[k], fu)
	return true
}

// Remove forgets unit id; removing an unknown unit does nothing.
func (f *Fleet) Remove(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, ok := f.units[id]; ok {
		f.unfile(u)
		delete(f.units, id)
	}
}

// unfile takes u out of its cell. The bounds are left as they are: they
// only ever cover more than needed, which costs a few empty rings.
func (f *Fleet) unfile(u *fleetUnit) {
	cell := f.grid[u.at]
	if i := slices.Index(cell, u); i >= 0 {
		cell[i] = cell[len(cell)-1]
		cell[len(cell)-1] = nil
		cell = cell[:len(cell)-1]
	}
	if len(cell) == 0 {
		delete(f.grid, u.at)
	} else {
		f.grid[u.at] = cell
	}
}

// Len returns how many units the fleet holds.
func (f *Fleet) Len() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.units)
}

// Nearest returns up to k available units nearest to lat, lon, nearest
// first (ties by ID), each with its distance. It returns nothing for an
// invalid position or k < 1.
func (f *Fleet) Nearest(lat, lon float64, k int) []NearUnit {
	if k < 1 || !validPosition(lat, lon) {
		return nil
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if len(f.units) == 0 {
		return nil
	}
	c := f.keyOf(lat, lon)
	best := make([]NearUnit, 0, k+1)
	consider := func(u *fleetUnit) {
		if !u.Available {
			return
		}
		d := Haversine(lat, lon, u.Lat, u.Lon)
		if len(best) == k && !closer(d, u.ID, best[k-1]) {
			return
		}
		i, _ := slices.BinarySearchFunc(best, d, func(n NearUnit, d float64) int {
			if n.KM < d || (n.KM == d && n.ID < u.ID) {
				return -1
			}
			return 1
		})
		best = slices.Insert(best, i, NearUnit{UnitPosition: u.UnitPosition, KM: d})
		if len(best) > k {
			best = best[:k]
		}
	}
	maxRing := max(c.x-f.minX, f.maxX-c.x, c.y-f.minY, f.maxY-c.y)
	cosE := math.Cos(f.widestLat(lat) * math.Pi / 180)
	// The first ring that reaches the cells holding units.
	first := max(0, f.minX-c.x, c.x-f.maxX, f.minY-c.y, c.y-f.maxY)
	for r := first; r <= maxRing; r++ {
		// Once k are found, stop at the first ring that cannot hold a unit
		// nearer than the k-th: the floor only grows with r.
		if len(best) == k && ringFloorKM(cosE, f.cell, r) > best[k-1].KM {
			break
		}
		f.ring(c, r, func(cell []*fleetUnit) {
			for _, u := range cell {
				consider(u)
			}
		})
	}
	return best
}

func closer(d float64, id string, n NearUnit) bool {
	return d < n.KM || (d == n.KM && id < n.ID)
}

// ring calls fn with every non-empty cell at Chebyshev distance r from c,
// walking only the part of the ring inside the bounds of the cells that
// hold units.
func (f *Fleet) ring(c cellKey, r int, fn func([]*fleetUnit)) {
	visit := func(x, y int) {
		if cell := f.grid[cellKey{x, y}]; len(cell) > 0 {
			fn(cell)
		}
	}
	if r == 0 {
		visit(c.x, c.y)
		return
	}
	x0, x1 := max(c.x-r, f.minX), min(c.x+r, f.maxX)
	for _, y := range [2]int{c.y - r, c.y + r} {
		if y >= f.minY && y <= f.maxY {
			for x := x0; x <= x1; x++ {
				visit(x, y)
			}
		}
	}
	y0, y1 := max(c.y-r+1, f.minY), min(c.y+r-1, f.maxY)
	for _, x := range [2]int{c.x - r, c.x + r} {
		if x >= f.minX && x <= f.maxX {
			for y := y0; y <= y1; y++ {
				visit(x, y)
			}
		}
	}
}

// widestLat is the greatest absolute latitude of the query and of the
// cells that hold units: no unit lies further from the equator.
func (f *Fleet) widestLat(lat float64) float64 {
	return min(90, max(math.Abs(lat), math.Abs(float64(f.minY)*f.cell), math.Abs(float64(f.maxY+1)*f.cell)))
}

// ringFloorKM is a lower bound of the distance from a point of the query's
// cell to any point of a cell r rings away, for points no further from the
// equator than the latitude whose cosine is cosE. At least r-1 whole cells
// lie between them, in latitude or in longitude. A latitude gap of g
// radians is at least 6371·g km; a longitude gap of g, by the haversine
// formula with both cosines at least cosE, at least 2·6371·asin(cosE·sin(g/2))
// km, which is the smaller of the two. It grows with r, so the first ring
// past the k-th nearest unit ends the search.
func ringFloorKM(cosE, cell float64, r int) float64 {
	if r <= 1 {
		return 0
	}
	gap := math.Min(float64(r-1)*cell, 180) * math.Pi / 180
	return 2 * 6371.0 * math.Asin(cosE*math.Sin(gap/2))
}

// Haversine returns the great-circle distance in kilometres.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * 6371.0 * math.Asin(math.Sqrt(min(a, 1)))
}

// Around returns every unit, available or not, within km kilometres of
// lat, lon, nearest first (ties by ID): what a map of the place shows.
// It walks the whole fleet; a map is drawn far less often than Nearest is
// asked.
func (f *Fleet) Around(lat, lon, km float64) []NearUnit {
	if !validPosition(lat, lon) || km <= 0 {
		return nil
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	var out []NearUnit
	for _, u := range f.units {
		if d := Haversine(lat, lon, u.Lat, u.Lon); d <= km {
			out = append(out, NearUnit{UnitPosition: u.UnitPosition, KM: d})
		}
	}
	slices.SortFunc(out, func(a, b NearUnit) int {
		switch {
		case a.KM < b.KM || (a.KM == b.KM && a.ID < b.ID):
			return -1
		case a.KM == b.KM && a.ID == b.ID:
			return 0
		}
		return 1
	})
	return out
}

// Unit returns unit id as the fleet knows it.
func (f *Fleet) Unit(id string) (UnitPosition, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	u, ok := f.units[id]
	if !ok {
		return UnitPosition{}, false
	}
	return u.UnitPosition, true
}
