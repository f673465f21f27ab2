package indicator

import (
	"strings"
	"testing"
)

// want is an expected result: valid with a canonical form (and optionally
// display, registrable domain and type), or invalid with a reason.
type want struct {
	canonical, display, domain, typ string
	reason                          Reason
}

func check(t *testing.T, n Normalizer, kind Kind, in string, w want) {
	t.Helper()
	got := n.Normalize(kind, in)
	if w.reason != "" {
		if got.Valid || got.Reason != w.reason {
			t.Errorf("%s %q: got valid %v, reason %q, canonical %q; want invalid %s", kind, in, got.Valid, got.Reason, got.Canonical, w.reason)
		}
		return
	}
	if !got.Valid || got.Canonical != w.canonical {
		t.Errorf("%s %q: got %q (valid %v, %s), want %q", kind, in, got.Canonical, got.Valid, got.Reason, w.canonical)
	}
	if w.display != "" && got.Display != w.display {
		t.Errorf("%s %q: display %q, want %q", kind, in, got.Display, w.display)
	}
	if w.domain != "" && got.RegistrableDomain != w.domain {
		t.Errorf("%s %q: registrable domain %q, want %q", kind, in, got.RegistrableDomain, w.domain)
	}
	if w.typ != "" && got.Type != w.typ {
		t.Errorf("%s %q: type %q, want %q", kind, in, got.Type, w.typ)
	}
}

func TestDomain(t *testing.T) {
	for in, w := range map[string]want{
		"Example.COM.":                           {canonical: "example.com", domain: "example.com"},
		"  www.impots.gouv.fr":                   {canonical: "www.impots.gouv.fr", domain: "impots.gouv.fr"},
		"Bücher.de":                              {canonical: "xn--bcher-kva.de", domain: "xn--bcher-kva.de"},
		"evil[.]example[.]com":                   {canonical: "evil.example.com", domain: "example.com"},
		"a..b.com":                               {canonical: "a.b.com"},
		"_dmarc.example.org":                     {canonical: "_dmarc.example.org", domain: "example.org"},
		"co.uk":                                  {canonical: "co.uk"}, // a public suffix: no registrable domain
		"localhost":                              {reason: ReasonDomainSingleLabel},
		"...":                                    {reason: ReasonDomainEmpty},
		"1.2.3.4":                                {reason: ReasonDomainIsIP},
		"[::1]":                                  {reason: ReasonDomainIsIP},
		"0x7f.1":                                 {reason: ReasonDomainIsIP},
		"exa mple.com":                           {reason: ReasonDomainChars},
		"example.com/path":                       {reason: ReasonDomainChars},
		"xn--a.com":                              {reason: ReasonDomainIDNA},
		"a\u200d.com":                            {reason: ReasonDomainIDNA},
		strings.Repeat("a", 64) + ".com":         {reason: ReasonDomainLabelLength},
		strings.Repeat("abcdefghi.", 26) + "com": {reason: ReasonDomainLength},
		"\xff.com":                               {reason: ReasonUTF8},
	} {
		check(t, Normalizer{}, KindDomain, in, w)
	}
	if got := Normalize(KindDomain, "co.uk"); got.RegistrableDomain != "" {
		t.Errorf("co.uk: registrable domain %q, want none", got.RegistrableDomain)
	}
	// A domain and a URL with that host agree on the host.
	for _, d := range []string{"Bücher.de", "WWW.Example.com.", "faß.de"} {
		dom, u := Normalize(KindDomain, d), Normalize(KindURL, "http://"+d+"/")
		if u.Canonical != "http://"+dom.Canonical+"/" {
			t.Errorf("domain %q is %q but the URL's host is %q", d, dom.Canonical, u.Canonical)
		}
	}
}

func TestIP(t *testing.T) {
	for in, w := range map[string]want{
		"192.168.0.1":          {canonical: "192.168.0.1"},
		" 8.8.8.8 ":            {canonical: "8.8.8.8"},
		"2001:0DB8:0000::0001": {canonical: "2001:db8::1"},
		"[2001:db8::1]":        {canonical: "2001:db8::1"},
		"::ffff:10.0.0.1":      {canonical: "10.0.0.1"},
		"64:ff9b::c000:0201":   {canonical: "192.0.2.1"},
		"fe80::1%eth0":         {reason: ReasonIPZone},
		"010.1.1.1":            {reason: ReasonIPFormat},
		"0x7f.1":               {reason: ReasonIPFormat},
		"1.2.3":                {reason: ReasonIPFormat},
		"256.1.1.1":            {reason: ReasonIPFormat},
		"1.2.3.4:80":           {reason: ReasonIPFormat},
		"example.com":          {reason: ReasonIPFormat},
	} {
		check(t, Normalizer{}, KindIP, in, w)
	}
}

func TestEmail(t *testing.T) {
	for in, w := range map[string]want{
		"Jean.Dupont@EXAMPLE.fr":                 {canonical: "Jean.Dupont@example.fr", domain: "example.fr"},
		"mailto:info@Example.org?subject=x":      {canonical: "info@example.org"},
		"<contact@mail.example.co.uk>":           {canonical: "contact@mail.example.co.uk", domain: "example.co.uk"},
		"josé@Bücher.de":                         {canonical: "josé@xn--bcher-kva.de"},
		"user[@]evil[.]com":                      {canonical: "user@evil.com"},
		`"john doe"@example.com`:                 {canonical: `"john doe"@example.com`},
		"a+tag@example.com":                      {canonical: "a+tag@example.com"},
		"a@[192.0.2.1]":                          {canonical: "a@[192.0.2.1]"},
		"a@[IPv6:2001:0db8::1]":                  {canonical: "a@[IPv6:2001:db8::1]"},
		"no-at-sign.example.com":                 {reason: ReasonEmailFormat},
		"@example.com":                           {reason: ReasonEmailFormat},
		"a@":                                     {reason: ReasonEmailFormat},
		"a..b@example.com":                       {reason: ReasonEmailLocal},
		".a@example.com":                         {reason: ReasonEmailLocal},
		"a b@example.com":                        {reason: ReasonEmailLocal},
		`"unterminated@example.com`:              {reason: ReasonEmailLocal},
		"a@localhost":                            {reason: ReasonEmailDomain},
		"a@exa_mple com":                         {reason: ReasonEmailDomain},
		"a@[300.1.1.1]":                          {reason: ReasonEmailDomain},
		strings.Repeat("a", 65) + "@example.com": {reason: ReasonEmailLength},
	} {
		check(t, Normalizer{}, KindEmail, in, w)
	}
}

func TestPhone(t *testing.T) {
	fr := Normalizer{}
	for in, w := range map[string]want{
		"06 12 34 56 78":        {canonical: "+33612345678", display: "+33 6 12 34 56 78", typ: "mobile"},
		"+33 (0)6 12 34 56 78":  {canonical: "+33612345678"},
		"0033 6 12 34 56 78":    {canonical: "+33612345678"},
		"tel:+33-1-23-45-67-89": {canonical: "+33123456789", typ: "fixed_line"},
		"08 99 12 34 56":        {canonical: "+33899123456", typ: "premium_rate"},
		"09 12 34 56 78":        {canonical: "+33912345678", typ: "voip"},
		"+44 20 7946 0958":      {canonical: "+442079460958"},
		"0690 00 12 34":         {reason: ReasonPhoneInvalid}, // a Guadeloupe mobile, not a number of metropolitan France
		"hello":                 {reason: ReasonPhoneParse},
		"06 12 34":              {reason: ReasonPhoneInvalid},
		"01 23 45 67 89 01 23":  {reason: ReasonPhoneInvalid},
		"112":                   {reason: ReasonPhoneShort},
		"3117":                  {reason: ReasonPhoneShort},
	} {
		check(t, fr, KindPhone, in, w)
	}
	check(t, Normalizer{Region: "gp"}, KindPhone, "0690 00 12 34", want{canonical: "+590690001234", typ: "mobile"})
	check(t, Normalizer{Region: "XX"}, KindPhone, "0690 00 12 34", want{reason: ReasonPhoneRegion})
	if got := Normalize(KindPhone, "06 12 34 56 78"); got.Country != "FR" {
		t.Errorf("country %q, want FR", got.Country)
	}
}

func TestIBAN(t *testing.T) {
	// FR76 3000 6000 0112 3456 7890 189 is the example French IBAN of
	// the SWIFT IBAN Registry.
	for in, w := range map[string]want{
		"FR76 3000 6000 0112 3456 7890 189":        {canonical: "FR7630006000011234567890189", display: "FR76 3000 6000 0112 3456 7890 189"},
		"IBAN : fr76-3000-6000-0112-3456-7890-189": {canonical: "FR7630006000011234567890189"},
		"FR76 3000 6000 0112 3456 7890 18":         {reason: ReasonIBANLength},
		"FR76 3000 6000 0112 3456 7890 188":        {reason: ReasonIBANChecksum},
		"XX76 3000 6000 0112 3456 7890 189":        {reason: ReasonIBANCountry},
		"FR76 3000 6000 0112 3456 7890 1_9":        {reason: ReasonIBANChars},
		"FRxx 3000 6000 0112 3456 7890 189":        {reason: ReasonIBANFormat},
		"F":                                        {reason: ReasonIBANLength},
	} {
		check(t, Normalizer{}, KindIBAN, in, w)
	}
	if got := Normalize(KindIBAN, "FR7630006000011234567890189"); got.Country != "FR" {
		t.Errorf("country %q, want FR", got.Country)
	}
	// The RIB key: the same account with its key changed, the IBAN check
	// digits recomputed so only the national check can catch it.
	bban := "30006000011234567890190"
	check := 98 - mod97(bban+"FR00")
	altered := "FR" + string([]byte{byte('0' + check/10), byte('0' + check%10)}) + bban
	if got := Normalize(KindIBAN, altered); got.Valid || got.Reason != ReasonIBANNational {
		t.Errorf("%s: got valid %v, %s; want %s", altered, got.Valid, got.Reason, ReasonIBANNational)
	}
}

func TestBitcoinAndEthereum(t *testing.T) {
	btc := func(in string) Indicator { return Normalize(KindBitcoin, in) }
	// BIP-173's P2WPKH example, upper case: canonical lower case.
	if got := btc("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"); got.Canonical != "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4" ||
		got.Type != "p2wpkh" || got.Encoding != "bech32" || got.WitnessVersion == nil || *got.WitnessVersion != 0 || got.Network != "mainnet" {
		t.Errorf("P2WPKH: got %+v", got)
	}
	if got := btc("bitcoin:1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i?amount=0.1"); got.Canonical != "1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i" || got.Type != "p2pkh" || got.WitnessVersion != nil {
		t.Errorf("BIP-21 URI: got %+v", got)
	}
	if got := btc("1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6HW62i"); got.Reason != ReasonBTCChecksum {
		t.Errorf("one character's case changed: got %+v", got)
	}
	if got := btc("1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62I"); got.Reason != ReasonBTCCharset {
		t.Errorf("I is not Base58: got %+v", got)
	}
	if got := btc("hello"); got.Valid {
		t.Errorf("hello: got %+v", got)
	}
	if got := Normalize(KindEthereum, "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"); got.Canonical != "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" {
		t.Errorf("all upper case: got %+v", got)
	}
	for in, reason := range map[string]Reason{
		"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed":   ReasonETHFormat,
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe":  ReasonETHFormat,
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg": ReasonETHFormat,
		"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": ReasonETHChecksum,
	} {
		if got := Normalize(KindEthereum, in); got.Valid || got.Reason != reason {
			t.Errorf("%q: got %+v, want %s", in, got, reason)
		}
	}
}

func TestGuess(t *testing.T) {
	for in, k := range map[string]Kind{
		"https://example.com/login":                  KindURL,
		"hxxp://evil[.]com/x":                        KindURL,
		"example.com/login?x=1":                      KindURL,
		"1.2.3.4:8080/admin":                         KindURL,
		"www.example.co.uk":                          KindDomain,
		"evil[.]com":                                 KindDomain,
		"8.8.8.8":                                    KindIP,
		"2001:db8::1":                                KindIP,
		"jean@example.fr":                            KindEmail,
		"mailto:jean@example.fr":                     KindEmail,
		"06 12 34 56 78":                             KindPhone,
		"+33612345678":                               KindPhone,
		"tel:+33612345678":                           KindPhone,
		"FR76 3000 6000 0112 3456 7890 189":          KindIBAN,
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4": KindBitcoin,
		"1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i":         KindBitcoin,
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed": KindEthereum,
		"hello world":                                KindUnknown,
		"file.unknowntld":                            KindUnknown,
		"":                                           KindUnknown,
	} {
		if got := Guess(in); got != k {
			t.Errorf("Guess(%q) = %q, want %q", in, got, k)
		}
	}
	if got := Normalize(KindAuto, "06 12 34 56 78"); got.Kind != KindPhone || got.Canonical != "+33612345678" {
		t.Errorf("Normalize(auto): got %+v", got)
	}
	if got := Normalize(KindAuto, "no idea what this is"); got.Kind != KindUnknown || got.Reason != ReasonKindUnknown {
		t.Errorf("Normalize(auto) of nothing known: got %+v", got)
	}
}

func TestLimitsAndKinds(t *testing.T) {
	long := "http://example.com/" + strings.Repeat("a", MaxInputLen)
	if got := Normalize(KindURL, long); got.Valid || got.Reason != ReasonTooLong || got.Input != long {
		t.Errorf("over MaxInputLen: got valid %v, %s, input kept %v", got.Valid, got.Reason, got.Input == long)
	}
	if got := Normalize(Kind("plate"), "AB-123-CD"); got.Valid || got.Reason != ReasonKindUnknown || got.Kind != "plate" {
		t.Errorf("unknown kind: got %+v", got)
	}
	for _, k := range Kinds {
		if got := Normalize(k, " \t "); got.Reason != ReasonEmpty {
			t.Errorf("%s of blanks: got %+v", k, got)
		}
		if pk, ok := ParseKind(" " + strings.ToUpper(string(k)) + " "); !ok || pk != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, pk, ok)
		}
	}
	if _, ok := ParseKind("plate"); ok {
		t.Error("ParseKind accepted an unknown kind")
	}
	if k := (Indicator{Kind: KindURL, Valid: true, Canonical: "http://a.example/"}).Key(); k != "url:http://a.example/" {
		t.Errorf("Key = %q", k)
	}
}
