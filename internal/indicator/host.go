package indicator

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// idnaProfile is UTS #46 ToASCII as the WHATWG URL Standard's "domain to
// ASCII" runs it for a URL's host (beStrict false): non-transitional
// processing (ß stays ß, as xn--zca), CheckBidi and CheckJoiners on,
// UseSTD3ASCIIRules, CheckHyphens and VerifyDnsLength off. A Profile is
// immutable and safe for concurrent use, so one is shared.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.Transitional(false),
	idna.StrictDomainName(false),
	idna.CheckHyphens(false),
	idna.VerifyDNSLength(false),
)

// hostKind says what a canonical host is.
type hostKind int

const (
	hostName hostKind = iota // a name (possibly with escaped odd bytes)
	hostIPv4                 // dotted-quad IPv4
	hostIPv6                 // bracketed IPv6
)

// canonicalHost canonicalizes the host of a URL (userinfo and port already
// removed, still percent-escaped as typed) by the Safe Browsing rules:
// repeatedly unescape; Unicode through UTS #46 to Punycode; remove leading
// and trailing dots and collapse runs of dots; an IPv4 address in any
// notation becomes a dotted quad and an IPv6 address its RFC 5952 form
// (IPv4-mapped and NAT64 ones their IPv4 address); lower-case; escape
// controls, space, bytes from 0x7F, '#' and '%'.
func canonicalHost(raw string) (string, hostKind, Reason) {
	h := unescapeAll(raw)
	if strings.HasPrefix(h, "[") {
		if !strings.HasSuffix(h, "]") {
			return "", 0, ReasonURLIPv6
		}
		s, kind, ok := canonicalIPv6(h[1 : len(h)-1])
		if !ok {
			return "", 0, ReasonURLIPv6
		}
		return s, kind, ""
	}
	// These would change how the canonical URL itself is parsed: they are
	// refused, as browsers refuse them in a host.
	if strings.ContainsAny(h, "/\\?@:[]") {
		return "", 0, ReasonURLHost
	}
	if !isASCII(h) && utf8.ValidString(h) {
		// UTS #46 since Unicode 15.1 maps ẞ (U+1E9E) to ß in
		// non-transitional processing; x/net's tables before Unicode 16
		// still map it to "ss".
		h = strings.ReplaceAll(h, "\u1e9e", "\u00df")
		a, err := idnaProfile.ToASCII(h)
		if err != nil || strings.ContainsFunc(a, isForbiddenDomainRune) {
			return "", 0, ReasonURLIDNA
		}
		h = a
	}
	// Bytes that are not UTF-8 stay as they are (and are escaped below):
	// the Safe Browsing test "http://\x01\x80.com/" expects "%01%80.com".
	h = dotRules(h)
	if h == "" {
		return "", 0, ReasonURLNoHost
	}
	if endsInNumber(h) {
		ip, ok := parseIPv4(h)
		if !ok {
			return "", 0, ReasonURLIPv4
		}
		return ip.String(), hostIPv4, ""
	}
	return escape(asciiLower(h)), hostName, ""
}

// isForbiddenDomainRune reports whether r is a WHATWG forbidden domain code
// point, which a host produced by UTS #46 MUST NOT contain.
func isForbiddenDomainRune(r rune) bool {
	if r <= 0x20 || r == 0x7f {
		return true
	}
	return strings.ContainsRune("#%/:<>?@[\\]^|", r)
}

// dotRules removes leading and trailing dots and collapses runs of dots.
func dotRules(h string) string {
	h = strings.Trim(h, ".")
	if !strings.Contains(h, "..") {
		return h
	}
	var b strings.Builder
	b.Grow(len(h))
	for i := 0; i < len(h); i++ {
		if h[i] == '.' && i > 0 && h[i-1] == '.' {
			continue
		}
		b.WriteByte(h[i])
	}
	return b.String()
}

// canonicalIPv6 parses the inside of a bracketed host.
func canonicalIPv6(s string) (string, hostKind, bool) {
	if !strings.Contains(s, ":") {
		return "", 0, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return "", 0, false
	}
	if v4, ok := embeddedIPv4(a); ok {
		return v4.String(), hostIPv4, true
	}
	return "[" + a.String() + "]", hostIPv6, true
}

// nat64 is the NAT64 well-known prefix 64:ff9b::/96 (RFC 6052).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// embeddedIPv4 returns the IPv4 address an IPv4-mapped (::ffff:a.b.c.d) or
// NAT64 (64:ff9b::a.b.c.d) IPv6 address stands for, as Safe Browsing
// canonicalizes them.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	if a.Is4In6() {
		return a.Unmap(), true
	}
	if nat64.Contains(a) {
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:])), true
	}
	return netip.Addr{}, false
}

// endsInNumber is the WHATWG "ends in a number" test: a host whose last
// label is a number is read as IPv4 or refused.
func endsInNumber(h string) bool {
	parts := strings.Split(h, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := parseIPv4Number(last)
	return ok
}

// parseIPv4Number parses one part of an IPv4 address in the notations
// inet_aton accepts: 0x… hexadecimal, 0… octal, else decimal. Values above
// 2³² saturate (they are refused by the caller anyway).
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		d, ok := digitValue(s[i])
		if !ok || d >= base {
			return 0, false
		}
		if v <= 1<<32 {
			v = v*base + d
		}
	}
	return v, true
}

func digitValue(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c-'a') + 10, true
	case 'A' <= c && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// parseIPv4 is the WHATWG IPv4 parser: one to four parts, each in any
// inet_aton notation, the last filling the remaining bytes.
func parseIPv4(h string) (netip.Addr, bool) {
	parts := strings.Split(h, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var nums [4]uint64
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 && n > 255 {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	last := nums[len(parts)-1]
	if last >= 1<<(8*(5-len(parts))) {
		return netip.Addr{}, false
	}
	v := uint32(last)
	for i := 0; i < len(parts)-1; i++ {
		v += uint32(nums[i]) << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// registrableDomain returns the eTLD+1 of a canonical host name, or "" for
// an IP address, a name that is not made of DNS labels, or a name that is
// itself a public suffix.
func registrableDomain(host string) string {
	if !isDNSName(host) {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return ""
	}
	return d
}

// isDNSName reports whether h is dot-separated non-empty labels of lower
// case letters, digits, '-' and '_'.
func isDNSName(h string) bool {
	if h == "" {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// isASCII reports whether s holds only bytes below 0x80.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiLower lower-cases ASCII letters only, leaving every other byte.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
