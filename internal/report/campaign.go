package report

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Cross-referencing (recoupement): the vocabulary. Every valid value a
// report holds has a key (Seen.Key, kind:canonical); the index counts, per
// key, the distinct reports holding it: its degree. Two reports are linked
// when they hold a common key that links, that is a key neither known-good
// nor a hub (held by more than the threshold); a campaign is a connected
// set of linked reports. Every report belongs to exactly one campaign — of
// one report when linked to no other; lists show those of two or more.

// DefaultMaxDegree is the default degree threshold: a key held by more
// reports than this is a hub and links none of them.
const DefaultMaxDegree = 1000

// Campaign is a set of reports tied together by the keys they share.
type Campaign struct {
	// ID is the internal key (UUIDv7), never shown.
	ID string
	// Ref is the public reference analysts quote ("C-2026-7KQ3-M9TX").
	Ref string
	// Reports is how many reports it holds; 0 once merged.
	Reports int
	// FirstSeen and LastSeen are the submission times of its first and
	// latest reports.
	FirstSeen, LastSeen time.Time
	// MergedInto is the ID of the campaign it was merged into, when a
	// report (or a key linking again) joined it to a larger one; "" for a
	// live campaign. A merged campaign's reference leads to the live one.
	MergedInto string
}

// KeyState is what the index knows of one key.
type KeyState struct {
	Key string
	// Reports is the key's degree: how many distinct reports hold it.
	Reports int
	// KnownGood is the known-good entry covering the key (see CoveredBy);
	// nil when none does. Inside a write transaction (LinkTx) only its Key
	// need be set.
	KnownGood *KnownGood
	// Published is set when an analyst published the key, so that the
	// reporters of reports holding it see how many reports hold it.
	Published bool
}

// Links reports whether the key links the reports holding it, under the
// degree threshold maxDegree.
func (k KeyState) Links(maxDegree int) bool { return k.KnownGood == nil && k.Reports <= maxDegree }

// WhyNot says why the key does not link under maxDegree; its zero value
// (Code "") when it does.
func (k KeyState) WhyNot(maxDegree int) NoLink {
	switch {
	case k.KnownGood != nil:
		return NoLink{Code: NoLinkKnownGood, KnownGood: *k.KnownGood, Reports: k.Reports, MaxDegree: maxDegree}
	case k.Reports > maxDegree:
		return NoLink{Code: NoLinkHub, Reports: k.Reports, MaxDegree: maxDegree}
	}
	return NoLink{}
}

// The reasons a key does not link.
const (
	NoLinkKnownGood = "known_good" // on the known-good list
	NoLinkHub       = "hub"        // held by more than the threshold
)

// NoLink is why a key does not link reports, for people to read.
type NoLink struct {
	// Code is NoLinkKnownGood, NoLinkHub, or "" when the key links.
	Code string
	// KnownGood is the entry covering a known-good key.
	KnownGood KnownGood
	// Reports is the key's degree; MaxDegree the threshold it is held to.
	Reports, MaxDegree int
}

// MessageKey is the translation key of the explanation
// ("report.nolink.known_good", "report.nolink.hub"), "" when the key
// links.
func (n NoLink) MessageKey() string {
	if n.Code == "" {
		return ""
	}
	return "report.nolink." + n.Code
}

// MessageArgs are the arguments of MessageKey: for a known-good key, the
// translation key of its entry's category ("report.known_good.bank") and
// its label; for a hub, the threshold and the degree.
func (n NoLink) MessageArgs() []any {
	switch n.Code {
	case NoLinkKnownGood:
		return []any{"report.known_good." + n.KnownGood.Category, n.KnownGood.Label}
	case NoLinkHub:
		return []any{n.MaxDegree, n.Reports}
	}
	return nil
}

// String says it in English, for logs and tests: "known-good: bank —
// Société Générale", "links more than 1000 reports (1204)".
func (n NoLink) String() string {
	switch n.Code {
	case NoLinkKnownGood:
		return "known-good: " + n.KnownGood.Category + " — " + n.KnownGood.Label
	case NoLinkHub:
		return fmt.Sprintf("links more than %d reports (%d)", n.MaxDegree, n.Reports)
	}
	return ""
}

// KnownGood is an entry of the known-good list: a value that MUST NOT link
// reports. An entry of kind domain also covers that domain's home pages
// (see CoveredBy); any other entry covers its own key only.
type KnownGood struct {
	Key       string // kind:canonical
	Kind      string
	Canonical string
	// Category is one of KnownGoodCategories; pages render it in their
	// language.
	Category string
	// Label names the value, as its owner does ("Gmail", "Société
	// Générale", "Serveur interbancaire d'opposition à carte bancaire").
	Label   string
	AddedBy string // the supervisor's pseudonym, or "seed"
	AddedAt time.Time
}

// The categories of known-good entries.
const (
	KnownGoodWebmail   = "webmail"        // a big webmail's domain
	KnownGoodShortener = "shortener"      // a URL shortener's home page
	KnownGoodPlatform  = "platform"       // a platform's or shop's home page
	KnownGoodBank      = "bank"           // a bank's official domain or number
	KnownGoodPublic    = "public_service" // a public service's domain or number
	KnownGoodOther     = "other"
)

// KnownGoodCategories lists the categories in the order pages offer them.
var KnownGoodCategories = []string{KnownGoodWebmail, KnownGoodShortener, KnownGoodPlatform, KnownGoodBank, KnownGoodPublic, KnownGoodOther}

// CoveredBy returns the keys of the known-good entries that would cover
// key: the key itself; for a domain, the domain without "www."; for the
// home page of a host (a URL whose path is "/" with no query), the host
// and the host without "www." as domains. A specific page or short link
// (bit.ly/abc) is covered only by an entry of its own: it is a good
// indicator even when its home page is not. An email address is covered
// only by its own entry: a crook's address at a big webmail is specific.
func CoveredBy(key string) []string {
	out := []string{key}
	kind, canon, ok := strings.Cut(key, ":")
	if !ok {
		return out
	}
	switch kind {
	case "domain":
		if rest, ok := strings.CutPrefix(canon, "www."); ok && rest != "" {
			out = append(out, "domain:"+rest)
		}
	case "url":
		host, ok := homePageHost(canon)
		if !ok {
			break
		}
		out = append(out, "domain:"+host)
		if rest, ok := strings.CutPrefix(host, "www."); ok && rest != "" {
			out = append(out, "domain:"+rest)
		}
	}
	return out
}

// Covers returns every key the known-good entry entryKey covers: the
// inverse of CoveredBy (k is in Covers(e) exactly when e is in
// CoveredBy(k)).
func Covers(entryKey string) []string {
	out := []string{entryKey}
	kind, host, ok := strings.Cut(entryKey, ":")
	if !ok || kind != "domain" || host == "" {
		return out
	}
	out = append(out, "domain:www."+host)
	for _, h := range []string{host, "www." + host} {
		out = append(out, "url:http://"+h+"/", "url:https://"+h+"/")
	}
	return out
}

// Labels returns, for every key the known-good entries cover, the entry
// covering it: the first of CoveredBy(key) that is an entry.
func Labels(entries []string) map[string]string {
	is := make(map[string]bool, len(entries))
	for _, e := range entries {
		is[e] = true
	}
	out := map[string]string{}
	for _, e := range entries {
		for _, k := range Covers(e) {
			if _, done := out[k]; done {
				continue
			}
			for _, c := range CoveredBy(k) {
				if is[c] {
					out[k] = c
					break
				}
			}
		}
	}
	return out
}

// homePageHost returns the host of a canonical URL that is a home page
// (scheme://host/ exactly, no port, no query).
func homePageHost(canon string) (string, bool) {
	rest, ok := strings.CutPrefix(canon, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(canon, "http://"); !ok {
			return "", false
		}
	}
	host, ok := strings.CutSuffix(rest, "/")
	if !ok || host == "" || strings.ContainsAny(host, "/?#:@[") {
		return "", false
	}
	return host, true
}

// crockford is Crockford's base32 alphabet, as case references use.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// campaignBody is the number of random symbols of a campaign reference.
const campaignBody = 7

// ErrMalformedRef is wrapped by ParseCampaignRef's errors.
var ErrMalformedRef = errors.New("malformed campaign reference")

// NewCampaignRef draws a campaign reference for year from rand, shaped like
// case references: C-2026-7KQ3-M9TX, Crockford base32, the last symbol a
// check (Luhn mod 32 over the year's digits and the body) so a mistyped
// reference is refused before any lookup.
func NewCampaignRef(rand io.Reader, year int) (string, error) {
	if year < 2000 || year > 9999 {
		return "", fmt.Errorf("campaign reference: year %d out of range", year)
	}
	var buf [campaignBody]byte
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return "", fmt.Errorf("campaign reference: random: %w", err)
	}
	vals := make([]int, campaignBody)
	for i, b := range buf {
		vals[i] = int(b & 31)
	}
	return formatCampaignRef(year, vals), nil
}

func formatCampaignRef(year int, body []int) string {
	var b strings.Builder
	b.WriteString("C-")
	b.WriteString(strconv.Itoa(year))
	b.WriteByte('-')
	for i, v := range body {
		if i == 4 {
			b.WriteByte('-')
		}
		b.WriteByte(crockford[v])
	}
	b.WriteByte(crockford[refCheck(year, body)])
	return b.String()
}

func refCheck(year int, body []int) int {
	y := strconv.Itoa(year)
	vals := make([]int, 0, len(y)+len(body))
	for i := range len(y) {
		vals = append(vals, int(y[i]-'0'))
	}
	vals = append(vals, body...)
	const n = 32
	factor, sum := 2, 0
	for i := len(vals) - 1; i >= 0; i-- {
		a := factor * vals[i]
		factor = 3 - factor
		sum += a/n + a%n
	}
	return (n - sum%n) % n
}

// ParseCampaignRef reads a campaign reference as a person types it: case,
// spaces and hyphens do not matter, O is read 0 and I or L 1. It returns
// the reference in its canonical form, or an error wrapping
// ErrMalformedRef.
func ParseCampaignRef(s string) (string, error) {
	if len(s) > 64 {
		return "", fmt.Errorf("%w: too long", ErrMalformedRef)
	}
	clean := make([]byte, 0, 16)
	for i := range len(s) {
		switch c := s[i]; c {
		case ' ', '-', '\t', '.', '_':
		default:
			clean = append(clean, c)
		}
	}
	if len(clean) != 1+4+campaignBody+1 || (clean[0] != 'C' && clean[0] != 'c') {
		return "", fmt.Errorf("%w: expected a reference like C-2026-7KQ3-M9TX", ErrMalformedRef)
	}
	sym := func(c byte) (int, bool) {
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		i := strings.IndexByte(crockford, c)
		return i, i >= 0
	}
	year := 0
	for _, c := range clean[1:5] {
		v, ok := sym(c)
		if !ok || v > 9 {
			return "", fmt.Errorf("%w: the year must be four digits", ErrMalformedRef)
		}
		year = year*10 + v
	}
	if year < 2000 {
		return "", fmt.Errorf("%w: year out of range", ErrMalformedRef)
	}
	body := make([]int, campaignBody)
	for i, c := range clean[5 : 5+campaignBody] {
		v, ok := sym(c)
		if !ok {
			return "", fmt.Errorf("%w: %q is not a reference symbol", ErrMalformedRef, c)
		}
		body[i] = v
	}
	cv, ok := sym(clean[len(clean)-1])
	if !ok || cv != refCheck(year, body) {
		return "", fmt.Errorf("%w: check symbol does not match (typing mistake?)", ErrMalformedRef)
	}
	return formatCampaignRef(year, body), nil
}
