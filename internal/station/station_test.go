package station

import (
	"slices"
	"testing"
)

func TestRank(t *testing.T) {
	units := []Unit{
		{ID: "cham", Name: "Chamonix", Postcode: "74400", City: "Chamonix-Mont-Blanc", Lat: 45.92, Lon: 6.87},
		{ID: "macon", Name: "Mâcon", Postcode: "71000", City: "Mâcon", Lat: 46.31, Lon: 4.83},
		{ID: "lyon3", Name: "Lyon 3e", Postcode: "69003", City: "Lyon", Lat: 45.76, Lon: 4.85},
		{ID: "villeur", Name: "Villeurbanne", Postcode: "69100", City: "Villeurbanne", Lat: 45.77, Lon: 4.88},
		{ID: "paris", Name: "Paris 5e", Postcode: "75005", City: "Paris", Lat: 48.85, Lon: 2.35},
		{ID: "ajac", Name: "Ajaccio", Postcode: "20000", City: "Ajaccio", Lat: 41.93, Lon: 8.74},
	}
	ids := func(rs []Ranked) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		query    string
		lat, lon float64
		coords   bool
		want     []string
	}{
		{"postcode: same, then département, then by distance", "69003", 0, 0, false, []string{"lyon3", "villeur", "macon", "cham", "paris", "ajac"}},
		{"another postcode", "71000", 0, 0, false, []string{"macon", "villeur", "lyon3", "cham", "paris", "ajac"}},
		{"town name", "paris", 0, 0, false, []string{"paris", "macon", "lyon3", "villeur", "cham", "ajac"}},
		{"nothing matches: by name", "xyz", 0, 0, false, []string{"ajac", "cham", "lyon3", "macon", "paris", "villeur"}},
		{"empty: by name", "", 0, 0, false, []string{"ajac", "cham", "lyon3", "macon", "paris", "villeur"}},
		{"coordinates win", "75005", 45.9, 6.9, true, []string{"cham", "villeur", "lyon3", "macon", "ajac", "paris"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Rank(units, tc.query, tc.lat, tc.lon, tc.coords)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("Rank(%q) = %v, want %v", tc.query, ids(got), tc.want)
			}
			if len(got) != len(units) {
				t.Errorf("dropped units")
			}
			for _, r := range got {
				if tc.coords != (r.DistanceKm >= 0) {
					t.Errorf("%s: DistanceKm %v with coords=%v", r.ID, r.DistanceKm, tc.coords)
				}
			}
		})
	}
}

// TestLocate: the postcodes and towns of the table are found, whatever
// the case and accents of a town; others are not.
func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		q        string
		ok       bool
		lat, lon float64
	}{
		{"69003", true, 45.7597, 4.8497},
		{" 75018 ", true, 48.8925, 2.3484},
		{"macon", true, 46.3069, 4.8287},
		{"SAINT REMY DE PROVENCE", true, 43.7889, 4.8317},
		{"Lyon", true, 45.7640, 4.8357},
		{"69999", false, 0, 0},
		{"Trifouilly", false, 0, 0},
		{"", false, 0, 0},
	} {
		lat, lon, ok := Locate(tc.q)
		if ok != tc.ok || lat != tc.lat || lon != tc.lon {
			t.Errorf("Locate(%q) = %v, %v, %v; want %v, %v, %v", tc.q, lat, lon, ok, tc.lat, tc.lon, tc.ok)
		}
	}
	// Every postcode is five digits and appears once; every position is in
	// metropolitan France.
	seen := map[string]bool{}
	for _, p := range places {
		if p.Postcode != "" && (len(p.Postcode) != 5 || !isDigits(p.Postcode) || seen[p.Postcode]) {
			t.Errorf("postcode %q malformed or twice", p.Postcode)
		}
		seen[p.Postcode] = true
		if p.Lat < 41 || p.Lat > 51.2 || p.Lon < -5.2 || p.Lon > 9.6 {
			t.Errorf("%s %s: position %v, %v outside France", p.Postcode, p.Town, p.Lat, p.Lon)
		}
	}
	// From 69003, the Lyon 3e station is nearest, about 0.1 km away, and
	// Villeurbanne follows at about 3 km.
	lat, lon, _ := Locate("69003")
	r := Rank([]Unit{
		{ID: "v", Name: "Villeurbanne", Lat: 45.77, Lon: 4.88},
		{ID: "c", Name: "Chamonix", Lat: 45.9237, Lon: 6.8694},
		{ID: "l", Name: "Lyon 3e", Lat: 45.7605, Lon: 4.85},
	}, "", lat, lon, true)
	if r[0].ID != "l" || r[1].ID != "v" || r[2].ID != "c" || r[0].DistanceKm > 0.2 || r[1].DistanceKm < 2 || r[1].DistanceKm > 4 {
		t.Errorf("ranked from 69003: %+v", r)
	}
}
