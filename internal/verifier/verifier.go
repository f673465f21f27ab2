// Package verifier answers the public's question "is this a scam?" about a
// phone number, a link, an e-mail address, an IBAN, a wallet or the whole
// text of a message.
//
// The values are found and harmonised by the code that reads reports
// (report.Harmonise, indicator), then looked up against what the police
// chose to tell the public: the keys analysts published and the known-good
// list. An answer never tells anything of a value nobody published: not
// whether it was reported, nor how often, nor anything of the reports or
// their reporters. What was typed is neither stored nor logged.
package verifier

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// Fact is what may be told to the public of one key.
type Fact struct {
	Key string
	// KnownGood is the known-good entry covering the key (the first of
	// report.CoveredBy(Key) on the list), nil when none does.
	KnownGood *report.KnownGood
	// Published is nil unless an analyst published the key.
	Published *Published
}

// Published is what the index says of a published key.
type Published struct {
	// Reports is how many reports hold the key (its degree).
	Reports int
	// FirstSeen and LastSeen are when the first and the latest report
	// holding it were submitted (UTC).
	FirstSeen, LastSeen time.Time
}

// Store is what the checker needs from storage.
type Store interface {
	// CheckKeys returns the facts of those of keys that are published or
	// covered by a known-good entry; any other key is absent. It MUST NOT
	// tell anything of a key that is not published (its count, its first
	// report), MUST NOT read personal data, and MUST answer one key in
	// well under a millisecond however many keys are published (one
	// indexed lookup per key).
	CheckKeys(ctx context.Context, keys []string) (map[string]Fact, error)
}

// Cite is one public warning that describes some of the keys checked.
type Cite struct {
	Ref, Slug string
	// Titles holds the warning's title per language code ("fr", "en").
	Titles map[string]string
	// Keys are the keys it cites.
	Keys []string
}

// Warnings returns the warnings in force at at that cite any of keys. The
// warnings service (package bulletin) provides it; the checker owns the
// interface.
type Warnings interface {
	Citing(ctx context.Context, keys []string, at time.Time) ([]Cite, error)
}

// Verdict is what the checker says of one value.
type Verdict string

// The verdicts.
const (
	// Genuine: the value is on the known-good list (an official number,
	// a bank's or a public service's own domain). It wins over reports.
	Genuine Verdict = "genuine"
	// Reported: analysts published the value as seen in reports.
	Reported Verdict = "reported"
	// Unknown: nothing is known, which does not mean it is safe.
	Unknown Verdict = "unknown"
	// Unreadable: the value could not be read as what it looks like.
	Unreadable Verdict = "unreadable"
)

// FewReports is the count below which an answer says "a few" rather than
// a number.
const FewReports = 5

// Bounds of one check.
const (
	// MaxInputLen bounds what may be pasted, in characters: an SMS's
	// text as a report takes it.
	MaxInputLen = report.MaxSMSLen
	// MaxValues bounds the values answered from one input.
	MaxValues = 20
)

// Answer is the checker's answer about one value.
type Answer struct {
	// Input is the value as found in what was typed; Display is its
	// harmonised form for reading; Kind its kind (url, phone, …).
	Input, Display, Kind string
	Key                  string
	Verdict              Verdict
	// Reason is the stable code of why an Unreadable value was refused.
	Reason string
	// Reports, FirstSeen and LastSeen are set for Reported values; Few
	// says that Reports is below FewReports and MUST be shown as "a few".
	Reports             int
	Few                 bool
	FirstSeen, LastSeen time.Time
	// KnownGood is the entry of a Genuine value.
	KnownGood *report.KnownGood
	// Warnings are the public warnings citing the value.
	Warnings []Cite
	// Channel and Value pre-fill a report of it (/signaler).
	Channel, Value string
}

// Result is the answer to one check.
type Result struct {
	Answers []Answer
	// Truncated is set when the input held more than MaxValues values.
	Truncated bool
}

// Deps are what a Service is built from.
type Deps struct {
	Store Store // required
	// Warnings, if set, adds the warnings citing each value.
	Warnings Warnings
	Clock    guichet.Clock // nil: the system clock
}

// Service answers checks. It is safe for concurrent use and keeps nothing
// of what it is asked.
type Service struct{ d Deps }

// New returns a Service.
func New(d Deps) *Service {
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	return &Service{d: d}
}

// Check reads the values in input and answers each. An empty input, or
// one longer than MaxInputLen, fails with a *guichet.ValidationError on
// field "value" (keys verifier.err.empty, verifier.err.long).
func (s *Service) Check(ctx context.Context, input string) (*Result, error) {
	var v guichet.ValidationError
	switch {
	case strings.TrimSpace(input) == "":
		v.Add("value", "verifier.err.empty")
	case utf8.RuneCountInString(input) > MaxInputLen:
		v.Add("value", "verifier.err.long", MaxInputLen)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	seen := Values(input)
	res := &Result{}
	if len(seen) > MaxValues {
		seen, res.Truncated = seen[:MaxValues], true
	}
	var keys []string
	for _, x := range seen {
		if x.Key != "" {
			keys = append(keys, x.Key)
		}
	}
	facts, err := s.d.Store.CheckKeys(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	var cites []Cite
	if s.d.Warnings != nil && len(keys) > 0 {
		if cites, err = s.d.Warnings.Citing(ctx, keys, s.d.Clock.Now()); err != nil {
			return nil, fmt.Errorf("verifier: warnings: %w", err)
		}
	}
	for _, x := range seen {
		a := Answer{Input: x.Input, Display: x.Display, Kind: x.Kind, Key: x.Key, Reason: x.Reason,
			Channel: reportChannel(x), Value: x.Input}
		if a.Display == "" {
			a.Display = x.Input
		}
		f := facts[x.Key]
		switch {
		case x.Key == "":
			a.Verdict = Unreadable
		case f.KnownGood != nil:
			a.Verdict, a.KnownGood = Genuine, f.KnownGood
		case f.Published != nil && f.Published.Reports > 0:
			a.Verdict = Reported
			a.Reports, a.Few = f.Published.Reports, f.Published.Reports < FewReports
			a.FirstSeen, a.LastSeen = f.Published.FirstSeen, f.Published.LastSeen
		default:
			a.Verdict = Unknown
		}
		if a.Verdict != Genuine && x.Key != "" {
			for _, c := range cites {
				if slices.Contains(c.Keys, x.Key) {
					a.Warnings = append(a.Warnings, c)
				}
			}
		}
		res.Answers = append(res.Answers, a)
	}
	return res, nil
}

// singleKinds are the kinds a line is taken as whole when it reads as one.
var singleKinds = []indicator.Kind{indicator.KindURL, indicator.KindDomain, indicator.KindIP, indicator.KindEmail,
	indicator.KindPhone, indicator.KindIBAN, indicator.KindBitcoin, indicator.KindEthereum}

// Values finds the values in input as the report pipeline reads them:
// when every line reads as one value (a number, a link, an IBAN…), each
// line is one; otherwise input is a message, read as the text of an SMS
// (the links, addresses and numbers in it). Each value comes once, in
// order. A single line that reads as nothing is returned unreadable, with
// its reason, so that the answer can say so.
func Values(input string) []report.Seen {
	var lines []string
	for l := range strings.SplitSeq(input, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	var out []report.Seen
	whole := true
	for _, l := range lines {
		k := indicator.Guess(l)
		if !slices.Contains(singleKinds, k) {
			whole = false
			break
		}
		out = append(out, seenOf(indicator.Normalize(k, l)))
	}
	if !whole {
		out = report.Harmonise([]report.SeenInput{{Channel: "sms", Value: strings.Join(lines, "\n")}})
		if len(out) == 0 && len(lines) == 1 {
			x := indicator.Normalize(indicator.KindAuto, lines[0])
			x.Input = lines[0]
			out = append(out, seenOf(x))
		}
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(x report.Seen) bool {
		id := x.Key
		if id == "" {
			id = "?" + x.Input
		}
		dup := seen[id]
		seen[id] = true
		return dup
	})
}

func seenOf(x indicator.Indicator) report.Seen {
	return report.Seen{Kind: string(x.Kind), Input: x.Input, Valid: x.Valid, Canonical: x.Canonical,
		Display: x.Display, Domain: x.RegistrableDomain, Reason: string(x.Reason), Key: x.Key()}
}

// reportChannel is the channel a report of x is pre-filled with.
func reportChannel(x report.Seen) string {
	switch indicator.Kind(x.Kind) {
	case indicator.KindPhone:
		return "phone"
	case indicator.KindEmail:
		return "email"
	case indicator.KindIBAN:
		return "iban"
	case indicator.KindBitcoin, indicator.KindEthereum:
		return "crypto"
	}
	return "url"
}
