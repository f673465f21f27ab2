package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// Limits of the public form.
const (
	MaxSeen        = 20   // values of where it was seen
	MaxValueLen    = 2048 // one value, in bytes
	MaxSMSLen      = 2000 // the text of an SMS, in characters
	MaxDescription = 5000 // the reporter's account, in characters
)

// Deps are the service's collaborators.
type Deps struct {
	Store Store
	Vault casefile.Sealer
	// Digest is how tracking codes are stored (complaint.Service's
	// TrackingDigest): one code scheme for every kind of case.
	Digest func(caseref.Code) []byte
	// Blobs keeps the screenshots (sealed by the service) and Sniff tells
	// their type from their first bytes, as for a pre-complaint's
	// evidence. Without Blobs no screenshot is accepted.
	Blobs  Blobs
	Sniff  func(head []byte) (string, error)
	Clock  guichet.Clock
	Rand   io.Reader
	IDs    *uuid7.Generator
	Logger *slog.Logger
	// Units, when set, lets a route to the local unit name the unit of
	// the report's département (see LocalUnit); without it the route
	// names the département only.
	Units UnitLister
}

// UnitLister lists the police units (the station store).
type UnitLister interface {
	ListUnits(ctx context.Context) ([]station.Unit, error)
}

// Blobs keeps sealed screenshots.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// Limits of screenshots: the same as a pre-complaint's evidence.
const (
	MaxFiles    = 5
	MaxFileSize = 10 << 20
)

// Upload is one screenshot as sent.
type Upload struct {
	Name string
	Data []byte
}

// Service takes reports in and shows reporters where theirs stands. It is
// safe for concurrent use.
type Service struct {
	d Deps

	// The routing rules, read at most every rulesTTL: a rule saved on this
	// node applies to the next report, one saved on another node within
	// rulesTTL.
	rulesMu   sync.Mutex
	rules     []Rule
	rulesRead time.Time

	// bulkMax is the most reports one bulk action changes
	// (BulkMaxChanges; tests lower it).
	bulkMax int

	// commit writes the reports filed one at a time (see commit.go).
	commit *committer
}

// rulesTTL is how long the routing rules read from the store are used.
const rulesTTL = 2 * time.Second

// currentRules returns the routing rules, from the store at most every
// rulesTTL.
func (s *Service) currentRules(ctx context.Context) ([]Rule, error) {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	now := time.Now()
	if s.rules != nil && now.Sub(s.rulesRead) < rulesTTL {
		return s.rules, nil
	}
	rules, err := s.d.Store.Rules(ctx)
	if err != nil {
		return nil, err
	}
	s.rules, s.rulesRead = rules, now
	return rules, nil
}

// forgetRules makes the next report read the rules again.
func (s *Service) forgetRules() {
	s.rulesMu.Lock()
	s.rules = nil
	s.rulesMu.Unlock()
}

// New returns a Service.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{d: d, bulkMax: BulkMaxChanges, commit: &committer{store: d.Store}}
}

// SeenInput is one value of where it was seen, as typed in the form.
type SeenInput struct {
	// Channel is one of Channels.
	Channel string
	// Value is the URL, number, address, IBAN, wallet, account name, or
	// the text of the SMS.
	Value string
	// Platform names the platform of an account ("Instagram", "Leboncoin").
	Platform string
}

// The channels a value may be given under, in the form's order.
var Channels = []string{"url", "sms", "phone", "email", "account", "iban", "crypto"}

// Input is a report as filed.
type Input struct {
	Category Category
	Seen     []SeenInput
	SeenOn   time.Time // when it was seen; zero if not said
	// Place is the département where the reporter lives or the facts
	// happened, as typed (a postcode, a département's number or name; see
	// ParsePlace); empty if not said. Abroad says the reporter lives
	// abroad instead. Only the département is kept.
	Place       string
	Abroad      bool
	Description string
	Victim      Victim
	Email       string // to hear the outcome; optional
	Lang        string
	// Lane is LaneNormal when the sender solved the proof-of-work
	// challenge, LaneReview otherwise.
	Lane Lane
	// Files are the screenshots sent with the report.
	Files []Upload
	// At is when the report was received; zero: now. Only trusted intake
	// sets it (the demo's month, a bulk import), never a public form.
	At time.Time
}

// Filed is what the reporter receives once.
type Filed struct {
	Ref          string
	TrackingCode caseref.Code
	Case         casefile.Case
	Seen         []Seen
}

// Validate checks in and returns its field errors (nil when valid). Field
// names are those of the form: "category", "seen" (none given),
// "seen.N.value", "seen.N.channel", "seen.N.platform", "seen_on",
// "place", "description", "victim", "email".
func Validate(in *Input, now time.Time) *guichet.ValidationError {
	var v guichet.ValidationError
	if !in.Category.Valid() {
		v.Add("category", "report.err.category")
	}
	given := 0
	for i, s := range in.Seen {
		f := fmt.Sprintf("seen.%d.", i)
		if strings.TrimSpace(s.Value) == "" {
			continue
		}
		given++
		switch {
		case !validChannel(s.Channel):
			v.Add(f+"channel", "report.err.channel")
		case s.Channel == "sms" && utf8.RuneCountInString(s.Value) > MaxSMSLen:
			v.Add(f+"value", "report.err.sms_long", MaxSMSLen)
		case s.Channel != "sms" && len(s.Value) > MaxValueLen:
			v.Add(f+"value", "report.err.value_long")
		case s.Channel == "account" && strings.TrimSpace(s.Platform) == "":
			v.Add(f+"platform", "report.err.platform")
		}
	}
	if given == 0 {
		v.Add("seen", "report.err.seen")
	}
	if given > MaxSeen {
		v.Add("seen", "report.err.seen_many", MaxSeen)
	}
	if !in.SeenOn.IsZero() && in.SeenOn.After(now.Add(time.Hour)) {
		v.Add("seen_on", "report.err.seen_on_future")
	}
	if _, ok := ParsePlace(in.Place); !ok {
		v.Add("place", "report.err.place")
	} else if in.Abroad && strings.TrimSpace(in.Place) != "" {
		v.Add("place", "report.err.place_both")
	}
	if utf8.RuneCountInString(in.Description) > MaxDescription {
		v.Add("description", "report.err.description_long", MaxDescription)
	}
	switch {
	case len(in.Files) > 0 && !in.Category.AcceptsFiles():
		v.Add("files", "report.err.no_files")
	case len(in.Files) > MaxFiles:
		v.Add("files", "report.err.files_many", MaxFiles)
	}
	for _, f := range in.Files {
		if len(f.Data) == 0 {
			v.Add("files", "report.err.file_empty")
			break
		}
		if len(f.Data) > MaxFileSize {
			v.Add("files", "report.err.file_size", MaxFileSize>>20)
			break
		}
	}
	if in.Victim != "" && !in.Victim.Valid() {
		v.Add("victim", "report.err.victim")
	}
	if e := strings.TrimSpace(in.Email); e != "" {
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || !strings.Contains(e[strings.IndexByte(e, '@')+1:], ".") {
			v.Add("email", "report.err.email")
		}
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return &v
}

func validChannel(c string) bool {
	for _, k := range Channels {
		if c == k {
			return true
		}
	}
	return false
}

// Submit validates and files a report: harmonised values, sealed account,
// reference, tracking code and the "submitted" event, all at once. It
// returns the field errors as a *guichet.ValidationError.
func (s *Service) Submit(ctx context.Context, in Input) (*Filed, error) {
	now := s.d.Clock.Now()
	if !in.At.IsZero() && in.At.Before(now) {
		now = in.At.UTC().Truncate(time.Microsecond)
	}
	if v := Validate(&in, now); v != nil {
		return nil, v
	}
	if in.Lane != LaneNormal {
		in.Lane = LaneReview
	}
	seen := Harmonise(in.Seen)
	track, err := caseref.NewCode(s.d.Rand)
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, salt); err != nil {
		return nil, err
	}
	id := s.d.IDs.New()
	acct := &Account{Description: strings.TrimSpace(in.Description), Email: strings.TrimSpace(in.Email), Victim: in.Victim, Lang: in.Lang}
	files, err := s.sniffFiles(in.Files)
	if err != nil {
		return nil, err
	}
	if len(files) > 0 {
		acct.Evidence = map[string]string{}
		for i := range files {
			files[i].id = s.d.IDs.New()
			acct.Evidence[files[i].id] = files[i].name
		}
	}
	personal, digest, err := Kind.Seal(s.d.Vault, id, nil, acct)
	if err != nil {
		return nil, err
	}
	evidence, err := s.storeFiles(ctx, id, personal.WrappedKey, files, now)
	if err != nil {
		return nil, err
	}
	stored := false
	defer func() {
		if !stored {
			for _, e := range evidence {
				_ = s.d.Blobs.Delete(context.WithoutCancel(ctx), e.BlobKey)
			}
		}
	}()
	rules, err := s.currentRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: rules: %w", err)
	}
	facts, routes := s.route(ctx, rules, &in, seen, now)
	ref, err := caseref.New(caseref.Report, now.Year(), s.d.Rand)
	if err != nil {
		return nil, err
	}
	sub, err := s.submission(id, ref.String(), &in, casefile.ActorCitizen, facts, seen, routes, personal, digest, track, salt, now)
	if err != nil {
		return nil, err
	}
	sub.Evidence = evidence
	// Written with the reports filed at the same moment (see commit.go).
	filed, err := s.commit.submit(ctx, []BatchEntry{{Sub: sub, Remint: s.reminter(now.Year())}})
	if err != nil {
		return nil, fmt.Errorf("report: submit: %w", err)
	}
	stored = true
	sub.Case.Ref = filed[0].Ref
	s.d.Logger.DebugContext(ctx, "report filed", "ref", sub.Case.Ref, "category", string(in.Category), "lane", string(in.Lane), "values", len(seen))
	return &Filed{Ref: sub.Case.Ref, TrackingCode: track, Case: sub.Case, Seen: seen}, nil
}

// reminter draws another reference of year, for a store to give a report
// whose reference is taken.
func (s *Service) reminter(year int) func() (string, error) {
	return func() (string, error) {
		r, err := caseref.New(caseref.Report, year, s.d.Rand)
		return r.String(), err
	}
}

// route decides where a report goes by the rules.
func (s *Service) route(ctx context.Context, rules []Rule, in *Input, seen []Seen, now time.Time) (Facts, []Route) {
	facts := Facts{Category: in.Category, Seen: seen}
	facts.Place, _ = ParsePlace(in.Place)
	if in.Abroad {
		facts.Place = PlaceAbroad
	}
	facts = facts.withCountries() // read at most once for both decisions
	routes := Decide(rules, facts, now)
	if name := s.localUnit(ctx, routes, facts.Place); name != "" {
		facts.LocalUnit = name
		routes = Decide(rules, facts, now)
	}
	return facts, routes
}

// submission is the new report id as the store writes it: its case, the
// "submitted" event by actor and, when the rules routed it, the kernel's
// move to referred with the decision as an event.
func (s *Service) submission(id, ref string, in *Input, actor casefile.Actor, facts Facts, seen []Seen, routes []Route,
	personal casefile.Sealed, digest string, track caseref.Code, salt []byte, now time.Time) (Submission, error) {
	data := map[string]string{"category": string(in.Category), "content": digest, "lane": string(in.Lane)}
	if !in.SeenOn.IsZero() {
		data["seen_on"] = in.SeenOn.UTC().Format(time.RFC3339)
	}
	c := casefile.Case{
		ID: id, Ref: ref, Kind: caseref.Report, Category: string(in.Category), Status: Kind.Initial,
		CreatedAt: now, SubmittedAt: now, UpdatedAt: now,
	}
	sub := Submission{
		Case: c, Personal: personal, Lane: in.Lane, Place: facts.Place, Seen: seen, Routes: routes,
		Secrets: casefile.Secrets{TrackingHash: s.d.Digest(track), LedgerSalt: salt},
		Events: []casefile.Event{{
			ID: s.d.IDs.New(), CaseID: id, Type: casefile.EventSubmitted, At: now, Actor: string(actor),
			Visible: true, Data: data,
		}},
	}
	if len(routes) > 0 {
		// Routed at once by the rules: the kernel's move to referred,
		// by the system, with the decision as an event.
		if err := Kind.Check(c.Status, casefile.StatusReferred, casefile.ActorSystem); err != nil {
			return Submission{}, err
		}
		sub.Case.Status = casefile.StatusReferred
		sub.Events = append(sub.Events, s.routedEvent(id, "system", now, routes))
	}
	return sub, nil
}

// localUnit names the local unit of place's département when routes go
// to the local unit and the units say which it is (see LocalUnit); "" if
// not. Failing to read the units is no reason to refuse a report: the
// route then names the département only.
func (s *Service) localUnit(ctx context.Context, routes []Route, place Place) string {
	dep, ok := place.Departement()
	if !ok || s.d.Units == nil || !slices.ContainsFunc(routes, func(r Route) bool { return r.Service == SvcLocal }) {
		return ""
	}
	units, err := s.d.Units.ListUnits(ctx)
	if err != nil {
		s.d.Logger.WarnContext(ctx, "report routing: units", "error", err)
		return ""
	}
	u, ok := LocalUnit(units, dep)
	if !ok {
		return ""
	}
	return u.Name
}

func keysOf(seen []Seen) []string {
	var keys []string
	for _, s := range seen {
		if s.Key != "" {
			keys = append(keys, s.Key)
		}
	}
	return keys
}

// View is what the reporter sees of their report.
type View struct {
	Case   casefile.Case
	Lane   Lane
	Place  Place // the département kept (or abroad); empty if not said
	Seen   []Seen
	Routes []Route          // where it went, why, and what came of it
	Events []casefile.Event // visible ones, oldest first
	// Published lists the values of the report that an analyst
	// published, with how many reports hold each; never the others.
	Published []PublishedMatch
	// Joined: the report was closed as a duplicate of an earlier report
	// of its campaign (see CloseDuplicates); which one is not said.
	Joined bool
	// JoinedRoutes are where that earlier report went and what came of
	// it, so that the reporter of a duplicate reads the outcome too (a
	// campaign's outcome is recorded on the reports routed, which a
	// duplicate is not). Withdrawn routes are left out.
	JoinedRoutes []Route
}

// View returns the reporter's view of report ref. The caller MUST have
// authenticated the reporter for ref first.
func (s *Service) View(ctx context.Context, ref string) (*View, error) {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	if c.Kind != caseref.Report {
		return nil, fmt.Errorf("report %s: %w", ref, guichet.ErrNotFound)
	}
	lane, err := s.d.Store.ReportLane(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	place, err := s.d.Store.ReportPlace(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	seen, err := s.d.Store.ReportSeen(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	evs, err := s.d.Store.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	routes, err := s.d.Store.ReportRoutes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	pub, err := s.published(ctx, seen)
	if err != nil {
		return nil, err
	}
	v := &View{Case: c, Lane: lane, Place: place, Seen: seen, Routes: routes, Published: pub}
	var original string
	for _, e := range evs {
		if e.Type == EventDuplicate {
			v.Joined, original = true, e.Data["duplicate_of"]
		}
		if e.Visible {
			if e.Type == EventDuplicate {
				// The other report's reference is not the reporter's.
				e.Data = nil
			}
			v.Events = append(v.Events, e)
		}
	}
	if original != "" {
		if v.JoinedRoutes, err = s.standingRoutes(ctx, original); err != nil {
			return nil, fmt.Errorf("report %s: the report it was joined with: %w", ref, err)
		}
	}
	return v, nil
}

// standingRoutes returns the routes of report ref that were not withdrawn.
func (s *Service) standingRoutes(ctx context.Context, ref string) ([]Route, error) {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if errors.Is(err, guichet.ErrNotFound) {
		return nil, nil // erased since: nothing more to tell
	}
	if err != nil {
		return nil, err
	}
	routes, err := s.d.Store.ReportRoutes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(routes, func(r Route) bool { return r.Status == RouteWithdrawn }), nil
}

// Harmonise reads every value given into its canonical form, keeping each
// as typed; an invalid value is kept, flagged with its reason. The text of
// an SMS is not itself an indicator: the URLs and phone numbers in it are.
func Harmonise(in []SeenInput) []Seen {
	var out []Seen
	for _, s := range in {
		v := strings.TrimSpace(s.Value)
		if v == "" {
			continue
		}
		switch s.Channel {
		case "sms":
			for _, x := range indicator.Extract(v) {
				out = append(out, fromIndicator("sms", x))
			}
		case "account":
			out = append(out, accountSeen(s.Platform, v))
		case "crypto":
			out = append(out, fromIndicator(s.Channel, cryptoIndicator(v)))
		default:
			out = append(out, fromIndicator(s.Channel, indicator.Normalize(indicator.Kind(s.Channel), v)))
		}
	}
	return out
}

// cryptoIndicator reads a wallet address as Bitcoin or Ethereum, whichever
// it looks like.
func cryptoIndicator(v string) indicator.Indicator {
	if k := indicator.Guess(v); k == indicator.KindBitcoin || k == indicator.KindEthereum {
		return indicator.Normalize(k, v)
	}
	if strings.HasPrefix(strings.ToLower(v), "0x") {
		return indicator.Normalize(indicator.KindEthereum, v)
	}
	return indicator.Normalize(indicator.KindBitcoin, v)
}

func fromIndicator(channel string, x indicator.Indicator) Seen {
	return Seen{
		Channel: channel, Kind: string(x.Kind), Input: x.Input, Valid: x.Valid, Canonical: x.Canonical,
		Display: x.Display, Domain: x.RegistrableDomain, Reason: string(x.Reason), Key: x.Key(),
	}
}

// accountSeen is a platform account: matched on the platform and handle, lower
// case, without a leading "@".
func accountSeen(platform, handle string) Seen {
	p := strings.ToLower(strings.Join(strings.Fields(platform), " "))
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(handle), "@"))
	s := Seen{Channel: "account", Kind: "account", Input: strings.TrimSpace(platform) + " " + strings.TrimSpace(handle)}
	if p == "" || h == "" || strings.ContainsAny(h, " \t\n") {
		s.Reason = "account.malformed"
		return s
	}
	s.Valid, s.Canonical, s.Display = true, p+"/"+h, strings.TrimSpace(platform)+" @"+h
	s.Key = "account:" + s.Canonical
	return s
}

// sniffedFile is a screenshot whose type was read from its bytes.
type sniffedFile struct {
	id, name, ctype string
	data            []byte
}

// sniffFiles reads each screenshot's type from its bytes; one that is not
// an accepted image or document is refused, as for evidence.
func (s *Service) sniffFiles(in []Upload) ([]sniffedFile, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if s.d.Blobs == nil || s.d.Sniff == nil {
		var v guichet.ValidationError
		v.Add("files", "report.err.files_off")
		return nil, &v
	}
	out := make([]sniffedFile, 0, len(in))
	for _, f := range in {
		ct, err := s.d.Sniff(f.Data)
		if err != nil {
			var v guichet.ValidationError
			v.Add("files", "report.err.file_type")
			return nil, &v
		}
		out = append(out, sniffedFile{name: cleanName(f.Name), ctype: ct, data: f.Data})
	}
	return out, nil
}

// storeFiles seals each screenshot under the report's data key and stores
// it; on failure, what was stored is deleted.
func (s *Service) storeFiles(ctx context.Context, caseID string, wrappedKey []byte, files []sniffedFile, at time.Time) ([]casefile.Evidence, error) {
	var out []casefile.Evidence
	for _, f := range files {
		sealed, err := s.d.Vault.SealWith(wrappedKey, f.data, casefile.EvidenceAAD(caseID, f.id))
		if err == nil {
			err = s.d.Blobs.Put(ctx, "evidence/"+f.id, sealed.Ciphertext)
		}
		if err != nil {
			for _, e := range out {
				_ = s.d.Blobs.Delete(context.WithoutCancel(ctx), e.BlobKey)
			}
			return nil, fmt.Errorf("report: screenshot: %w", err)
		}
		sum := sha256.Sum256(f.data)
		out = append(out, casefile.Evidence{ID: f.id, OwnerID: caseID, BlobKey: "evidence/" + f.id, ContentType: f.ctype,
			Size: int64(len(f.data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: at})
	}
	return out, nil
}

// cleanName keeps a file name displayable: base name only, bounded.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, "/\\"); i >= 0 {
		name = name[i+1:]
	}
	r := []rune(strings.TrimSpace(name))
	if len(r) > 120 {
		r = r[:120]
	}
	if len(r) == 0 {
		return "capture"
	}
	return string(r)
}

// Own is what a reporter typed in their report, read back for them alone:
// to start a pre-complaint with it (see the web package's victim path).
type Own struct {
	Case        casefile.Case
	Description string
	Victim      Victim
	// SeenOn is the day the reporter said they saw it; zero if not said.
	SeenOn time.Time
	Seen   []Seen
	// Linked are the references of the cases already linked to the report
	// (casefile.EventLinked), oldest first.
	Linked []string
}

// Own returns the reporter's own report ref, its sealed account opened.
// It records no access: the reporter reads their own words. The caller
// MUST have authenticated the reporter for ref by a proof only their
// browser holds (the web package's sealed "signalement" cookie, set at
// submission), never by the reference alone. An erased report fails with
// guichet.ErrNotFound.
func (s *Service) Own(ctx context.Context, ref string) (*Own, error) {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, err
	}
	if c.Kind != caseref.Report || c.Erased() {
		return nil, fmt.Errorf("report %s: %w", ref, guichet.ErrNotFound)
	}
	sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	pers, err := Kind.OpenPersonal(s.d.Vault, c.ID, sealed)
	if err != nil {
		return nil, err
	}
	acct := pers.(*Account)
	seen, err := s.d.Store.ReportSeen(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	evs, err := s.d.Store.CaseEvents(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	o := &Own{Case: c, Description: acct.Description, Victim: acct.Victim, Seen: seen}
	for _, e := range evs {
		switch e.Type {
		case casefile.EventSubmitted:
			if t, err := time.Parse(time.RFC3339, e.Data["seen_on"]); err == nil {
				o.SeenOn = t
			}
		case casefile.EventLinked:
			o.Linked = append(o.Linked, e.Data["ref"])
		}
	}
	return o, nil
}
