package station

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// place is a postcode or town with its approximate position.
type place struct {
	Postcode string
	Town     string
	Lat, Lon float64
}

// places is a small table of positions for the postcodes and towns of the
// demonstration's units and citizens (Paris, Lyon and Marseille by
// arrondissement, and the other towns of the seed).
//
// The positions are approximate centres of each commune or arrondissement,
// rounded to about a hundred metres, written for this table from public
// maps; they are NOT an official data set and are good enough only to say
// "about 2 km" and to sort units nearest first. A real deployment would
// load the official postcode base (La Poste's « base officielle des codes
// postaux », with positions from the IGN) in their place. An unknown
// postcode is no error: units are then ranked by département, without
// distances (see Rank).
var places = []place{
	{"75001", "Paris 1er", 48.8625, 2.3363}, {"75002", "Paris 2e", 48.8683, 2.3428},
	{"75003", "Paris 3e", 48.8630, 2.3601}, {"75004", "Paris 4e", 48.8543, 2.3576},
	{"75005", "Paris 5e", 48.8445, 2.3497}, {"75006", "Paris 6e", 48.8491, 2.3328},
	{"75007", "Paris 7e", 48.8562, 2.3121}, {"75008", "Paris 8e", 48.8727, 2.3125},
	{"75009", "Paris 9e", 48.8771, 2.3375}, {"75010", "Paris 10e", 48.8762, 2.3608},
	{"75011", "Paris 11e", 48.8591, 2.3800}, {"75012", "Paris 12e", 48.8412, 2.3876},
	{"75013", "Paris 13e", 48.8283, 2.3623}, {"75014", "Paris 14e", 48.8292, 2.3265},
	{"75015", "Paris 15e", 48.8401, 2.2931}, {"75016", "Paris 16e", 48.8604, 2.2620},
	{"75017", "Paris 17e", 48.8873, 2.3067}, {"75018", "Paris 18e", 48.8925, 2.3484},
	{"75019", "Paris 19e", 48.8871, 2.3848}, {"75020", "Paris 20e", 48.8634, 2.4012},
	{"", "Paris", 48.8566, 2.3522},
	{"93400", "Saint-Ouen-sur-Seine", 48.9118, 2.3340},
	{"69001", "Lyon 1er", 45.7676, 4.8344}, {"69002", "Lyon 2e", 45.7490, 4.8270},
	{"69003", "Lyon 3e", 45.7597, 4.8497}, {"69004", "Lyon 4e", 45.7785, 4.8262},
	{"69005", "Lyon 5e", 45.7560, 4.8030}, {"69006", "Lyon 6e", 45.7695, 4.8520},
	{"69007", "Lyon 7e", 45.7370, 4.8400}, {"69008", "Lyon 8e", 45.7340, 4.8690},
	{"69009", "Lyon 9e", 45.7740, 4.8050},
	{"", "Lyon", 45.7640, 4.8357},
	{"69100", "Villeurbanne", 45.7719, 4.8902},
	{"69200", "Vénissieux", 45.6973, 4.8857},
	{"69500", "Bron", 45.7386, 4.9131},
	{"13001", "Marseille 1er", 43.2999, 5.3840}, {"13002", "Marseille 2e", 43.3120, 5.3630},
	{"13003", "Marseille 3e", 43.3120, 5.3800}, {"13004", "Marseille 4e", 43.3060, 5.4010},
	{"13005", "Marseille 5e", 43.2930, 5.3970}, {"13006", "Marseille 6e", 43.2870, 5.3790},
	{"13007", "Marseille 7e", 43.2830, 5.3600}, {"13008", "Marseille 8e", 43.2400, 5.3750},
	{"13009", "Marseille 9e", 43.2340, 5.4500}, {"13010", "Marseille 10e", 43.2760, 5.4260},
	{"13011", "Marseille 11e", 43.2880, 5.4840}, {"13012", "Marseille 12e", 43.3070, 5.4400},
	{"13013", "Marseille 13e", 43.3490, 5.4330}, {"13014", "Marseille 14e", 43.3450, 5.3900},
	{"13015", "Marseille 15e", 43.3590, 5.3630}, {"13016", "Marseille 16e", 43.3640, 5.3140},
	{"", "Marseille", 43.2965, 5.3698},
	{"13210", "Saint-Rémy-de-Provence", 43.7889, 4.8317},
	{"26000", "Valence", 44.9334, 4.8924},
	{"29200", "Brest", 48.3904, -4.4861},
	{"31000", "Toulouse", 43.6045, 1.4440},
	{"33000", "Bordeaux", 44.8378, -0.5792},
	{"56000", "Vannes", 47.6582, -2.7608},
	{"59000", "Lille", 50.6292, 3.0573}, {"59800", "Lille", 50.6366, 3.0700},
	{"71000", "Mâcon", 46.3069, 4.8287},
	{"74400", "Chamonix-Mont-Blanc", 45.9237, 6.8694},
}

// Locate returns the approximate position of the postcode or town named
// by query, from the built-in table above; ok is false for a place it
// does not know. Towns match whatever their case and accents ("macon" is
// Mâcon); a town with several postcodes is placed at its centre.
func Locate(query string) (lat, lon float64, ok bool) {
	q := strings.TrimSpace(query)
	if q == "" {
		return 0, 0, false
	}
	if isDigits(q) {
		for _, p := range places {
			if p.Postcode == q {
				return p.Lat, p.Lon, true
			}
		}
		return 0, 0, false
	}
	key := foldName(q)
	for _, p := range places {
		if foldName(p.Town) == key {
			return p.Lat, p.Lon, true
		}
	}
	return 0, 0, false
}

// foldName compares town names: lower case, no accents, hyphens and
// apostrophes as spaces, spaces collapsed.
func foldName(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-' || r == '\'' || r == '’' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
