package indicator

import (
	"strings"
	"unicode/utf8"
)

// Kind is the kind of an indicator. The zero value is not a kind.
type Kind string

// The kinds of indicators. KindAuto is only an input to [Normalize] (it asks
// for [Guess]); an [Indicator] never carries it.
const (
	KindURL      Kind = "url"
	KindDomain   Kind = "domain"
	KindIP       Kind = "ip"
	KindEmail    Kind = "email"
	KindPhone    Kind = "phone"
	KindIBAN     Kind = "iban"
	KindBitcoin  Kind = "btc"
	KindEthereum Kind = "eth"

	// KindAuto asks Normalize to guess the kind.
	KindAuto Kind = "auto"
	// KindUnknown is what Guess returns when no kind fits. Normalizing with
	// it yields an invalid indicator with reason [ReasonKindUnknown].
	KindUnknown Kind = "unknown"
)

// Kinds lists the kinds an indicator can have, in a stable order.
var Kinds = []Kind{KindURL, KindDomain, KindIP, KindEmail, KindPhone, KindIBAN, KindBitcoin, KindEthereum}

// ParseKind returns the kind named s ("url", "phone", …, "auto"), ignoring
// case and surrounding space, and false if there is none.
func ParseKind(s string) (Kind, bool) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	switch k {
	case KindURL, KindDomain, KindIP, KindEmail, KindPhone, KindIBAN, KindBitcoin, KindEthereum, KindAuto:
		return k, true
	}
	return "", false
}

// MaxInputLen is the longest input, in bytes, that is normalized. A longer
// one is returned invalid with [ReasonTooLong], unparsed; so is one whose
// canonical form would be longer (escaping can triple a URL).
const MaxInputLen = 8192

// Indicator is one value as typed, and its canonical form for matching.
//
// When Valid is true, Canonical is non-empty, is valid UTF-8 (ASCII for
// every kind but email, whose local part may be UTF-8), and normalizing
// Canonical again with the same Kind gives the same Canonical. When Valid is
// false, Reason is non-empty, and Canonical, Display and RegistrableDomain
// are empty: the input is kept as typed, never dropped.
type Indicator struct {
	// Input is the value exactly as given.
	Input string `json:"input"`
	// Kind is the kind the value was read as (never KindAuto).
	Kind Kind `json:"kind"`
	// Valid reports whether the value is well formed for its kind.
	Valid bool `json:"valid"`
	// Canonical is the form two reports are matched on.
	Canonical string `json:"canonical"`
	// Display is the form shown to people: the canonical form, except that
	// URLs lose known tracking parameters and IBANs and phone numbers are
	// grouped for reading.
	Display string `json:"display"`
	// RegistrableDomain is the public suffix plus one label (eTLD+1) of the
	// host of a URL, a domain or an e-mail address, when it has one.
	RegistrableDomain string `json:"registrable_domain"`
	// Reason is a stable code saying why the value is invalid (see the
	// package documentation); empty when Valid.
	Reason Reason `json:"reason"`

	// Type is the phone number's type ("mobile", "premium_rate", "voip", …)
	// or the Bitcoin address's type ("p2pkh", "p2sh", "p2wpkh", "p2wsh",
	// "p2tr", "witness_unknown").
	Type string `json:"type,omitempty"`
	// Country is the ISO 3166-1 region of a phone number or an IBAN.
	Country string `json:"country,omitempty"`
	// Encoding is a Bitcoin address's encoding: "base58check", "bech32" or
	// "bech32m".
	Encoding string `json:"encoding,omitempty"`
	// WitnessVersion is a SegWit address's witness version (0–16); nil for
	// other values.
	WitnessVersion *int `json:"witness_version,omitempty"`
	// Network is a Bitcoin address's network: "mainnet" or "testnet".
	Network string `json:"network,omitempty"`
}

// Key is the compact matching key of a valid indicator: its kind, a colon
// and its canonical form ("url:http://example.com/"). Two indicators match
// exactly when their keys are equal. An invalid indicator has no key: Key
// returns "" and it MUST NOT be indexed.
func (in Indicator) Key() string {
	if !in.Valid || in.Canonical == "" {
		return ""
	}
	return string(in.Kind) + ":" + in.Canonical
}

// Normalizer normalizes values with options. The zero value is ready to use.
type Normalizer struct {
	// Region is the ISO 3166-1 alpha-2 region that phone numbers written
	// without an international prefix are read in ("FR" when empty).
	Region string
}

// DefaultRegion is the region of phone numbers written in national form
// when no other is given.
const DefaultRegion = "FR"

// Normalize reads input as a value of the given kind with the default
// options. See [Normalizer.Normalize].
func Normalize(kind Kind, input string) Indicator {
	return Normalizer{}.Normalize(kind, input)
}

// Normalize reads input as a value of the given kind (KindAuto: the kind
// [Guess] returns) and returns it typed and in canonical form. It never
// panics and never drops the value: an input that is empty, too long, of an
// unknown kind or malformed comes back with Valid false and a Reason.
// Surrounding white space is ignored for every kind.
func (n Normalizer) Normalize(kind Kind, input string) Indicator {
	if kind == KindAuto {
		kind = Guess(input)
	}
	in := Indicator{Kind: kind, Input: input}
	if len(input) > MaxInputLen {
		return in.invalid(ReasonTooLong)
	}
	if strings.TrimFunc(input, isSpaceOrControl) == "" {
		return in.invalid(ReasonEmpty)
	}
	var r Indicator
	switch kind {
	case KindURL:
		r = normalizeURL(input)
	case KindDomain:
		r = normalizeDomain(input)
	case KindIP:
		r = normalizeIP(input)
	case KindEmail:
		r = normalizeEmail(input)
	case KindPhone:
		r = normalizePhone(input, n.Region)
	case KindIBAN:
		r = normalizeIBAN(input)
	case KindBitcoin:
		r = normalizeBitcoin(input)
	case KindEthereum:
		r = normalizeEthereum(input)
	default:
		if kind == "" {
			in.Kind = KindUnknown
		}
		return in.invalid(ReasonKindUnknown)
	}
	r.Kind, r.Input = kind, input
	if !r.Valid {
		return r.invalid(r.Reason)
	}
	if len(r.Canonical) > MaxInputLen {
		// Escaping can triple a URL; a canonical form MUST itself be an
		// input Normalize accepts.
		return r.invalid(ReasonTooLong)
	}
	if r.Display == "" {
		r.Display = r.Canonical
	}
	return r
}

// invalid returns in marked invalid for reason, with every derived field
// cleared so that an invalid value can never be matched.
func (in Indicator) invalid(reason Reason) Indicator {
	return Indicator{Kind: in.Kind, Input: in.Input, Reason: reason}
}

// bad is shorthand for a result that is invalid for reason.
func bad(reason Reason) Indicator { return Indicator{Reason: reason} }

// isSpaceOrControl reports whether r is white space or a C0 control, which
// are trimmed from both ends of every input.
func isSpaceOrControl(r rune) bool {
	return r <= 0x20 || r == 0x7f || r == 0x85 || r == 0xa0 || r == 0xfeff ||
		(r >= 0x2000 && r <= 0x200b) || r == 0x2028 || r == 0x2029 || r == 0x202f || r == 0x205f || r == 0x3000
}

// trim removes surrounding white space and controls.
func trim(s string) string { return strings.TrimFunc(s, isSpaceOrControl) }

// validUTF8 reports whether s is valid UTF-8 (a shorthand kept for
// readability at call sites).
func validUTF8(s string) bool { return utf8.ValidString(s) }
