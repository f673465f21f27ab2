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
