package report

import (
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/typography"
)

// Place is where a report comes from, as the reporter said: the
// département where they live or where the facts happened, or
// PlaceAbroad; empty when not said. It is never finer than a département:
// at that grain it is not personal data, and it is what statistics per
// département need. Any other value is invalid (see ParsePlace).
type Place string

// PlaceAbroad is a reporter who lives abroad.
const PlaceAbroad Place = "abroad"

// departements are the départements by code, with their names (proper
// names, the same in French and English). 975 is Saint-Pierre-et-Miquelon,
// an overseas collectivity with a code and postcodes of its own;
// Saint-Barthélemy and Saint-Martin share Guadeloupe's postcodes (971).
var departements = map[string]string{
	"01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence", "05": "Hautes-Alpes",
	"06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes", "09": "Ariège", "10": "Aube",
	"11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône", "14": "Calvados", "15": "Cantal",
	"16": "Charente", "17": "Charente-Maritime", "18": "Cher", "19": "Corrèze", "2A": "Corse-du-Sud",
	"2B": "Haute-Corse", "21": "Côte-d’Or", "22": "Côtes-d’Armor", "23": "Creuse", "24": "Dordogne",
	"25": "Doubs", "26": "Drôme", "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère",
	"30": "Gard", "31": "Haute-Garonne", "32": "Gers", "33": "Gironde", "34": "Hérault",
	"35": "Ille-et-Vilaine", "36": "Indre", "37": "Indre-et-Loire", "38": "Isère", "39": "Jura",
	"40": "Landes", "41": "Loir-et-Cher", "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique",
	"45": "Loiret", "46": "Lot", "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire",
	"50": "Manche", "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
	"55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord",
	"60": "Oise", "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme", "64": "Pyrénées-Atlantiques",
	"65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales", "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône",
	"70": "Haute-Saône", "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie",
	"75": "Paris", "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres",
	"80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse",
	"85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
	"90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine", "93": "Seine-Saint-Denis", "94": "Val-de-Marne",
	"95":  "Val-d’Oise",
	"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "975": "Saint-Pierre-et-Miquelon",
	"976": "Mayotte",
}

// byName finds a département by its name folded (lower case, no accents,
// hyphens and apostrophes as spaces): "rhone", "cote d or".
var byName = func() map[string]string {
	m := make(map[string]string, len(departements))
	for code, name := range departements {
		m[foldName(name)] = code
	}
	m["reunion"] = "974"
	return m
}()

func foldName(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ = transform.String(t, s)
	s = strings.Map(func(r rune) rune {
		switch r {
		case '-', '\'', '’', '_':
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// ParsePlace reads a place as a reporter types it, leniently: a postcode
// ("69003", "1000" for 01000, "F-69003"), a département number ("69",
// "1", "2a", "2 B", "974") or name ("Rhône", "cote d'or"), or "abroad"
// ("étranger"). Empty input is no place and is valid. A postcode is kept
// only as its département: Corsica's 200xx–201xx are 2A, 202xx–206xx
// 2B; overseas postcodes 971xx–976xx their three-digit code. Anything
// else (00, 20, 96–99, 977+, Monaco's 980xx, a word) is invalid.
func ParsePlace(s string) (Place, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", true
	}
	f := foldName(s)
	switch f {
	case "abroad", "etranger", "a l etranger", "hors de france":
		return PlaceAbroad, true
	}
	if code, ok := byName[f]; ok {
		return Place(code), true
	}
	c := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '.' {
			return -1
		}
		return r
	}, s))
	for _, p := range []string{"FR-", "F-"} {
		c = strings.TrimPrefix(c, p)
	}
	c = strings.ReplaceAll(c, "-", "")
	if code, ok := departementCode(c); ok {
		return Place(code), true
	}
	if !allDigits(c) {
		return "", false
	}
	switch len(c) {
	case 4:
		c = "0" + c // a postcode that lost its leading zero
	case 5:
	default:
		return "", false
	}
	var code string
	switch {
	case strings.HasPrefix(c, "20"):
		switch c[2] {
		case '0', '1':
			code = "2A"
		case '2', '3', '4', '5', '6':
			code = "2B"
		}
	case strings.HasPrefix(c, "97"):
		code = c[:3]
	default:
		code = c[:2]
	}
	if _, ok := departements[code]; !ok {
		return "", false
	}
	return Place(code), true
}

// departementCode reads a département number, leniently ("1" is 01, "2a"
// 2A): never a postcode.
func departementCode(c string) (string, bool) {
	c = strings.ToUpper(c)
	if len(c) == 1 && allDigits(c) {
		c = "0" + c
	}
	if len(c) == 3 && c[0] == '0' && (c[2] == 'A' || c[2] == 'B') {
		c = c[1:] // "02A"
	}
	if _, ok := departements[c]; ok {
		return c, true
	}
	return "", false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Valid reports whether p is empty, PlaceAbroad or a département code.
func (p Place) Valid() bool {
	if p == "" || p == PlaceAbroad {
		return true
	}
	_, ok := departements[string(p)]
	return ok
}

// Departement returns p's département code, if p is one.
func (p Place) Departement() (string, bool) {
	_, ok := departements[string(p)]
	return string(p), ok
}

// Label is p in plain words: "Rhône (69)", "à l’étranger" / "abroad";
// empty when p is.
func (p Place) Label(lang string) string {
	if p == PlaceAbroad {
		if lang == "fr" {
			return "à l’étranger"
		}
		return "abroad"
	}
	if name, ok := departements[string(p)]; ok {
		return name + " (" + string(p) + ")"
	}
	return string(p)
}

// DepartementOfPostcode returns the département of a French postcode
// (as ParsePlace reads one), or "" when it is not one.
func DepartementOfPostcode(postcode string) string {
	c := strings.TrimSpace(postcode)
	if len(c) != 5 || !allDigits(c) {
		return ""
	}
	p, ok := ParsePlace(c)
	if !ok {
		return ""
	}
	return string(p)
}

// frenchRegions are the ISO 3166-1 codes of France and of the overseas
// territories with codes of their own: a phone number or an IBAN of one
// of them is not abroad (+262 is La Réunion or Mayotte, +590 Guadeloupe).
var frenchRegions = map[string]bool{
	"FR": true, "GP": true, "MQ": true, "GF": true, "RE": true, "YT": true, "PM": true,
	"BL": true, "MF": true, "NC": true, "PF": true, "WF": true, "TF": true,
}

// ValueCountry returns the country a harmonised value belongs to (see
// indicator.CountryOf: a phone number or an IBAN), or "".
func ValueCountry(s Seen) string {
	if !s.Valid {
		return ""
	}
	return indicator.CountryOf(indicator.Kind(s.Kind), s.Canonical)
}

// CountryLabel names the country s belongs to (see ValueCountry) in
// lang, with its code: "Belgique (BE)"; empty when it has none.
func (s Seen) CountryLabel(lang string) string {
	c := ValueCountry(s)
	if c == "" {
		return ""
	}
	return CountryName(c, lang) + " (" + c + ")"
}

// The place conditions of a rule (Rule.Places) are tokens, any one of
// which must hold:
//
//	69, 2A, 974   the report's place is this département
//	abroad        the reporter said they live abroad
//	BE, NG, FR    a phone number or IBAN of the report belongs to this country
//	!FR           a phone number or IBAN of the report belongs to a country
//	              other than France (overseas France is France)
const (
	PlaceTokenAbroad  = "abroad"
	PlaceTokenForeign = "!FR"
)

// ParsePlaceToken reads one token of a rule's place condition, leniently
// ("2a", "1", "be", "étranger", "!fr"), into its canonical form; ok is
// false when it is none of them. A postcode is refused: a rule names
// départements, not towns.
func ParsePlaceToken(s string) (string, bool) {
	s = strings.TrimSpace(s)
	switch u := strings.ToUpper(s); {
	case u == PlaceTokenForeign:
		return PlaceTokenForeign, true
	case foldName(s) == "abroad" || foldName(s) == "etranger":
		return PlaceTokenAbroad, true
	case len(u) == 2 && u[0] >= 'A' && u[0] <= 'Z' && u[1] >= 'A' && u[1] <= 'Z':
		r, err := language.ParseRegion(u)
		if err != nil || !r.IsCountry() || r.String() != u {
			return "", false
		}
		return u, true
	}
	return departementCode(s)
}

// placeHit is what made a rule's place condition hold.
type placeHit struct {
	token   string
	country string // the value's country, for a country token
	kind    string // the value's kind, for a country token
}

// matchPlace returns the first of tokens that holds for a report with
// facts f (its countries kept: see Facts.withCountries).
func matchPlace(tokens []string, f Facts) (placeHit, bool) {
	for _, t := range tokens {
		switch {
		case t == PlaceTokenAbroad:
			if f.Place == PlaceAbroad {
				return placeHit{token: t}, true
			}
		case t == PlaceTokenForeign || isCountryToken(t):
			for i, s := range f.Seen {
				c := f.country(i)
				if c == "" {
					continue
				}
				if t == c || t == PlaceTokenForeign && !frenchRegions[c] {
					return placeHit{token: t, country: c, kind: s.Kind}, true
				}
			}
		default:
			if string(f.Place) == t {
				return placeHit{token: t}, true
			}
		}
	}
	return placeHit{}, false
}

func isCountryToken(t string) bool {
	return len(t) == 2 && t[0] >= 'A' && t[0] <= 'Z' && t[1] >= 'A' && t[1] <= 'Z'
}

// CountryName names an ISO 3166-1 country in lang ("fr" or "en").
func CountryName(code, lang string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	// Only the two dictionaries pages are in: display.Regions(tag) would
	// link every language's names.
	d := display.English
	if lang == "fr" {
		d = display.French
	}
	if n := d.Regions().Name(r); n != "" {
		return n
	}
	return code
}

// placeWhy adds to a rule's reason, in plain words, what of the place made
// it fire (hit; nil when the rule has no place condition) and, for a
// route to the local unit, which territory's unit it is.
func placeWhy(fr, en string, hit *placeHit, svc string, f Facts) (string, string) {
	var addFR, addEN string
	_, isDep := f.Place.Departement()
	switch {
	case svc == SvcLocal && isDep && f.LocalUnit != "":
		addFR = "Unité locale du territoire : " + f.LocalUnit + ", " + f.Place.Label("fr") + "."
		addEN = "Local unit of the territory: " + f.LocalUnit + ", " + f.Place.Label("en") + "."
	case svc == SvcLocal && isDep:
		addFR = "Unité locale du territoire : " + f.Place.Label("fr") + "."
		addEN = "Local unit of the territory: " + f.Place.Label("en") + "."
	case svc == SvcLocal:
		addFR = "Aucun département n’a été indiqué : un analyste choisira l’unité locale."
		addEN = "No département was given: an analyst will choose the local unit."
	case hit == nil:
		return fr, en
	case hit.country != "" && hit.kind == string(indicator.KindIBAN):
		addFR = "Pays de l’IBAN : " + CountryName(hit.country, "fr") + "."
		addEN = "Country of the IBAN: " + CountryName(hit.country, "en") + "."
	case hit.country != "":
		addFR = "Pays du numéro de téléphone : " + CountryName(hit.country, "fr") + "."
		addEN = "Country of the phone number: " + CountryName(hit.country, "en") + "."
	default:
		addFR = "Lieu indiqué : " + f.Place.Label("fr") + "."
		addEN = "Place given: " + f.Place.Label("en") + "."
	}
	return typography.French(sentences(fr, addFR)), sentences(en, addEN)
}

func sentences(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// LocalUnit picks the local unit of département dep among units: the only
// unit whose postcode is in dep, else the only one of them that reports
// to no other and receives no public (a departmental directorate, which
// takes reports rather than visitors); ok is false when neither settles
// it, and a route's reason then names the territory only.
func LocalUnit(units []station.Unit, dep string) (station.Unit, bool) {
	var in, heads []station.Unit
	for _, u := range units {
		if DepartementOfPostcode(u.Postcode) != dep {
			continue
		}
		in = append(in, u)
		if u.ParentID == "" && !u.AcceptsAppointments {
			heads = append(heads, u)
		}
	}
	switch {
	case len(in) == 1:
		return in[0], true
	case len(heads) == 1:
		return heads[0], true
	}
	return station.Unit{}, false
}

// PlaceTokenLabel words a token of a rule's place condition in lang for
// the rules' pages: "Rhône (69)", "numéro ou IBAN de Belgique (BE)".
func PlaceTokenLabel(t, lang string) string {
	fr := lang == "fr"
	switch {
	case t == PlaceTokenAbroad:
		if fr {
			return "déclarant vivant à l’étranger"
		}
		return "reporter living abroad"
	case t == PlaceTokenForeign:
		if fr {
			return "numéro ou IBAN hors de France"
		}
		return "number or IBAN outside France"
	case isCountryToken(t):
		if fr {
			return "numéro ou IBAN de " + CountryName(t, "fr") + " (" + t + ")"
		}
		return "number or IBAN from " + CountryName(t, "en") + " (" + t + ")"
	}
	return Place(t).Label(lang)
}

// Departements returns the codes of every département, in code order
// ("01" … "19", "21" … "29", "2A", "2B", "30" … "976").
func Departements() []Place {
	out := make([]Place, 0, len(departements))
	for c := range departements {
		out = append(out, Place(c))
	}
	slices.Sort(out)
	return out
}
