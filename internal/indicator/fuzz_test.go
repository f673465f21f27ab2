package indicator

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// checkIndicator asserts the contract of Indicator for one result of
// Normalize(kind, in) (kind not KindAuto): the input kept as typed; a valid
// value has a canonical form that is UTF-8 (ASCII but for e-mail local
// parts) and a fixed point — normalizing it again gives it back, valid —
// and a display form that reads back to the same canonical form; an
// invalid one has a reason and nothing else.
func checkIndicator(t *testing.T, n Normalizer, kind Kind, in string, got Indicator) {
	t.Helper()
	if got.Input != in {
		t.Fatalf("Input %q, want the input %q as typed", got.Input, in)
	}
	if got.Kind != kind {
		t.Fatalf("%q: Kind %q, want %q", in, got.Kind, kind)
	}
	if !got.Valid {
		if got.Reason == "" || got.Canonical != "" || got.Display != "" || got.RegistrableDomain != "" || got.Key() != "" {
			t.Fatalf("%q: invalid result must carry a reason and no derived field: %+v", in, got)
		}
		return
	}
	if got.Reason != "" || got.Canonical == "" || got.Display == "" {
		t.Fatalf("%q: valid result with reason %q, canonical %q, display %q", in, got.Reason, got.Canonical, got.Display)
	}
	if !utf8.ValidString(got.Canonical) || kind != KindEmail && !isASCII(got.Canonical) {
		t.Fatalf("%q: canonical %q is not ASCII/UTF-8", in, got.Canonical)
	}
	if got.Key() != string(kind)+":"+got.Canonical {
		t.Fatalf("%q: Key %q", in, got.Key())
	}
	again := n.Normalize(kind, got.Canonical)
	if !again.Valid || again.Canonical != got.Canonical {
		t.Fatalf("not idempotent: %q → %q → %q (valid %v, %s)", in, got.Canonical, again.Canonical, again.Valid, again.Reason)
	}
	if got.RegistrableDomain != again.RegistrableDomain {
		t.Fatalf("%q: registrable domain %q, of the canonical form %q", in, got.RegistrableDomain, again.RegistrableDomain)
	}
	want := got.Canonical
	if kind == KindURL {
		want = got.Display // the display form is itself a canonical URL
	}
	if d := n.Normalize(kind, got.Display); !d.Valid || d.Canonical != want {
		t.Fatalf("%q: display %q reads back as %q (valid %v, %s), want %q", in, got.Display, d.Canonical, d.Valid, d.Reason, want)
	}
	if rd := got.RegistrableDomain; rd != "" {
		host := got.Canonical
		switch kind {
		case KindURL:
			host = hostOf(got.Canonical)
		case KindEmail:
			host = host[strings.LastIndexByte(host, '@')+1:]
		}
		if host != rd && !strings.HasSuffix(host, "."+rd) {
			t.Fatalf("%q: registrable domain %q is not the end of the host %q", in, rd, host)
		}
	}
}

// fuzzKind runs the contract on one kind, seeded with the corpus files'
// inputs (when the corpus is there) and the given seeds.
func fuzzKind(f *testing.F, kind Kind, files []string, seeds ...string) {
	for _, file := range files {
		for _, s := range corpusInputs(file) {
			f.Add(s)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkIndicator(t, Normalizer{}, kind, in, Normalize(kind, in))
	})
}

func FuzzURL(f *testing.F) {
	fuzzKind(f, KindURL, []string{"url/url.jsonl", "url/host_toascii.jsonl"},
		"http://host/%25%32%35", "http://\x01\x80.com/", "http://[::ffff:1.2.3.4]:80/a/../b?c#d",
		"hxxps://evil[.]example/login?utm_source=x&id=1", "http://0x7f.1/", "%20leadingspace.com/",
		"http://a%3Fb/c%2F%2F..%2Fd?e%23f", "http://ex.com/a%3F//b")
}

func FuzzDomain(f *testing.F) {
	fuzzKind(f, KindDomain, []string{"url/host_toascii.jsonl"}, "Bücher.de.", "evil[.]com", "xn--zca.com", "a..b.com")
}

func FuzzIP(f *testing.F) {
	fuzzKind(f, KindIP, nil, "1.2.3.4", "[2001:0db8::1]", "::ffff:10.0.0.1", "64:ff9b::1.2.3.4", "fe80::1%eth0", "010.1.1.1")
}

func FuzzEmail(f *testing.F) {
	fuzzKind(f, KindEmail, nil, "Jean.Dupont@EXAMPLE.fr", "mailto:a@b.c?subject=x", "\"a b\"@x.org",
		"josé@bücher.de", "user[@]evil[.]com", "a@[IPv6:2001:db8::1]", "<a@b.co>")
}

func FuzzPhone(f *testing.F) {
	fuzzKind(f, KindPhone, []string{"phone/phone_fr.jsonl"}, "+33 6 12 34 56 78", "0033612345678", "tel:+33-1-23-45-67-89", "3117", "+1 800 FLOWERS")
}

func FuzzIBAN(f *testing.F) {
	fuzzKind(f, KindIBAN, []string{"iban/iban.jsonl"}, "IBAN: FR76 3000 6000 0112 3456 7890 189", "fr7630006000011234567890189")
}

func FuzzBitcoin(f *testing.F) {
	fuzzKind(f, KindBitcoin, []string{"bitcoin/bech32.jsonl", "bitcoin/base58check.jsonl"}, "bitcoin:1AGNa15ZQXAZUgFiqJ2i7Z2DPU2J6hW62i?amount=1")
}

func FuzzEthereum(f *testing.F) {
	fuzzKind(f, KindEthereum, []string{"ethereum/eip55.jsonl"}, "0X52908400098527886E0F7030069857D2E4169EE7", "0xzz")
}

// FuzzGuess checks that Guess never returns KindAuto, that Normalize(auto)
// reads the input as the guessed kind, and that the result keeps the
// contract.
func FuzzGuess(f *testing.F) {
	for _, file := range []string{"url/url.jsonl", "phone/phone_fr.jsonl", "iban/iban.jsonl", "bitcoin/bech32.jsonl", "ethereum/eip55.jsonl"} {
		for _, s := range corpusInputs(file) {
			f.Add(s)
		}
	}
	for _, s := range []string{"example.com", "a@b.fr", "06 12 34 56 78", "1.2.3.4", "hello world", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k := Guess(in)
		if k == KindAuto || k == "" {
			t.Fatalf("Guess(%q) = %q", in, k)
		}
		got := Normalize(KindAuto, in)
		if got.Kind != k {
			t.Fatalf("Normalize(auto, %q).Kind = %q, Guess says %q", in, got.Kind, k)
		}
		if k == KindUnknown {
			if got.Valid || got.Reason == "" {
				t.Fatalf("unknown kind came out %+v", got)
			}
			return
		}
		checkIndicator(t, Normalizer{}, k, in, got)
	})
}

// unescapeRepeated is the definition unescapeAll implements in one pass:
// one left-to-right pass of %XX decoding, repeated until nothing changes.
func unescapeRepeated(s string) string {
	for {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if s[i] == '%' && i+2 < len(s) {
				hi, ok1 := digitValue(s[i+1])
				lo, ok2 := digitValue(s[i+2])
				if ok1 && ok2 {
					b.WriteByte(byte(hi<<4 | lo))
					i += 2
					continue
				}
			}
			b.WriteByte(s[i])
		}
		if b.String() == s {
			return s
		}
		s = b.String()
	}
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"%2541", "%%%25%32%35asd%%", "%252525252525", "%2%35%35", "%%32%35", "%zz%41%", "%25%34%31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 512 {
			return // the oracle is quadratic
		}
		if got, want := unescapeAll(s), unescapeRepeated(s); got != want {
			t.Fatalf("unescapeAll(%q) = %q, repeated passes give %q", s, got, want)
		}
	})
}

// FuzzPhoneValid: normalizePhone decides validity by the number's type
// (one pass over the numbering plan); IsValidNumber, which runs the same
// pass again, always agrees — in every region a number is read in.
func FuzzPhoneValid(f *testing.F) {
	for _, s := range []string{"+33 6 12 34 56 78", "0612345678", "+44 1624 123456", "+1 242 357 1234", "+800 1234 5678", "+882 1234", "3117", "+262 262 12 34 56"} {
		f.Add(s, "FR")
	}
	f.Add("020 7946 0000", "GB")
	f.Add("(212) 555-0100", "US")
	f.Fuzz(func(t *testing.T, in, region string) {
		num, err := phonenumbers.Parse(in, region)
		if err != nil {
			return
		}
		byType := phonenumbers.GetNumberType(num) != phonenumbers.UNKNOWN
		if valid := phonenumbers.IsValidNumber(num); valid != byType {
			t.Errorf("%q in %s: IsValidNumber %v, typed %v", in, region, valid, byType)
		}
	})
}
