package alert

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// bruteNearest is the reference: every available unit, sorted.
func bruteNearest(units map[string]UnitPosition, lat, lon float64, k int) []NearUnit {
	var all []NearUnit
	for _, u := range units {
		if u.Available {
			all = append(all, NearUnit{UnitPosition: u, KM: Haversine(lat, lon, u.Lat, u.Lon)})
		}
	}
	slices.SortFunc(all, func(a, b NearUnit) int {
		if a.KM != b.KM {
			if a.KM < b.KM {
				return -1
			}
			return 1
		}
		return cmpString(a.ID, b.ID)
	})
	return all[:min(k, len(all))]
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// metropole draws a position in mainland France's bounding box.
func metropole(r *rand.Rand) (float64, float64) {
	return 42.3 + r.Float64()*(51.1-42.3), -4.8 + r.Float64()*(8.2+4.8)
}

func TestFleetNearestMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name  string
		cell  float64
		n     int
		place func(*rand.Rand) (float64, float64)
	}{
		{"metropole, default cells", 0, 2000, metropole},
		{"metropole, coarse cells", 1, 500, metropole},
		{"one city, fine cells", 0.005, 800, func(r *rand.Rand) (float64, float64) {
			return 48.80 + r.Float64()*0.12, 2.25 + r.Float64()*0.17
		}},
		// France and its overseas départements: a query in Réunion must not
		// be answered from the mainland, nor the reverse.
		{"with overseas", 0, 1500, func(r *rand.Rand) (float64, float64) {
			switch r.IntN(4) {
			case 0:
				return -21.4 + r.Float64()*0.5, 55.2 + r.Float64()*0.6 // Réunion
			case 1:
				return 14.4 + r.Float64()*0.5, -61.2 + r.Float64()*0.4 // Martinique
			}
			return metropole(r)
		}},
		{"high latitude", 0, 400, func(r *rand.Rand) (float64, float64) {
			return 78 + r.Float64()*10, -20 + r.Float64()*40
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := NewFleet(tc.cell)
			units := map[string]UnitPosition{}
			for i := range tc.n {
				lat, lon := tc.place(r)
				u := UnitPosition{ID: fmt.Sprintf("u%05d", i), Lat: lat, Lon: lon, Available: r.IntN(4) != 0}
				if !f.Set(u) {
					t.Fatalf("Set(%+v) refused", u)
				}
				units[u.ID] = u
			}
			check := func(step string) {
				t.Helper()
				for q := range 200 {
					lat, lon := tc.place(r)
					if q%10 == 0 { // now and then, far from every unit
						lat, lon = -60+r.Float64()*130, -170+r.Float64()*340
					}
					k := 1 + r.IntN(8)
					got, want := f.Nearest(lat, lon, k), bruteNearest(units, lat, lon, k)
					if len(got) != len(want) {
						t.Fatalf("%s: Nearest(%.4f, %.4f, %d): %d units, want %d", step, lat, lon, k, len(got), len(want))
					}
					for i := range got {
						if got[i].ID != want[i].ID || math.Abs(got[i].KM-want[i].KM) > 1e-9 {
							t.Fatalf("%s: Nearest(%.4f, %.4f, %d)[%d] = %s at %.3f km, want %s at %.3f km",
								step, lat, lon, k, i, got[i].ID, got[i].KM, want[i].ID, want[i].KM)
						}
					}
				}
			}
			check("filled")
			// Units move, go on and off duty, leave.
			for i := range tc.n / 2 {
				id := fmt.Sprintf("u%05d", r.IntN(tc.n))
				if _, ok := units[id]; !ok {
					continue
				}
				switch i % 3 {
				case 0:
					lat, lon := tc.place(r)
					u := units[id]
					u.Lat, u.Lon = lat, lon
					f.Set(u)
					units[id] = u
				case 1:
					u := units[id]
					u.Available = !u.Available
					f.Set(u)
					units[id] = u
				case 2:
					f.Remove(id)
					delete(units, id)
				}
			}
			if f.Len() != len(units) {
				t.Fatalf("Len = %d, want %d", f.Len(), len(units))
			}
			check("after moves")
		})
	}
}

func TestFleetEdges(t *testing.T) {
	f := NewFleet(0)
	if got := f.Nearest(48.85, 2.35, 3); got != nil {
		t.Errorf("empty fleet: %v", got)
	}
	for _, bad := range []UnitPosition{{ID: "a", Lat: math.NaN()}, {ID: "b", Lat: 91}, {ID: "c", Lon: -181}} {
		if f.Set(bad) {
			t.Errorf("Set(%+v) accepted", bad)
		}
	}
	if f.Len() != 0 {
		t.Fatalf("invalid positions were kept: %d", f.Len())
	}
	f.Set(UnitPosition{ID: "busy", Lat: 48.85, Lon: 2.35})
	if got := f.Nearest(48.85, 2.35, 1); len(got) != 0 {
		t.Errorf("an unavailable unit was offered: %v", got)
	}
	f.Set(UnitPosition{ID: "free", Lat: 45.76, Lon: 4.83, Available: true})
	got := f.Nearest(48.85, 2.35, 5)
	if len(got) != 1 || got[0].ID != "free" || math.Abs(got[0].KM-392) > 3 {
		t.Errorf("Paris → Lyon: %+v, want the one free unit about 392 km away", got)
	}
	for _, q := range [][2]float64{{math.NaN(), 0}, {0, 200}} {
		if got := f.Nearest(q[0], q[1], 1); got != nil {
			t.Errorf("Nearest(%v) = %v", q, got)
		}
	}
	if got := f.Nearest(48.85, 2.35, 0); got != nil {
		t.Errorf("k = 0: %v", got)
	}
	f.Remove("nobody")
	f.Remove("free")
	if got := f.Nearest(48.85, 2.35, 1); len(got) != 0 {
		t.Errorf("a removed unit was offered: %v", got)
	}
}

func TestFleetConcurrent(t *testing.T) {
	f := NewFleet(0)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range 2000 {
				lat, lon := metropole(r)
				f.Set(UnitPosition{ID: fmt.Sprintf("w%d-%d", w, i%50), Lat: lat, Lon: lon, Available: i%3 != 0})
				f.Nearest(lat, lon, 3)
			}
		})
	}
	wg.Wait()
	if f.Len() != 200 {
		t.Errorf("Len = %d, want 200", f.Len())
	}
}

func TestHaversine(t *testing.T) {
	// Paris (Notre-Dame) to Lyon (Bellecour): about 392 km.
	if d := Haversine(48.853, 2.3499, 45.7578, 4.832); math.Abs(d-392) > 3 {
		t.Errorf("Paris–Lyon = %.1f km", d)
	}
	if d := Haversine(10, 20, 10, 20); d != 0 {
		t.Errorf("same point: %v", d)
	}
	// Antipodes: half the circumference, no NaN from rounding.
	if d := Haversine(0, 0, 0, 180); math.Abs(d-math.Pi*6371) > 1e-6 {
		t.Errorf("antipodes = %v", d)
	}
}

// BenchmarkFleetNearest: the three nearest available units among 5,000
// spread over mainland France (issue: < 50 µs).
func BenchmarkFleetNearest(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		b.Run(fmt.Sprintf("units=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			f := NewFleet(0)
			for i := range n {
				lat, lon := metropole(r)
				f.Set(UnitPosition{ID: fmt.Sprintf("u%d", i), Lat: lat, Lon: lon, Available: i%4 != 0})
			}
			qs := make([][2]float64, 1024)
			for i := range qs {
				qs[i][0], qs[i][1] = metropole(r)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				q := qs[i%len(qs)]
				if len(f.Nearest(q[0], q[1], 3)) != 3 {
					b.Fatal("fewer than 3 units")
				}
			}
		})
	}
}

// BenchmarkFleetMove: one unit's position update.
func BenchmarkFleetMove(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	f := NewFleet(0)
	for i := range 5000 {
		lat, lon := metropole(r)
		f.Set(UnitPosition{ID: fmt.Sprintf("u%d", i), Lat: lat, Lon: lon, Available: true})
	}
	for i := 0; b.Loop(); i++ {
		lat, lon := metropole(r)
		f.Set(UnitPosition{ID: fmt.Sprintf("u%d", i%5000), Lat: lat, Lon: lon, Available: true})
	}
}

func TestFleetAround(t *testing.T) {
	f := NewFleet(0)
	f.Set(UnitPosition{ID: "far", Lat: 45.0, Lon: 4.0, Available: true})
	f.Set(UnitPosition{ID: "busy", Lat: 48.8540, Lon: 2.3480})
	f.Set(UnitPosition{ID: "free", Lat: 48.8600, Lon: 2.3500, Available: true})
	got := f.Around(48.8534, 2.3484, 3)
	if len(got) != 2 || got[0].ID != "busy" || got[1].ID != "free" || got[0].KM > got[1].KM {
		t.Fatalf("Around = %+v, want busy then free", got)
	}
	if u, ok := f.Unit("busy"); !ok || u.Available {
		t.Errorf("Unit(busy) = %+v, %v", u, ok)
	}
	if _, ok := f.Unit("none"); ok {
		t.Error("Unit(none) found")
	}
}
