package report_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/station"
)

func TestParsePlace(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want report.Place
		ok   bool
	}{
		{"", "", true},
		{"   ", "", true},
		{"69003", "69", true},
		{" 69 003 ", "69", true},
		{"69-003", "69", true},
		{"F-69003", "69", true},
		{"1000", "01", true}, // Bourg-en-Bresse without its leading zero
		{"01000", "01", true},
		{"69", "69", true},
		{"1", "01", true},
		{"09", "09", true},
		{"2a", "2A", true},
		{"2 B", "2B", true},
		{"02A", "2A", true},
		{"20000", "2A", true}, // Ajaccio
		{"20167", "2A", true},
		{"20200", "2B", true}, // Bastia
		{"20600", "2B", true},
		{"971", "971", true},
		{"97133", "971", true}, // Saint-Barthélemy, on Guadeloupe's postcodes
		{"97400", "974", true},
		{"976", "976", true},
		{"97600", "976", true},
		{"Rhône", "69", true},
		{"rhone", "69", true},
		{"Côte-d'Or", "21", true},
		{"cote d or", "21", true},
		{"haute corse", "2B", true},
		{"Réunion", "974", true},
		{"abroad", report.PlaceAbroad, true},
		{"Étranger", report.PlaceAbroad, true},
		{"20", "", false}, // Corsica is 2A or 2B
		{"00", "", false},
		{"96", "", false},
		{"97", "", false},
		{"977", "", false},
		{"98000", "", false}, // Monaco
		{"98800", "", false}, // New Caledonia: no département
		{"00100", "", false},
		{"690", "", false},
		{"690031", "", false},
		{"2C", "", false},
		{"Lyon", "", false},
		{"69003 Lyon", "", false},
		{"BE", "", false},
	} {
		got, ok := report.ParsePlace(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParsePlace(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok && !got.Valid() {
			t.Errorf("ParsePlace(%q) = %q, which is not Valid", tt.in, got)
		}
	}
}

// FuzzParsePlace: whatever is typed, a place read is valid, never finer
// than a département, and reads back as itself.
func FuzzParsePlace(f *testing.F) {
	for _, s := range []string{"69003", "2a", "20190", "97133", "Rhône", "étranger", "F-1000", "", "9 7 4", "\u00a0 75 001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := report.ParsePlace(s)
		if !ok {
			if p != "" {
				t.Fatalf("ParsePlace(%q) refused but returned %q", s, p)
			}
			return
		}
		if !p.Valid() || len(p) > len(report.PlaceAbroad) {
			t.Fatalf("ParsePlace(%q) = %q: not a valid place", s, p)
		}
		if _, isDep := p.Departement(); p != "" && p != report.PlaceAbroad && !isDep {
			t.Fatalf("ParsePlace(%q) = %q: neither a département nor abroad", s, p)
		}
		if again, ok := report.ParsePlace(string(p)); !ok || again != p {
			t.Fatalf("ParsePlace(%q) = %q, which reads back as %q, %v", s, p, again, ok)
		}
	})
}

func TestParsePlaceToken(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"69", "69", true},
		{" 2a ", "2A", true},
		{"1", "01", true},
		{"974", "974", true},
		{"be", "BE", true},
		{"CI", "CI", true},
		{"FR", "FR", true},
		{"!fr", "!FR", true},
		{"abroad", "abroad", true},
		{"ABROAD", "abroad", true},
		{"étranger", "abroad", true},
		{"69003", "", false}, // a rule names départements, not towns
		{"20", "", false},
		{"XX", "", false},
		{"EU", "", false}, // not a country
		{"!BE", "", false},
		{"Rhône", "", false},
		{"", "", false},
	} {
		got, ok := report.ParsePlaceToken(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParsePlaceToken(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// seenOf harmonises values as the form would.
func seenOf(in ...report.SeenInput) []report.Seen { return report.Harmonise(in) }

var (
	phoneFR = report.SeenInput{Channel: "phone", Value: "01 99 00 12 34"}
	phoneGB = report.SeenInput{Channel: "phone", Value: "+44 20 7946 0123"}
	phoneRE = report.SeenInput{Channel: "phone", Value: "+262 262 40 00 00"}
	ibanDE  = report.SeenInput{Channel: "iban", Value: "DE89 3704 0044 0532 0130 00"}
	ibanFR  = report.SeenInput{Channel: "iban", Value: "FR76 3000 6000 0112 3456 7890 189"}
	smsGB   = report.SeenInput{Channel: "sms", Value: "Rappelez le +44 20 7946 0123 avant ce soir"}
	urlRU   = report.SeenInput{Channel: "url", Value: "https://colis.example.ru/"}
)

func TestMatchesPlaces(t *testing.T) {
	rule := func(places ...string) report.Rule {
		return report.Rule{Active: true, Places: places, Services: []string{report.SvcLocal}}
	}
	for _, tt := range []struct {
		name  string
		rule  report.Rule
		facts report.Facts
		want  bool
	}{
		{"no place condition", rule(), report.Facts{}, true},
		{"département given", rule("69"), report.Facts{Place: "69"}, true},
		{"another département", rule("69"), report.Facts{Place: "13"}, false},
		{"no place given", rule("69"), report.Facts{}, false},
		{"one of several", rule("13", "2A", "69"), report.Facts{Place: "2A"}, true},
		{"abroad", rule("abroad"), report.Facts{Place: report.PlaceAbroad}, true},
		{"abroad is no département", rule("69"), report.Facts{Place: report.PlaceAbroad}, false},
		{"a département is not abroad", rule("abroad"), report.Facts{Place: "69"}, false},
		{"IBAN's country", rule("DE"), report.Facts{Seen: seenOf(ibanDE)}, true},
		{"phone's country", rule("GB"), report.Facts{Seen: seenOf(phoneFR, phoneGB)}, true},
		{"a number in an SMS", rule("GB"), report.Facts{Seen: seenOf(smsGB)}, true},
		{"another country", rule("BE"), report.Facts{Seen: seenOf(ibanDE, phoneGB)}, false},
		{"FR is a value's country", rule("FR"), report.Facts{Seen: seenOf(ibanFR)}, true},
		{"FR is not the reporter's place", rule("FR"), report.Facts{Place: "69"}, false},
		{"outside France: IBAN", rule("!FR"), report.Facts{Seen: seenOf(ibanFR, ibanDE)}, true},
		{"outside France: phone", rule("!FR"), report.Facts{Seen: seenOf(phoneGB)}, true},
		{"French values only", rule("!FR"), report.Facts{Seen: seenOf(phoneFR, ibanFR)}, false},
		{"overseas France is France", rule("!FR"), report.Facts{Seen: seenOf(phoneRE)}, false},
		{"a ccTLD is no place", rule("!FR"), report.Facts{Seen: seenOf(urlRU)}, false},
		{"nor is the reporter abroad", rule("!FR"), report.Facts{Place: report.PlaceAbroad}, false},
		{"an invalid value has no country", rule("!FR"), report.Facts{Seen: seenOf(report.SeenInput{Channel: "iban", Value: "DE00 1234"})}, false},
		{"places and category both hold", report.Rule{Active: true, Places: []string{"69"}, Categories: []report.Category{report.CatThreats}},
			report.Facts{Category: report.CatThreats, Place: "69"}, true},
		{"place holds, category does not", report.Rule{Active: true, Places: []string{"69"}, Categories: []report.Category{report.CatThreats}},
			report.Facts{Category: report.CatSpam, Place: "69"}, false},
		{"inactive", report.Rule{Places: []string{"69"}}, report.Facts{Place: "69"}, false},
	} {
		if got := tt.rule.Matches(tt.facts); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDecideSaysThePlace: the route's reason says what of the place made
// the rule fire; a route to the local unit names the territory and, when
// known, the unit.
func TestDecideSaysThePlace(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	rules := []report.Rule{
		{ID: "r-lyon", Version: 1, Active: true, Places: []string{"69"}, Services: []string{report.SvcLocal, report.SvcCyber},
			WhyFR: "Les faits du Rhône vont au Rhône.", WhyEN: "Facts in the Rhône go to the Rhône."},
		{ID: "r-abroad", Version: 1, Active: true, Places: []string{"!FR"}, Services: []string{report.SvcInterpol},
			WhyFR: "Interpol.", WhyEN: "Interpol."},
		{ID: "r-threats", Version: 1, Active: true, Categories: []report.Category{report.CatThreats}, Services: []string{report.SvcLocal},
			WhyFR: "Menaces.", WhyEN: "Threats."},
	}
	why := func(routes []report.Route, svc string) (string, string) {
		for _, r := range routes {
			if r.Service == svc {
				return r.WhyFR, r.WhyEN
			}
		}
		t.Fatalf("no route to %s in %+v", svc, routes)
		return "", ""
	}
	routes := report.Decide(rules, report.Facts{Category: report.CatSpam, Place: "69", Seen: seenOf(ibanDE)}, at)
	fr, en := why(routes, report.SvcLocal)
	if fr != "Les faits du Rhône vont au Rhône. Unité locale du territoire\u202f: Rhône (69)." || en != "Facts in the Rhône go to the Rhône. Local unit of the territory: Rhône (69)." {
		t.Errorf("local: %q / %q", fr, en)
	}
	fr, en = why(routes, report.SvcCyber)
	if fr != "Les faits du Rhône vont au Rhône. Lieu indiqué\u202f: Rhône (69)." || en != "Facts in the Rhône go to the Rhône. Place given: Rhône (69)." {
		t.Errorf("cyber: %q / %q", fr, en)
	}
	fr, en = why(routes, report.SvcInterpol)
	if fr != "Interpol. Pays de l’IBAN\u202f: Allemagne." || en != "Interpol. Country of the IBAN: Germany." {
		t.Errorf("interpol: %q / %q", fr, en)
	}
	routes = report.Decide(rules, report.Facts{Category: report.CatSpam, Seen: seenOf(phoneFR, smsGB)}, at)
	if fr, en = why(routes, report.SvcInterpol); !strings.HasSuffix(fr, "Pays du numéro de téléphone\u202f: Royaume-Uni.") || !strings.HasSuffix(en, "Country of the phone number: United Kingdom.") {
		t.Errorf("interpol by phone: %q / %q", fr, en)
	}
	// A rule without a place condition sending to the local unit says the
	// territory too, and the unit when it is known.
	routes = report.Decide(rules, report.Facts{Category: report.CatThreats, Place: "13", LocalUnit: "Hôtel de police de Marseille"}, at)
	if fr, en = why(routes, report.SvcLocal); fr != "Menaces. Unité locale du territoire\u202f: Hôtel de police de Marseille, Bouches-du-Rhône (13)." ||
		en != "Threats. Local unit of the territory: Hôtel de police de Marseille, Bouches-du-Rhône (13)." {
		t.Errorf("local with a unit: %q / %q", fr, en)
	}
	routes = report.Decide(rules, report.Facts{Category: report.CatThreats, Place: report.PlaceAbroad}, at)
	if fr, en = why(routes, report.SvcLocal); !strings.Contains(fr, "Aucun département") || !strings.Contains(en, "No département was given") {
		t.Errorf("local without a département: %q / %q", fr, en)
	}
	// A rule with no place condition and not to the local unit keeps its
	// reason as written.
	r := []report.Rule{{ID: "r", Version: 1, Active: true, Services: []string{report.SvcCyber}, WhyFR: "Tel quel.", WhyEN: "As is."}}
	if got := report.Decide(r, report.Facts{Place: "69"}, at); got[0].WhyFR != "Tel quel." || got[0].WhyEN != "As is." {
		t.Errorf("plain rule: %+v", got[0])
	}
}

func TestLocalUnit(t *testing.T) {
	units := []station.Unit{
		{Name: "Lyon 1er", Postcode: "69001", AcceptsAppointments: true},
		{Name: "Lyon 3e", Postcode: "69003", AcceptsAppointments: true},
		{Name: "Antenne Lyon 3e", Postcode: "69003", ParentID: "x"},
		{Name: "DDPN du Rhône", Postcode: "69008"},
		{Name: "Bordeaux", Postcode: "33000", AcceptsAppointments: true},
		{Name: "Paris 5e", Postcode: "75005", AcceptsAppointments: true},
		{Name: "Paris 11e", Postcode: "75011", AcceptsAppointments: true},
		{Name: "Ajaccio", Postcode: "20000", AcceptsAppointments: true},
	}
	for dep, want := range map[string]string{"69": "DDPN du Rhône", "33": "Bordeaux", "2A": "Ajaccio", "75": "", "13": ""} {
		u, ok := report.LocalUnit(units, dep)
		if ok != (want != "") || u.Name != want {
			t.Errorf("LocalUnit(%s) = %q, %v; want %q", dep, u.Name, ok, want)
		}
	}
}

func TestCheckRulePlaces(t *testing.T) {
	r := report.Rule{Name: "n", Places: []string{"2a", "be", "!fr", "étranger"}, Services: []string{report.SvcLocal}, WhyFR: "f", WhyEN: "e"}
	if v := report.CheckRule(&r); v != nil {
		t.Fatalf("valid places refused: %+v", v.Fields)
	}
	if !slices.Equal(r.Places, []string{"2A", "BE", "!FR", "abroad"}) {
		t.Errorf("places read as %q", r.Places)
	}
	r.Places = []string{"69", "69003", "ZZ"}
	v := report.CheckRule(&r)
	if v == nil || len(v.Fields) != 1 {
		t.Fatalf("bad places: %+v", v)
	}
	fe := v.Fields[0]
	if fe.Field != "places" || fe.Key != "rule.err.place" || len(fe.Args) != 1 || fe.Args[0] != "69003" {
		t.Errorf("field error %+v", fe)
	}
}

// TestRuleBodyPlaces: a body stored before places existed decodes with
// none; a rule without places encodes as before; with places, they round
// trip.
func TestRuleBodyPlaces(t *testing.T) {
	old := `{"name": "Terrorisme", "categories": ["terrorism"], "kinds": [], "domains": [], "services": ["terrorism"], "why_fr": "f", "why_en": "e"}`
	var r report.Rule
	if err := r.SetBody([]byte(old)); err != nil {
		t.Fatal(err)
	}
	if r.Places != nil || r.Name != "Terrorisme" || !slices.Equal(r.Services, []string{"terrorism"}) {
		t.Errorf("old body read as %+v", r)
	}
	if strings.Contains(string(r.Body()), "places") {
		t.Errorf("a rule without places encodes them: %s", r.Body())
	}
	r.Places = []string{"69", "!FR"}
	var back report.Rule
	if err := back.SetBody(r.Body()); err != nil || !slices.Equal(back.Places, r.Places) {
		t.Errorf("places round trip: %q %v", back.Places, err)
	}
}

type units []station.Unit

func (u units) ListUnits(context.Context) ([]station.Unit, error) { return u, nil }

// TestSubmitPlace: the place typed is kept as its département only, routes
// by it with the territory and unit named in the reason the reporter
// reads; a value abroad goes to Interpol by the default rule; a wrong
// place is a field error.
func TestSubmitPlace(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	svc := report.New(e.deps(units{{Name: "Direction départementale du Rhône", Postcode: "69008"}, {Name: "Lyon 3e", Postcode: "69003", AcceptsAppointments: true}}))
	rule := report.Rule{Name: "Rhône", Active: true, Places: []string{"69"}, Services: []string{report.SvcLocal},
		WhyFR: "Les faits du Rhône sont suivis sur place.", WhyEN: "Facts in the Rhône are followed up locally."}
	dr, err := svc.DryRun(ctx, supervisor, rule)
	if err != nil || dr.Matched != 0 {
		t.Fatalf("dry run before any report: %+v %v", dr, err)
	}
	if _, err := svc.SaveRule(ctx, supervisor, rule); err != nil {
		t.Fatal(err)
	}
	in := phishing()
	in.Place = "69003"
	f, err := svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.store.ReportPlace(ctx, f.Case.ID); err != nil || p != "69" {
		t.Errorf("stored place %q %v, want 69 (the département only)", p, err)
	}
	view, err := svc.View(ctx, f.Ref)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(view.Routes, func(r report.Route) bool { return r.Service == report.SvcLocal })
	if i < 0 {
		t.Fatalf("not routed to the local unit: %+v", view.Routes)
	}
	if want := "Unité locale du territoire\u202f: Direction départementale du Rhône, Rhône (69)."; !strings.HasSuffix(view.Routes[i].WhyFR, want) {
		t.Errorf("reason %q, want it to end with %q", view.Routes[i].WhyFR, want)
	}
	d, err := svc.Report(ctx, analyst, f.Ref)
	if err != nil || d.Place != "69" {
		t.Errorf("the analyst sees place %q %v", d.Place, err)
	}

	in = phishing()
	in.Category, in.Abroad = report.CatInvestment, true
	in.Seen = []report.SeenInput{ibanDE}
	g, err := svc.Submit(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	view, err = svc.View(ctx, g.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(view.Routes, func(r report.Route) bool {
		return r.Service == report.SvcInterpol && r.RuleID == "r-abroad" && strings.HasSuffix(r.WhyEN, "Country of the IBAN: Germany.")
	}) {
		t.Errorf("a German IBAN not sent to Interpol with its reason: %+v", view.Routes)
	}
	if p, _ := e.store.ReportPlace(ctx, g.Case.ID); p != report.PlaceAbroad {
		t.Errorf("abroad stored as %q", p)
	}

	// The dry run of the Rhône rule now finds the first report, by place.
	dr, err = svc.DryRun(ctx, supervisor, rule)
	if err != nil || dr.Matched != 1 || dr.Places["69"] != 1 {
		t.Errorf("dry run: %+v %v", dr, err)
	}

	for _, tt := range []struct {
		place  string
		abroad bool
		key    string
	}{{"Lyon", false, "report.err.place"}, {"20", false, "report.err.place"}, {"69", true, "report.err.place_both"}} {
		in := phishing()
		in.Place, in.Abroad = tt.place, tt.abroad
		_, err := svc.Submit(ctx, in)
		var v *guichet.ValidationError
		if !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "place" || v.Fields[0].Key != tt.key {
			t.Errorf("place %q abroad %v: %v", tt.place, tt.abroad, err)
		}
	}
}
