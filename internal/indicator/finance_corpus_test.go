package indicator

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestIBANCorpus runs every line of iban/iban.jsonl (python-stdnum's IBAN
// doctest): the registry samples come out valid with the compact canonical
// form, each invalid group with the reason that names its fault.
func TestIBANCorpus(t *testing.T) {
	type line struct {
		Input     string  `json:"input"`
		Valid     bool    `json:"valid"`
		Canonical *string `json:"canonical"`
		Group     string  `json:"group"`
	}
	reasons := map[string][]Reason{
		"invalid_checksum":         {ReasonIBANChecksum},
		"invalid_length":           {ReasonIBANLength},
		"invalid_chars_or_country": {ReasonIBANChars, ReasonIBANCountry, ReasonIBANFormat},
		"invalid_country_specific": {ReasonIBANNational},
	}
	c := newTally(t, "iban/iban.jsonl")
	for _, l := range readJSONL[line](t, "iban/iban.jsonl") {
		got := Normalize(KindIBAN, l.Input)
		var pass bool
		if l.Valid {
			pass = got.Valid && l.Canonical != nil && got.Canonical == *l.Canonical && got.Country == got.Canonical[:2] &&
				strings.ReplaceAll(got.Display, " ", "") == got.Canonical
			if !pass {
				t.Errorf("%q: got %q (valid %v, %s), want valid %v", l.Input, got.Canonical, got.Valid, got.Reason, deref(l.Canonical))
			}
		} else {
			want, known := reasons[l.Group]
			pass = known && !got.Valid && got.Canonical == "" && slices.Contains(want, got.Reason)
			if !pass {
				t.Errorf("%q (%s): got valid %v, reason %q; want one of %v", l.Input, l.Group, got.Valid, got.Reason, want)
			}
		}
		c.line(pass)
		c.note("group " + l.Group)
	}
	c.report()
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}

// TestPhoneCorpus runs every line of phone/phone_fr.jsonl: libphonenumber's
// example numbers for France and the overseas regions sharing its plan,
// each read in its own region.
func TestPhoneCorpus(t *testing.T) {
	type line struct {
		Input         string `json:"input"`
		Region        string `json:"region"`
		Valid         bool   `json:"valid"`
		Canonical     string `json:"canonical"`
		International string `json:"international"`
		NumberType    string `json:"number_type"`
		RegionPerLib  string `json:"region_of_number_per_lib"`
	}
	c := newTally(t, "phone/phone_fr.jsonl")
	for _, l := range readJSONL[line](t, "phone/phone_fr.jsonl") {
		got := Normalizer{Region: l.Region}.Normalize(KindPhone, l.Input)
		// The corpus's type is the XML element the example sits in;
		// libphonenumber says fixed_line_or_mobile when a number matches
		// both the fixed-line and the mobile patterns of its region.
		typeOK := got.Type == snakeCase(l.NumberType)
		if !typeOK && got.Type == "fixed_line_or_mobile" && (l.NumberType == "fixedLine" || l.NumberType == "mobile") {
			typeOK = true
			c.note("type fixed_line_or_mobile for an example listed as " + l.NumberType)
		}
		pass := l.Valid && got.Valid && got.Canonical == l.Canonical && got.Display == l.International &&
			typeOK && got.Country == l.RegionPerLib
		if !pass {
			t.Errorf("%q in %s: got %+v; want %s, %s, type %s, country %s", l.Input, l.Region, got, l.Canonical, l.International, l.NumberType, l.RegionPerLib)
		}
		// The E.164 form reads the same whatever the default region.
		again := Normalize(KindPhone, got.Canonical)
		if again.Canonical != l.Canonical {
			t.Errorf("%q: E.164 %q read from FR gives %q", l.Input, got.Canonical, again.Canonical)
		}
		c.line(pass)
		c.note("region " + l.Region)
	}
	c.report()
}

// snakeCase turns the corpus's libphonenumber XML names ("premiumRate")
// into the names Indicator.Type uses ("premium_rate").
func snakeCase(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestEthereumCorpus runs every line of ethereum/eip55.jsonl (the EIP-55
// test cases), then derives from each address the cases EIP-55 defines:
// its all-lower-case form carries no checksum and is accepted with the same
// canonical form; flipping the case of one letter breaks the checksum.
func TestEthereumCorpus(t *testing.T) {
	type line struct {
		Input     string `json:"input"`
		Valid     bool   `json:"valid"`
		Canonical string `json:"canonical"`
		Group     string `json:"group"`
	}
	c := newTally(t, "ethereum/eip55.jsonl")
	for _, l := range readJSONL[line](t, "ethereum/eip55.jsonl") {
		got := Normalize(KindEthereum, l.Input)
		pass := l.Valid && got.Valid && got.Canonical == l.Canonical
		if !pass {
			t.Errorf("%q: got %q (valid %v, %s), want %q", l.Input, got.Canonical, got.Valid, got.Reason, l.Canonical)
		}
		c.line(pass)
		if lower := "0x" + strings.ToLower(l.Input[2:]); Normalize(KindEthereum, lower).Canonical != l.Canonical {
			t.Errorf("all lower %q: got %+v, want canonical %q", lower, Normalize(KindEthereum, lower), l.Canonical)
		}
		if i := strings.IndexFunc(l.Input[2:], unicode.IsLetter); i >= 0 && l.Group == "Normal" {
			b := []byte(l.Input)
			b[2+i] ^= 0x20 // flip the case of the first letter
			if got := Normalize(KindEthereum, string(b)); got.Valid || got.Reason != ReasonETHChecksum {
				t.Errorf("%q with one letter's case flipped: got valid %v, %s; want %s", l.Input, got.Valid, got.Reason, ReasonETHChecksum)
			}
		}
		c.note("group " + l.Group)
	}
	c.report()
}

// TestBech32Corpus runs every line of bitcoin/bech32.jsonl (BIP-173/350
// vectors from sipa/bech32): generic strings through the Bech32 decoder,
// SegWit addresses through Normalize (and back through the encoder, with
// the scriptPubKey checked), and the invalid encoder parameters.
func TestBech32Corpus(t *testing.T) {
	type line struct {
		Input        *string `json:"input"`
		Valid        bool    `json:"valid"`
		Kind         string  `json:"kind"`
		Encoding     string  `json:"encoding"`
		Canonical    string  `json:"canonical"`
		ScriptPubKey string  `json:"scriptpubkey_hex"`
		HRP          string  `json:"hrp"`
		Version      int     `json:"witness_version"`
		ProgramLen   int     `json:"program_length"`
	}
	c := newTally(t, "bitcoin/bech32.jsonl")
	for _, l := range readJSONL[line](t, "bitcoin/bech32.jsonl") {
		var pass bool
		switch l.Kind {
		case "bech32-string":
			_, _, enc, reason := decodeBech32(*l.Input)
			if l.Valid {
				pass = reason == "" && string(enc) == l.Encoding
			} else {
				// Invalid as this variant: it fails, or is the other one.
				pass = reason != "" || string(enc) != l.Encoding
			}
			// None of them is a Bitcoin address.
			if got := Normalize(KindBitcoin, *l.Input); got.Valid || got.Reason == "" {
				pass = false
			}
		case "segwit-address":
			got := Normalize(KindBitcoin, *l.Input)
			if l.Valid {
				pass = got.Valid && got.Canonical == l.Canonical
				a, _ := decodeSegwit(*l.Input)
				if spk := scriptPubKey(a); spk != l.ScriptPubKey {
					t.Errorf("%q: scriptPubKey %s, want %s", *l.Input, spk, l.ScriptPubKey)
					pass = false
				}
				if enc, r := encodeSegwit(a.hrp, a.version, a.program); enc != l.Canonical {
					t.Errorf("%q: re-encoded %q (%s), want %q", *l.Input, enc, r, l.Canonical)
					pass = false
				}
			} else {
				pass = !got.Valid && got.Reason != "" && got.Canonical == ""
			}
			if !pass {
				t.Errorf("%q: got %+v, want valid %v %q", *l.Input, got, l.Valid, l.Canonical)
			}
		case "segwit-encode-params":
			s, reason := encodeSegwit(l.HRP, l.Version, make([]byte, l.ProgramLen))
			pass = !l.Valid && s == "" && reason != ""
		default:
			t.Errorf("unknown record kind %q", l.Kind)
		}
		if !pass && l.Kind == "bech32-string" {
			t.Errorf("%q (%s, %s): not as expected (valid %v)", *l.Input, l.Kind, l.Encoding, l.Valid)
		}
		c.line(pass)
		c.note(l.Kind)
	}
	c.report()
}

// scriptPubKey is the output script a SegWit address pays to: OP_n (0x00,
// or 0x50+n) then a push of the program.
func scriptPubKey(a segwitAddress) string {
	op := byte(0)
	if a.version > 0 {
		op = 0x50 + byte(a.version)
	}
	return hex.EncodeToString(append([]byte{op, byte(len(a.program))}, a.program...))
}

// TestBase58CheckCorpus runs every line of bitcoin/base58check.jsonl
// (bitcoinjs/bs58check fixtures). The corpus tests the encoding: each
// valid line decodes to its payload. Through Normalize, the ones whose
// payload is an address (version 0x00, 0x05, 0x6f or 0xc4, 20 bytes of
// hash) are valid with the address as canonical form; the others (WIF
// private keys) are valid Base58Check but no address, and come out invalid
// with btc.version — a divergence by scope, counted below.
func TestBase58CheckCorpus(t *testing.T) {
	type line struct {
		Input   string `json:"input"`
		Valid   bool   `json:"valid"`
		Payload string `json:"payload_hex"`
	}
	c := newTally(t, "bitcoin/base58check.jsonl")
	for _, l := range readJSONL[line](t, "bitcoin/base58check.jsonl") {
		payload, reason := decodeBase58Check(l.Input)
		got := Normalize(KindBitcoin, l.Input)
		var pass bool
		if l.Valid {
			pass = reason == "" && hex.EncodeToString(payload) == l.Payload
			_, isAddr := base58Versions[payload[0]]
			if isAddr && len(payload) == 21 {
				pass = pass && got.Valid && got.Canonical == l.Input && got.Encoding == "base58check"
				c.note("address")
			} else {
				pass = pass && !got.Valid && got.Reason == ReasonBTCVersion
				c.note("not an address (version 0x" + hex.EncodeToString(payload[:1]) + "): invalid btc.version")
			}
		} else {
			pass = reason != "" && !got.Valid && got.Reason != ""
		}
		if !pass {
			t.Errorf("%q: decoded %x (%s), normalized %+v; want valid %v payload %s", l.Input, payload, reason, got, l.Valid, l.Payload)
		}
		c.line(pass)
	}
	c.report()
}

// TestBase58Corpus runs every line of bitcoin/base58.jsonl (cryptocoinjs
// base-x fixtures) through the plain Base58 decoder.
func TestBase58Corpus(t *testing.T) {
	type line struct {
		Input string `json:"input"`
		Valid bool   `json:"valid"`
		Hex   string `json:"hex"`
	}
	c := newTally(t, "bitcoin/base58.jsonl")
	for _, l := range readJSONL[line](t, "bitcoin/base58.jsonl") {
		b, ok := decodeBase58(l.Input)
		pass := ok == l.Valid && (!ok || hex.EncodeToString(b) == l.Hex)
		if !pass {
			t.Errorf("%q: decoded %x (ok %v), want %s (valid %v)", l.Input, b, ok, l.Hex, l.Valid)
		}
		c.line(pass)
	}
	c.report()
}

// TestIBANNationalCheckDigits derives, from every valid corpus IBAN of a
// country whose national check digits are checked, one with a national
// check digit changed and the IBAN check digits recomputed (so mod-97
// still passes): it MUST come out invalid with iban.national_checksum.
func TestIBANNationalCheckDigits(t *testing.T) {
	type line struct {
		Valid     bool   `json:"valid"`
		Canonical string `json:"canonical"`
	}
	// The BBAN position of one national check digit, per country.
	checkPos := map[string]int{"ES": 8, "FR": 22, "MC": 22, "NO": 10,
		"BA": -1, "ME": -1, "MK": -1, "PT": -1, "RS": -1, "SI": -1, "TL": -1}
	tested := map[string]int{}
	for _, l := range readJSONL[line](t, "iban/iban.jsonl") {
		if !l.Valid {
			continue
		}
		cc := l.Canonical[:2]
		pos, ok := checkPos[cc]
		if !ok {
			continue
		}
		bban := []byte(l.Canonical[4:])
		if pos < 0 {
			pos = len(bban) - 1
		}
		bban[pos] = '0' + (bban[pos]-'0'+1)%10
		check := 98 - mod97(string(bban)+cc+"00")
		altered := cc + string([]byte{byte('0' + check/10), byte('0' + check%10)}) + string(bban)
		got := Normalize(KindIBAN, altered)
		if got.Valid || got.Reason != ReasonIBANNational {
			t.Errorf("%s altered to %s: got valid %v, %s; want %s", l.Canonical, altered, got.Valid, got.Reason, ReasonIBANNational)
		}
		tested[cc]++
	}
	for cc := range checkPos {
		if tested[cc] == 0 {
			t.Errorf("no corpus IBAN of %s exercised its national check", cc)
		}
	}
}

// TestIBANBelgium checks the Belgian national check (the corpus has no
// valid Belgian IBAN) on the SWIFT IBAN Registry's example for Belgium,
// BE68 5390 0754 7034, and on it with its account check changed.
func TestIBANBelgium(t *testing.T) {
	if got := Normalize(KindIBAN, "BE68 5390 0754 7034"); !got.Valid || got.Canonical != "BE68539007547034" || got.Display != "BE68 5390 0754 7034" {
		t.Errorf("registry example: got %+v", got)
	}
	// 5390075470 mod 97 is 34; with 35 the IBAN check digits become 41.
	if got := Normalize(KindIBAN, "BE41539007547035"); got.Valid || got.Reason != ReasonIBANNational {
		t.Errorf("BE41539007547035: got valid %v, %s; want %s", got.Valid, got.Reason, ReasonIBANNational)
	}
}
