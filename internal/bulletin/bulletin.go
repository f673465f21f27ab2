// Package bulletin runs public warnings (avis): bulletins written by
// analysts and supervisors that tell people, in French and English, of a
// trick used to steal money or bank details, or to prey on young people —
// what it looks like, what to do, who to call.
//
// A bulletin is a kind of case (AV) on the case kernel. Its content is
// public, so it has no sealed personal part; what the kernel gives it is
// the lifecycle and the events: a draft is written and previewed, then
// published, updated (each update is a new version, the earlier ones are
// kept) and withdrawn, and each of these is a case event whose leaf goes
// to the transparency log with the SHA-256 digest of the version's
// canonical content (Content.Digest). A warning therefore cannot be
// back-dated or silently edited: the log holds, in order, a commitment to
// every version ever shown.
//
// Feeds are generated here (Atom 1.0, CAP 1.2, CAP-in-Atom): see feed.go.
package bulletin

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/report"
)

// The statuses of a bulletin, the kernel's under the names writers use:
//
//	draft → published (submitted) → withdrawn (closed)
//
// An update keeps a bulletin published (published → published) and adds a
// version. A bulletin past its ValidUntil is still published, no longer
// current: "current" is a matter of dates, not of status.
const (
	StatusDraft     = casefile.StatusDraft
	StatusPublished = casefile.StatusSubmitted
	StatusWithdrawn = casefile.StatusClosed
)

// Kind declares bulletins to the case kernel. Writers — analysts (the
// kernel's agent actor) and supervisors — make every transition; nobody
// else makes any.
var Kind = &casefile.Kind{
	Prefix:  caseref.Bulletin,
	Initial: StatusDraft,
	Transitions: []casefile.Transition{
		{From: StatusDraft, To: StatusPublished, By: writers},
		{From: StatusPublished, To: StatusPublished, By: writers},
		{From: StatusPublished, To: StatusWithdrawn, By: writers},
	},
	Final: []casefile.Status{StatusWithdrawn},
	// A bulletin holds no personal data: nothing to erase, ever.
	Retention: casefile.Retention{},
	Codec:     casefile.JSONCodec[nothing]("bulletin"),
}

var writers = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor}

// nothing is a bulletin's personal part: it has none. The codec is there
// because the kernel asks every kind for one; no bulletin is ever sealed.
type nothing struct{}

func (*nothing) EvidenceNames() map[string]string { return nil }

// Events of a bulletin. Their data holds the version number and the
// content's digest only (the content itself is public on the page and in
// the feeds, so anyone can recompute the digest).
const (
	EventCreated   = casefile.EventCreated // a draft was opened; data: none
	EventPublished = "bulletin.published"  // data: version, digest
	EventUpdated   = "bulletin.updated"    // data: version, digest
	EventWithdrawn = "bulletin.withdrawn"  // data: version (the last one shown)
)

// Audience is who a bulletin is for.
type Audience string

// The audiences, in the order pages list them.
const (
	AudienceEveryone Audience = "everyone"
	AudienceYoung    Audience = "young"
	AudienceSeniors  Audience = "seniors"
	AudienceBusiness Audience = "business"
)

// Audiences lists them.
var Audiences = []Audience{AudienceEveryone, AudienceYoung, AudienceSeniors, AudienceBusiness}

// Level is how serious the writer judges the threat.
type Level string

// The levels.
const (
	// LevelInfo: a known trick worth knowing ("information").
	LevelInfo Level = "info"
	// LevelWarning: a trick going round now ("vigilance").
	LevelWarning Level = "warning"
	// LevelAlert: a wave now, with victims losing money or put in danger
	// ("alerte").
	LevelAlert Level = "alert"
)

// Levels lists them, least serious first.
var Levels = []Level{LevelInfo, LevelWarning, LevelAlert}

// Text is a bulletin's words in one language.
type Text struct {
	Title   string `json:"title"`
	Summary string `json:"summary"` // plain text, one or two sentences
	// Looks says what the trick looks like, with examples; Do says what
	// to do. Both are markup (see Render).
	Looks string `json:"looks"`
	Do    string `json:"do"`
}

// Content is what a version of a bulletin says. It is public.
type Content struct {
	Slug      string     `json:"slug"`
	Level     Level      `json:"level"`
	Audiences []Audience `json:"audiences"`
	FR        Text       `json:"fr"`
	EN        Text       `json:"en"`
	// Campaigns are the references (C-…) of the campaigns of reports the
	// bulletin describes; Keys the published indicator keys it cites
	// ("phone:+33199001234"), as report.Campaign keys are written.
	Campaigns []string `json:"campaigns"`
	Keys      []string `json:"keys"`
	// ValidFrom and ValidUntil bound when the bulletin is current; a zero
	// ValidUntil is open-ended.
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
	// Category is the category of report the page's "report it" link
	// opens the form with (pre-filled); empty: the form's first page.
	Category report.Category `json:"category,omitempty"`
}

// Text returns the words in lang ("fr" or "en"; anything else is French).
func (c *Content) Text(lang string) Text {
	if lang == "en" {
		return c.EN
	}
	return c.FR
}

// For reports whether the bulletin is for audience a (a bulletin for
// everyone is for every audience).
func (c *Content) For(a Audience) bool {
	return a == "" || slices.Contains(c.Audiences, a) || slices.Contains(c.Audiences, AudienceEveryone)
}

// Current reports whether c is current at t.
func (c *Content) Current(t time.Time) bool {
	return !t.Before(c.ValidFrom) && (c.ValidUntil.IsZero() || t.Before(c.ValidUntil))
}

// Canonical is the version's canonical encoding: JSON with the fields in
// declaration order, times in UTC RFC 3339 to the second, lists sorted.
// The digest the transparency log holds is SHA-256 of it.
func (c Content) Canonical() []byte {
	c.ValidFrom = c.ValidFrom.UTC().Truncate(time.Second)
	if !c.ValidUntil.IsZero() {
		c.ValidUntil = c.ValidUntil.UTC().Truncate(time.Second)
	}
	c.Audiences = sortedCopy(c.Audiences)
	c.Campaigns = sortedCopy(c.Campaigns)
	c.Keys = sortedCopy(c.Keys)
	b, err := json.Marshal(c)
	if err != nil {
		panic("bulletin: marshal content: " + err.Error()) // strings and times only
	}
	return b
}

func sortedCopy[T ~string](s []T) []T {
	out := slices.Clone(s)
	if out == nil {
		out = []T{}
	}
	slices.Sort(out)
	return out
}

// Digest is hex SHA-256 of Canonical.
func (c Content) Digest() string {
	sum := sha256.Sum256(c.Canonical())
	return hex.EncodeToString(sum[:])
}

// CAP values. The mapping from a bulletin to CAP 1.2's urgency, severity
// and certainty is:
//
//	severity:  alert → Severe, warning → Moderate, info → Minor
//	urgency:   withdrawn or past ValidUntil → Past; ValidFrom in the future →
//	           Future; current and alert → Immediate; current → Expected
//	certainty: cites a campaign or a published indicator (reports were
//	           received and checked) → Observed; otherwise → Likely
//
// A scam warning is never Extreme (no life at immediate risk from the
// warning's subject as such; that is what 17/112 are for).
func (c *Content) Severity() string {
	switch c.Level {
	case LevelAlert:
		return "Severe"
	case LevelWarning:
		return "Moderate"
	}
	return "Minor"
}

// Urgency is CAP urgency at t (see Severity for the mapping).
func (c *Content) Urgency(t time.Time, withdrawn bool) string {
	switch {
	case withdrawn || (!c.ValidUntil.IsZero() && !t.Before(c.ValidUntil)):
		return "Past"
	case t.Before(c.ValidFrom):
		return "Future"
	case c.Level == LevelAlert:
		return "Immediate"
	}
	return "Expected"
}

// Certainty is CAP certainty (see Severity for the mapping).
func (c *Content) Certainty() string {
	if len(c.Campaigns) > 0 || len(c.Keys) > 0 {
		return "Observed"
	}
	return "Likely"
}

// Limits of a bulletin's fields, in characters.
const (
	MaxTitle   = 120
	MaxSummary = 400
	MaxBody    = 6000
	MaxCites   = 50
	MaxSlug    = 80
)

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether s can name a bulletin in its address: lower
// case letters, digits and single hyphens, not shaped like a reference.
func ValidSlug(s string) bool {
	if len(s) < 3 || len(s) > MaxSlug || !slugRE.MatchString(s) {
		return false
	}
	_, err := caseref.Parse(strings.ToUpper(s))
	return err != nil
}

// Validate returns the field errors of c (nil when valid), without the
// checks that need storage (cited campaigns and keys, see Service). Field
// names are the form's: "slug", "level", "audiences", "fr.title",
// "en.summary", …, "valid_from", "valid_until", "campaigns", "keys".
func Validate(c *Content) *guichet.ValidationError {
	var v guichet.ValidationError
	if !ValidSlug(c.Slug) {
		v.Add("slug", "avis.err.slug")
	}
	if !slices.Contains(Levels, c.Level) {
		v.Add("level", "avis.err.level")
	}
	if len(c.Audiences) == 0 {
		v.Add("audiences", "avis.err.audiences")
	}
	for _, a := range c.Audiences {
		if !slices.Contains(Audiences, a) {
			v.Add("audiences", "avis.err.audiences")
			break
		}
	}
	for lang, t := range map[string]Text{"fr": c.FR, "en": c.EN} {
		check := func(field, s string, max int) {
			switch n := utf8.RuneCountInString(strings.TrimSpace(s)); {
			case n == 0:
				v.Add(lang+"."+field, "avis.err.required")
			case n > max:
				v.Add(lang+"."+field, "avis.err.too_long", max)
			case !utf8.ValidString(s):
				v.Add(lang+"."+field, "avis.err.text")
			}
		}
		check("title", t.Title, MaxTitle)
		check("summary", t.Summary, MaxSummary)
		check("looks", t.Looks, MaxBody)
		check("do", t.Do, MaxBody)
	}
	if c.ValidFrom.IsZero() {
		v.Add("valid_from", "avis.err.valid_from")
	}
	if !c.ValidUntil.IsZero() && !c.ValidUntil.After(c.ValidFrom) {
		v.Add("valid_until", "avis.err.valid_until")
	}
	if len(c.Campaigns) > MaxCites {
		v.Add("campaigns", "avis.err.too_many", MaxCites)
	}
	if c.Category != "" && !c.Category.Valid() {
		v.Add("report_category", "avis.err.category")
	}
	if len(c.Keys) > MaxCites {
		v.Add("keys", "avis.err.too_many", MaxCites)
	}
	// Fields are reported in form order: sort by the order of fieldOrder.
	slices.SortStableFunc(v.Fields, func(a, b guichet.FieldError) int { return fieldRank(a.Field) - fieldRank(b.Field) })
	return &v
}

var fieldOrder = []string{"slug", "level", "audiences",
	"fr.title", "fr.summary", "fr.looks", "fr.do", "en.title", "en.summary", "en.looks", "en.do",
	"valid_from", "valid_until", "report_category", "campaigns", "keys"}

func fieldRank(f string) int {
	if i := slices.Index(fieldOrder, f); i >= 0 {
		return i
	}
	return len(fieldOrder)
}

// Version is one published version of a bulletin.
type Version struct {
	N       int // 1, 2, …
	Content Content
	Digest  string // Content.Digest()
	At      time.Time
	By      string // the writer's pseudonym
	// EventID is the case event that published it (its leaf is in the
	// transparency log).
	EventID string
}

// Bulletin is a bulletin as stores keep it.
type Bulletin struct {
	Case casefile.Case
	// Slug names it in addresses; set by the first draft, it may change
	// only while the bulletin was never published.
	Slug string
	// Draft is the writer's working copy (the next version), DraftAt when
	// it was last saved and DraftBy by whom; nil when there is none
	// (just published, nothing changed since).
	Draft   *Content
	DraftAt time.Time
	DraftBy string
	// Published is the latest published version; nil for a draft never
	// published. PublishedAt is when version 1 was.
	Published   *Version
	PublishedAt time.Time
	// WithdrawnAt is when it was withdrawn; zero while it is not.
	WithdrawnAt time.Time
}

// Withdrawn reports whether b was withdrawn.
func (b *Bulletin) Withdrawn() bool { return !b.WithdrawnAt.IsZero() }

// Ref is b's reference.
func (b *Bulletin) Ref() string { return b.Case.Ref }
