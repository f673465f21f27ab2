package report

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Service codes: the competent services a report can be routed to. One
// report may go to several at once, each with its own status.
const (
	SvcCyber      = "cyber"       // the national cybercrime office
	SvcChild      = "minors"      // the child-protection unit
	SvcTerrorism  = "terrorism"   // the counter-terrorism unit
	SvcLocal      = "local"       // the local unit of the territory
	SvcCNIL       = "cnil"        // the data-protection authority
	SvcDGCCRF     = "dgccrf"      // the consumer-fraud authority
	SvcSpam       = "spam"        // the spam observatory
	SvcCardFraud  = "card_fraud"  // the card-fraud service
	SvcInterpol   = "interpol"    // Interpol, through the national bureau
	SvcNotForUs   = "not_for_us"  // not for the police: where to go instead
	SvcHateOnline = "hate_online" // the online-hate unit
)

// Services lists every service, in the order pages show them.
var Services = []string{SvcCyber, SvcChild, SvcTerrorism, SvcHateOnline, SvcLocal, SvcCNIL, SvcDGCCRF, SvcSpam, SvcCardFraud, SvcInterpol, SvcNotForUs}

// ValidService reports whether s is one of Services.
func ValidService(s string) bool { return slices.Contains(Services, s) }

// Rule is one routing rule: when a report matches, it goes to Services.
// Rules are data (stored, versioned, edited by supervisors); every version
// is kept, so that a routing decision names the rule and version that
// fired and can always be explained.
type Rule struct {
	ID      string
	Version int
	Name    string
	// Active rules are applied; an inactive one is kept for history.
	Active bool
	// Categories the rule applies to; empty: any.
	Categories []Category
	// Kinds of indicator at least one of which the report must hold
	// ("iban", "phone", "url"…); empty: no condition.
	Kinds []string
	// Domains: the report must hold a value whose registrable domain is
	// one of these (a foreign host, a platform); empty: no condition.
	Domains []string
	// Places: where the report comes from or where its values belong, as
	// tokens (see ParsePlaceToken: "69", "2A", "abroad", "BE", "!FR"), any
	// one of which must hold; empty: no condition.
	Places []string
	// Services the report goes to.
	Services []string
	// Why, in plain words, in French and English: shown to analysts and
	// to the reporter ("Les arnaques au faux conseiller sont traitées…").
	WhyFR, WhyEN string
	Author       string // pseudonym of the supervisor who saved it
	SavedAt      time.Time
}

// Facts are what routing looks at in a report.
type Facts struct {
	Category Category
	Seen     []Seen
	Place    Place
	// LocalUnit names the local unit of Place's département, when one is
	// known (see LocalUnit); a route to SvcLocal says it.
	LocalUnit string

	// countries, when set, keeps ValueCountry of each of Seen once a rule
	// needed them, for the next rules (a phone number's country is read by
	// parsing it).
	countries *valueCountries
}

type valueCountries struct {
	of []string // nil until read
}

// withCountries returns f able to keep its values' countries once read.
func (f Facts) withCountries() Facts {
	if f.countries == nil {
		f.countries = &valueCountries{}
	}
	return f
}

// country returns ValueCountry(f.Seen[i]), reading every value's the first
// time (f.countries set).
func (f Facts) country(i int) string {
	c := f.countries
	if c.of == nil {
		c.of = make([]string, len(f.Seen))
		for j, s := range f.Seen {
			c.of[j] = ValueCountry(s)
		}
	}
	return c.of[i]
}

// Matches reports whether the rule applies to a report with facts f: every
// condition it sets holds (each of Kinds, Domains and Places holds when
// any one of its entries does).
func (r *Rule) Matches(f Facts) bool {
	_, ok := r.match(f)
	return ok
}

// match is Matches, with what made the place condition hold, if it is set.
func (r *Rule) match(f Facts) (*placeHit, bool) {
	if !r.Active {
		return nil, false
	}
	if len(r.Categories) > 0 && !slices.Contains(r.Categories, f.Category) {
		return nil, false
	}
	if len(r.Kinds) > 0 && !slices.ContainsFunc(f.Seen, func(s Seen) bool { return s.Valid && slices.Contains(r.Kinds, s.Kind) }) {
		return nil, false
	}
	if len(r.Domains) > 0 && !slices.ContainsFunc(f.Seen, func(s Seen) bool { return s.Domain != "" && slices.Contains(r.Domains, s.Domain) }) {
		return nil, false
	}
	if len(r.Places) == 0 {
		return nil, true
	}
	hit, ok := matchPlace(r.Places, f.withCountries())
	if !ok {
		return nil, false
	}
	return &hit, true
}

// Route is where one report went: one service, its status, the rule (and
// version) that sent it there or the analyst who did, and why.
type Route struct {
	Service string
	Status  RouteStatus
	// RuleID and RuleVersion name the rule that fired; empty for a route
	// an analyst added by hand.
	RuleID      string
	RuleVersion int
	// Why is the rule's explanation, or the analyst's reason.
	WhyFR, WhyEN string
	By           string // "system" or "agent:<pseudonym>"
	Outcome      Outcome
	At           time.Time
}

// RouteStatus is where a report stands with one service.
type RouteStatus string

// The statuses of a route.
const (
	RouteSent      RouteStatus = "sent"      // passed on to the service
	RouteWithdrawn RouteStatus = "withdrawn" // an analyst took it back, with a reason
	RouteDone      RouteStatus = "done"      // the service gave its outcome
)

// Outcome is what the service did.
type Outcome string

// The outcomes a service records.
const (
	OutcomeNone          Outcome = ""
	OutcomeRemoved       Outcome = "removed"       // content removed
	OutcomeNumberCut     Outcome = "number_cut"    // the number was cut
	OutcomeSiteBlocked   Outcome = "site_blocked"  // the site was blocked
	OutcomeInvestigation Outcome = "investigation" // an investigation was opened
	OutcomeNotOffence    Outcome = "not_offence"   // not an offence
	OutcomeForwarded     Outcome = "forwarded"     // passed on abroad or elsewhere
)

// Outcomes lists every outcome, in the order pages show them.
var Outcomes = []Outcome{OutcomeRemoved, OutcomeNumberCut, OutcomeSiteBlocked, OutcomeInvestigation, OutcomeNotOffence, OutcomeForwarded}

// Decide applies rules to a report with facts f: the union of the
// services of every matching rule, each with the first rule (in the order
// given) that sent it there. No rule matching leaves the report to the
// analysts, unrouted.
//
// Each route's reason is its rule's, followed, in plain words, by what
// of the place made it fire (the département given, an IBAN's country)
// and, for the local unit, by the territory it is the unit of (and its
// name, when f.LocalUnit gives it), or by the fact that no département
// was given.
func Decide(rules []Rule, f Facts, at time.Time) []Route {
	var out []Route
	f = f.withCountries()
	for i := range rules {
		r := &rules[i]
		hit, ok := r.match(f)
		if !ok {
			continue
		}
		for _, svc := range r.Services {
			if slices.ContainsFunc(out, func(x Route) bool { return x.Service == svc }) {
				continue
			}
			fr, en := placeWhy(r.WhyFR, r.WhyEN, hit, svc, f)
			out = append(out, Route{Service: svc, Status: RouteSent, RuleID: r.ID, RuleVersion: r.Version,
				WhyFR: fr, WhyEN: en, By: "system", At: at})
		}
	}
	return out
}

// DryRun is what a rule would have done over past reports.
type DryRun struct {
	Since    time.Time
	Reports  int            // reports looked at
	Matched  int            // reports the rule matches
	Services map[string]int // per service: reports the rule would send there
	// New counts the matched reports that the current rules did not send
	// to at least one of the rule's services.
	New     int
	Samples []string // references of a few matched reports
	// Places counts, per token of the rule's place condition, the matched
	// reports it was the first to hold for; empty without one.
	Places map[string]int
}

// Routable is a past report as a dry run needs it.
type Routable struct {
	Ref      string
	Category Category
	Seen     []Seen
	Place    Place
	Routes   []string // services it was routed to
}

// Try runs rule over reports without changing anything.
func Try(rule Rule, reports []Routable, since time.Time) DryRun {
	rule.Active = true
	d := DryRun{Since: since, Reports: len(reports), Services: map[string]int{}, Places: map[string]int{}}
	for _, rp := range reports {
		hit, ok := rule.match(Facts{Category: rp.Category, Seen: rp.Seen, Place: rp.Place})
		if !ok {
			continue
		}
		d.Matched++
		if hit != nil {
			d.Places[hit.token]++
		}
		fresh := false
		for _, s := range rule.Services {
			d.Services[s]++
			if !slices.Contains(rp.Routes, s) {
				fresh = true
			}
		}
		if fresh {
			d.New++
		}
		if len(d.Samples) < 5 {
			d.Samples = append(d.Samples, rp.Ref)
		}
	}
	return d
}

// ruleBody is how a rule's content is stored (JSON): everything but its
// identity, version, state and authorship, which are columns.
type ruleBody struct {
	Name       string     `json:"name"`
	Categories []Category `json:"categories"`
	Kinds      []string   `json:"kinds"`
	Domains    []string   `json:"domains"`
	// Places came after the first rules: a body without it has none.
	Places   []string `json:"places,omitempty"`
	Services []string `json:"services"`
	WhyFR    string   `json:"why_fr"`
	WhyEN    string   `json:"why_en"`
}

// Body encodes the rule's content for a store.
func (r *Rule) Body() []byte {
	b, _ := json.Marshal(ruleBody{Name: r.Name, Categories: nonNil(r.Categories), Kinds: nonNil(r.Kinds),
		Domains: nonNil(r.Domains), Places: r.Places, Services: nonNil(r.Services), WhyFR: r.WhyFR, WhyEN: r.WhyEN})
	return b
}

// SetBody decodes content a store kept (see Body) into r.
func (r *Rule) SetBody(b []byte) error {
	var v ruleBody
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("rule %s v%d: %w", r.ID, r.Version, err)
	}
	r.Name, r.Categories, r.Kinds, r.Domains, r.Places, r.Services, r.WhyFR, r.WhyEN =
		v.Name, v.Categories, v.Kinds, v.Domains, v.Places, v.Services, v.WhyFR, v.WhyEN
	return nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
