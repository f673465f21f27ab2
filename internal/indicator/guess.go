package indicator

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Guess returns the kind input most likely is, from its shape alone, or
// KindUnknown. It never returns KindAuto. It looks, in this order, for: a
// URL scheme (http, https and their defanged forms); "mailto:", "tel:",
// "bitcoin:"; 0x and 40 hex digits (eth); local@domain (email); an IBAN
// country code, check digits and 10–30 letters and digits (iban); bc1/tb1
// or a Base58 string of 25–35 characters starting with 1, 3, m, n or 2
// (btc); an IP address; digits with phone punctuation (phone); a name
// under a known public suffix (domain); such a name or an IP address
// followed by a path or query (url).
func Guess(input string) Kind {
	s := trim(input)
	if s == "" || len(s) > MaxInputLen {
		return KindUnknown
	}
	head := asciiLower(s[:min(len(s), 11)])
	for _, p := range [...]struct {
		prefix string
		kind   Kind
	}{
		{"http://", KindURL}, {"https://", KindURL}, {"hxxp://", KindURL}, {"hxxps://", KindURL},
		{"http[:]//", KindURL}, {"https[:]//", KindURL}, {"hxxp[:]//", KindURL}, {"hxxps[:]//", KindURL},
		{"mailto:", KindEmail}, {"tel:", KindPhone}, {"bitcoin:", KindBitcoin},
	} {
		if strings.HasPrefix(head, p.prefix) {
			return p.kind
		}
	}
	if normalizeEthereum(s).Reason != ReasonETHFormat {
		return KindEthereum
	}
	spaced := strings.ContainsAny(s, " \t")
	if !spaced && strings.Contains(s, "@") && !strings.ContainsAny(s, "/\\") {
		return KindEmail
	}
	if looksLikeIBAN(s) {
		return KindIBAN
	}
	if !spaced && looksLikeBitcoin(s) {
		return KindBitcoin
	}
	if normalizeIP(s).Valid {
		return KindIP
	}
	if looksLikePhone(s) {
		return KindPhone
	}
	if spaced {
		return KindUnknown
	}
	name := refangAuthority(s)
	end := strings.IndexAny(name, "/?")
	if end < 0 {
		if knownSuffix(name) {
			return KindDomain
		}
		return KindUnknown
	}
	host := name[:end]
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") && validPort(host[i+1:]) {
		host = host[:i]
	}
	if knownSuffix(host) || normalizeIP(host).Valid {
		return KindURL
	}
	return KindUnknown
}

// knownSuffix reports whether name is a valid domain name under a public
// suffix the Public Suffix List knows.
func knownSuffix(name string) bool {
	d, reason := canonicalDomain(name)
	if reason != "" {
		return false
	}
	suffix, icann := publicsuffix.PublicSuffix(d)
	return (icann || strings.Contains(suffix, ".")) && suffix != d
}

func looksLikeIBAN(s string) bool {
	s = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
	if len(s) >= 4 && s[:4] == "IBAN" {
		s = strings.TrimLeft(s[4:], ":")
	}
	if len(s) < 14 || len(s) > 34 || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	if _, ok := ibanBBAN[s[:2]]; !ok {
		return false
	}
	for i := 4; i < len(s); i++ {
		if !isUpperAlnum(s[i]) {
			return false
		}
	}
	return true
}

func looksLikeBitcoin(s string) bool {
	lower := asciiLower(s)
	if (strings.HasPrefix(lower, "bc1") || strings.HasPrefix(lower, "tb1")) && len(s) >= 14 && len(s) <= bech32MaxLen {
		return true
	}
	if len(s) < 25 || len(s) > 35 || !strings.ContainsRune("13mn2", rune(s[0])) || !isBase58(s) {
		return false
	}
	return strings.ContainsFunc(s, func(r rune) bool { return r > '9' })
}

// looksLikePhone: an optional leading '+', then digits and the punctuation
// people write numbers with, holding 3 to 17 digits.
func looksLikePhone(s string) bool {
	s = strings.TrimPrefix(s, "+")
	digits := 0
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits++
		case strings.ContainsRune(" .-()/\u00a0", r):
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 17
}
