package complaint

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/nyaruka/phonenumbers"
)

// Category is the kind of offence a pre-complaint is about. Only offences
// against property are eligible.
type Category string

// Eligible categories.
const (
	Theft        Category = "theft"
	VehicleTheft Category = "vehicle_theft"
	Burglary     Category = "burglary"
	Damage       Category = "damage"
	Fraud        Category = "fraud"
)

// Categories lists the eligible categories in display order.
var Categories = []Category{Theft, VehicleTheft, Burglary, Damage, Fraud}

// Valid reports whether c is an eligible category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// ItemKinds lists the kinds of stolen or damaged goods, in display order.
var ItemKinds = []string{"phone", "computer", "bag", "wallet", "jewellery", "vehicle", "bicycle", "bank_card", "documents", "cash", "other"}

// Step is one page of the pre-complaint form.
type Step string

// The steps, in order.
const (
	StepIdentity Step = "identity"
	StepFacts    Step = "facts"
	StepItems    Step = "items"
	StepEvidence Step = "evidence"
	StepStation  Step = "station"
	StepReview   Step = "review"
)

// Steps lists the steps in order.
var Steps = []Step{StepIdentity, StepFacts, StepItems, StepEvidence, StepStation, StepReview}

// Index returns the position of s in Steps, or -1.
func (s Step) Index() int {
	for i, k := range Steps {
		if k == s {
			return i
		}
	}
	return -1
}

// Item is one stolen or damaged good, as typed.
type Item struct {
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Value       string `json:"value"`  // euros as typed: "1 234,50"
	Serial      string `json:"serial"` // serial number or IMEI
	Plate       string `json:"plate"`  // registration plate, for vehicles
	// PlateCountry is the ISO 3166 code of the country that issued Plate,
	// "" when not said (see NormalizePlate).
	PlateCountry string `json:"plate_country,omitempty"`
}

// ForeignPlate reports whether the item's plate is not a French one.
func (it Item) ForeignPlate() bool {
	p, err := NormalizePlate(it.Plate, it.PlateCountry)
	return err == nil && p.Foreign
}

// normalizePlates puts every plate that reads as one in its canonical form
// and leaves the others as typed, for their error to show them.
func normalizePlates(items []Item) {
	for i := range items {
		if strings.TrimSpace(items[i].Plate) == "" {
			continue
		}
		if p, err := NormalizePlate(items[i].Plate, items[i].PlateCountry); err == nil {
			items[i].Plate = p.Text
		}
	}
}

// EvidenceFile describes one uploaded file of a draft or case.
type EvidenceFile struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// Form is everything the citizen typed, exactly as typed, so that a page
// shown again after an error keeps it. It is the personal part of a
// pre-complaint and is only ever stored sealed. Field names in validation
// errors are the JSON names (and the HTML input names); item fields are
// "items.N.field".
type Form struct {
	// Eligibility answers: "yes" or "no".
	Emergency   string   `json:"emergency"`
	Violence    string   `json:"violence"`
	AuthorKnown string   `json:"author_known"`
	Category    Category `json:"category"`

	Civility   string `json:"civility"`
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name"`
	BirthDate  string `json:"birth_date"` // YYYY-MM-DD
	BirthPlace string `json:"birth_place"`
	Email      string `json:"email"`
	Phone      string `json:"phone"`
	Address    string `json:"address"`
	Postcode   string `json:"postcode"` // 5 digits in France; else a postcode or region, if any
	City       string `json:"city"`
	// Country is the ISO 3166 code of the home address; "" is France
	// (forms sealed before addresses had a country).
	Country string `json:"country,omitempty"`

	FactsFrom string `json:"facts_from"` // YYYY-MM-DDTHH:MM, Europe/Paris
	FactsTo   string `json:"facts_to"`
	// PlaceKind says how the place of the facts is given: PlaceAddress (or
	// "", for forms sealed before places had a kind) for an address in
	// France, with its postcode and town; PlaceElsewhere for a place with
	// no postcode (a train, a road, abroad), described in PlaceDetails with
	// the nearest town, département or country in PlaceNear if known.
	PlaceKind     string `json:"place_kind,omitempty"`
	PlaceAddress  string `json:"place_address"`
	PlacePostcode string `json:"place_postcode"`
	PlaceCity     string `json:"place_city"`
	PlaceDetails  string `json:"place_details,omitempty"`
	PlaceNear     string `json:"place_near,omitempty"`
	Description   string `json:"description"`

	Items    []Item         `json:"items"`
	Evidence []EvidenceFile `json:"evidence"`

	UnitID string `json:"unit_id"`
	SlotID string `json:"slot_id"`

	Consent bool `json:"consent"`

	// Report is the reference of the report (SG) this pre-complaint was
	// started from by its reporter, "" for most. It is not an input: it is
	// set when the draft starts (see StartDraft) and, on submission, links
	// the two cases (see casefile.EventLinked).
	Report string `json:"report,omitempty"`
}

// Kinds of place of the facts (Form.PlaceKind).
const (
	PlaceAtAddress = "address"
	PlaceElsewhere = "elsewhere"
)

// PlaceIsAddress reports whether the place of the facts is an address with
// a postcode (the default) rather than a place described in words.
func (f *Form) PlaceIsAddress() bool { return f.PlaceKind != PlaceElsewhere }

// HomeInFrance reports whether the home address is in France.
func (f *Form) HomeInFrance() bool { return IsFrance(f.Country) }

// PlaceLine is the place of the facts on one line, for records: "12 rue
// Servient, 69003 Lyon" or "TGV 6603 Paris–Marseille, voiture 12 — Valence".
func (f *Form) PlaceLine() string {
	if f.PlaceIsAddress() {
		return joinNonEmpty(", ", f.PlaceAddress, strings.TrimSpace(strings.TrimSpace(f.PlacePostcode)+" "+strings.TrimSpace(f.PlaceCity)))
	}
	return joinNonEmpty(" — ", f.PlaceDetails, f.PlaceNear)
}

// StationQuery is what the station step searches by default: the postcode
// of the facts, else the town, département or country given as nearest,
// else the postcode of a home in France; "" when there is none of these.
func (f *Form) StationQuery() string {
	if f.PlaceIsAddress() {
		if q := strings.TrimSpace(f.PlacePostcode); q != "" {
			return q
		}
	} else if q := strings.TrimSpace(f.PlaceNear); q != "" {
		return q
	}
	if f.HomeInFrance() {
		return strings.TrimSpace(f.Postcode)
	}
	return ""
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}

// Reason tells why a situation is not for an online pre-complaint, and so
// which way the citizen is pointed.
type Reason string

// Reasons for not being eligible.
const (
	ReasonNone        Reason = ""
	ReasonEmergency   Reason = "emergency"    // call 17 / 112, or the silent alert
	ReasonViolence    Reason = "violence"     // go to a station
	ReasonKnownAuthor Reason = "known_author" // go to a station
	ReasonOnlineScam  Reason = "online_scam"  // report on the signalement platform
	ReasonOther       Reason = "other"        // not an offence against property
)

// Eligibility decides whether the answers allow an online pre-complaint.
// It returns a ValidationError when a question is unanswered, else the
// reason the citizen must go another way (ReasonNone when eligible).
// category "online_scam" and "other" are answers the form offers to send
// the citizen the right way.
func Eligibility(f Form) (Reason, error) {
	var v guichet.ValidationError
	yesNo := func(field, val string) {
		if val != "yes" && val != "no" {
			v.Add(field, "err.choose")
		}
	}
	yesNo("emergency", f.Emergency)
	yesNo("violence", f.Violence)
	yesNo("author_known", f.AuthorKnown)
	if !f.Category.Valid() && f.Category != "online_scam" && f.Category != "other" {
		v.Add("category", "err.choose")
	}
	// An emergency is answered first whatever else is missing.
	if f.Emergency == "yes" {
		return ReasonEmergency, nil
	}
	if err := v.Err(); err != nil {
		return ReasonNone, err
	}
	switch {
	case f.Violence == "yes":
		return ReasonViolence, nil
	case f.AuthorKnown == "yes":
		return ReasonKnownAuthor, nil
	case f.Category == "online_scam":
		return ReasonOnlineScam, nil
	case f.Category == "other":
		return ReasonOther, nil
	}
	return ReasonNone, nil
}

// Limits on free text, in characters.
const (
	maxShort   = 100
	maxAddress = 200
	// maxForeignPostcode leaves room for a region ("Baden-Württemberg").
	maxForeignPostcode = 40
	minDescription     = 20
	maxDescription     = 5000
	maxItems           = 20
	maxValueCents      = 100_000_000_00 // 100 M€
)

var (
	postcodeRE = regexp.MustCompile(`^(?:0[1-9]|[1-8]\d|9[0-8])\d{3}$`)
)

// localLayout is the layout of <input type="datetime-local">.
const localLayout = "2006-01-02T15:04"

// Paris is the time zone facts are typed in.
var Paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// ValidateStep checks the fields of one step and returns a
// *guichet.ValidationError listing every broken rule, or nil. now is used
// to refuse dates in the future.
func ValidateStep(step Step, f *Form, now time.Time) error {
	var v guichet.ValidationError
	switch step {
	case StepIdentity:
		validateIdentity(&v, f, now)
	case StepFacts:
		validateFacts(&v, f, now)
	case StepItems:
		validateItems(&v, f)
	case StepEvidence:
		if len(f.Evidence) > 5 {
			v.Add("evidence", "err.evidence.count")
		}
	case StepStation:
		if strings.TrimSpace(f.UnitID) == "" {
			v.Add("unit_id", "err.choose")
		}
		if strings.TrimSpace(f.SlotID) == "" {
			v.Add("slot_id", "err.choose")
		}
	case StepReview:
		if !f.Consent {
			v.Add("consent", "err.consent")
		}
	}
	return v.Err()
}

// ValidateAll checks every step and returns the first step that fails with
// its error, or "" and nil.
func ValidateAll(f *Form, now time.Time) (Step, error) {
	for _, s := range Steps {
		if err := ValidateStep(s, f, now); err != nil {
			return s, err
		}
	}
	return "", nil
}

func text(v *guichet.ValidationError, field, val string, required bool, max int) {
	val = strings.TrimSpace(val)
	switch {
	case val == "" && required:
		v.Add(field, "err.required")
	case utf8.RuneCountInString(val) > max:
		v.Add(field, "err.too_long", max)
	case strings.ContainsAny(val, "\x00"):
		// What the web pages refuse before any rule (see Fields).
		v.Add(field, "err.text")
	}
}

func validateIdentity(v *guichet.ValidationError, f *Form, now time.Time) {
	switch f.Civility {
	case "", "mme", "m", "x":
	default:
		v.Add("civility", "err.invalid")
	}
	text(v, "last_name", f.LastName, true, maxShort)
	text(v, "first_name", f.FirstName, true, maxShort)
	if strings.TrimSpace(f.BirthDate) == "" {
		v.Add("birth_date", "err.required")
	} else if d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(f.BirthDate), Paris); err != nil {
		v.Add("birth_date", "err.date")
	} else if d.After(now) || d.Before(now.AddDate(-120, 0, 0)) {
		v.Add("birth_date", "err.date_range")
	}
	text(v, "birth_place", f.BirthPlace, false, maxShort)
	if e := strings.TrimSpace(f.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") || len(e) > 254 {
			v.Add("email", "err.email")
		}
	}
	if p := strings.TrimSpace(f.Phone); p != "" {
		if _, err := NormalizePhone(p); err != nil {
			v.Add("phone", "err.phone")
		}
	}
	text(v, "address", f.Address, true, maxAddress)
	if _, ok := LookupCountry(f.Country); !ok {
		v.Add("country", "err.invalid")
	}
	if f.HomeInFrance() {
		postcode(v, "postcode", f.Postcode, true)
	} else {
		// Many countries have no postcode; some write a region instead.
		text(v, "postcode", f.Postcode, false, maxForeignPostcode)
	}
	text(v, "city", f.City, true, maxShort)
}

func postcode(v *guichet.ValidationError, field, val string, required bool) {
	val = strings.TrimSpace(val)
	switch {
	case val == "" && required:
		v.Add(field, "err.required")
	case val != "" && !postcodeRE.MatchString(val):
		v.Add(field, "err.postcode")
	}
}

// NormalizePhone returns a phone number in E.164, reading national numbers
// as French.
func NormalizePhone(s string) (string, error) {
	n, err := phonenumbers.Parse(s, "FR")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", guichet.ErrInvalid
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// ParseLocal reads a datetime-local value in Paris time.
func ParseLocal(s string) (time.Time, error) {
	return time.ParseInLocation(localLayout, strings.TrimSpace(s), Paris)
}

func validateFacts(v *guichet.ValidationError, f *Form, now time.Time) {
	var from time.Time
	if strings.TrimSpace(f.FactsFrom) == "" {
		v.Add("facts_from", "err.required")
	} else if t, err := ParseLocal(f.FactsFrom); err != nil {
		v.Add("facts_from", "err.datetime")
	} else if t.After(now) {
		v.Add("facts_from", "err.future")
	} else if t.Before(now.AddDate(-20, 0, 0)) {
		v.Add("facts_from", "err.date_range")
	} else {
		from = t
	}
	if strings.TrimSpace(f.FactsTo) != "" {
		if t, err := ParseLocal(f.FactsTo); err != nil {
			v.Add("facts_to", "err.datetime")
		} else if t.After(now) {
			v.Add("facts_to", "err.future")
		} else if !from.IsZero() && t.Before(from) {
			v.Add("facts_to", "err.before_start")
		}
	}
	switch f.PlaceKind {
	case "", PlaceAtAddress:
		text(v, "place_address", f.PlaceAddress, false, maxAddress)
		postcode(v, "place_postcode", f.PlacePostcode, true)
		text(v, "place_city", f.PlaceCity, true, maxShort)
	case PlaceElsewhere:
		// The address fields may hold what was typed before choosing this
		// kind: they are kept, and not checked.
		text(v, "place_details", f.PlaceDetails, true, maxAddress)
		text(v, "place_near", f.PlaceNear, false, maxShort)
	default:
		v.Add("place_kind", "err.choose")
	}
	d := strings.TrimSpace(f.Description)
	switch n := utf8.RuneCountInString(d); {
	case n == 0:
		v.Add("description", "err.required")
	case n < minDescription:
		v.Add("description", "err.too_short", minDescription)
	case n > maxDescription:
		v.Add("description", "err.too_long", maxDescription)
	}
}

func validateItems(v *guichet.ValidationError, f *Form) {
	items := nonEmptyItems(f.Items)
	if len(items) > maxItems {
		v.Add("items", "err.items.count", maxItems)
		return
	}
	needItem := f.Category != Fraud
	if needItem && len(items) == 0 {
		v.Add("items", "err.items.required")
	}
	hasVehicle := false
	for i, it := range f.Items {
		if it == (Item{}) {
			continue
		}
		p := "items." + strconv.Itoa(i) + "."
		valid := false
		for _, k := range ItemKinds {
			valid = valid || it.Kind == k
		}
		if !valid {
			v.Add(p+"kind", "err.choose")
		}
		text(v, p+"description", it.Description, true, maxAddress)
		if strings.TrimSpace(it.Value) != "" {
			if _, err := ParseEuros(it.Value); err != nil {
				v.Add(p+"value", "err.amount")
			}
		}
		text(v, p+"serial", it.Serial, false, 64)
		if it.Kind == "phone" && isDigits(strings.ReplaceAll(it.Serial, " ", "")) && len(strings.ReplaceAll(it.Serial, " ", "")) == 15 && !luhnValid(strings.ReplaceAll(it.Serial, " ", "")) {
			v.Add(p+"serial", "err.imei")
		}
		// The plate is optional, for any kind: a stolen bicycle or trailer
		// may have one, and a citizen may not know a vehicle's by heart.
		if it.PlateCountry != "" {
			if _, ok := LookupCountry(it.PlateCountry); !ok {
				v.Add(p+"plate_country", "err.invalid")
			}
		}
		if strings.TrimSpace(it.Plate) != "" {
			if _, err := NormalizePlate(it.Plate, it.PlateCountry); err != nil {
				v.Add(p+"plate", "err.plate")
			}
		}
		hasVehicle = hasVehicle || it.Kind == "vehicle"
	}
	if f.Category == VehicleTheft && !hasVehicle && len(items) > 0 {
		v.Add("items", "err.items.vehicle")
	}
}

func nonEmptyItems(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if it != (Item{}) {
			out = append(out, it)
		}
	}
	return out
}

// ParseEuros reads an amount typed in euros ("1 234,50", "1234.5", "12 €")
// and returns cents.
func ParseEuros(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "€")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "EUR"))
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'':
			return -1
		}
		return r
	}, s)
	s = strings.ReplaceAll(s, ",", ".")
	if s == "" || strings.Count(s, ".") > 1 {
		return 0, guichet.ErrInvalid
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !isDigits(whole) || len(frac) > 2 || (frac != "" && !isDigits(frac)) || len(whole) > 12 {
		return 0, guichet.ErrInvalid
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	c, _ := strconv.ParseInt(frac, 10, 64)
	cents := w*100 + c
	if cents > maxValueCents {
		return 0, guichet.ErrInvalid
	}
	return cents, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func luhnValid(s string) bool {
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}
