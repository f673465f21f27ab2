package indicator

import (
	"net/netip"
	"strings"
)

// normalizeDomain reads a domain name. Its canonical form is the one a URL
// with that host gets (lower case, Punycode, no leading, trailing or
// doubled dots), and it MUST then be a DNS name: labels of letters, digits,
// '-' and '_' of at most 63 bytes, at most 253 bytes in all, two labels at
// least, and not an IP address. Defanged dots ("evil[.]com") are read as
// dots.
func normalizeDomain(input string) Indicator {
	s := trim(input)
	if !validUTF8(s) {
		return bad(ReasonUTF8)
	}
	s = refangAuthority(s)
	if strings.HasPrefix(s, "[") {
		return bad(ReasonDomainIsIP)
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return bad(ReasonDomainIsIP)
	}
	h, reason := canonicalDomain(s)
	if reason != "" {
		return bad(reason)
	}
	return Indicator{Valid: true, Canonical: h, RegistrableDomain: registrableDomain(h)}
}

// canonicalDomain canonicalizes and checks a domain name (no escapes, no
// port, not defanged); it is shared by the domain and e-mail kinds.
func canonicalDomain(s string) (string, Reason) {
	if isASCII(s) {
		s = asciiLower(s)
		// An ASCII name is not mapped, but its A-labels MUST decode.
		for _, l := range strings.Split(s, ".") {
			if strings.HasPrefix(l, "xn--") {
				if _, err := idnaProfile.ToUnicode(l); err != nil {
					return "", ReasonDomainIDNA
				}
			}
		}
	} else {
		s = strings.ReplaceAll(s, "\u1e9e", "\u00df") // as in canonicalHost
		a, err := idnaProfile.ToASCII(s)
		if err != nil {
			return "", ReasonDomainIDNA
		}
		s = a
	}
	s = dotRules(s)
	switch {
	case s == "":
		return "", ReasonDomainEmpty
	case endsInNumber(s):
		return "", ReasonDomainIsIP
	case !isDNSName(s):
		return "", ReasonDomainChars
	case len(s) > 253:
		return "", ReasonDomainLength
	case !strings.Contains(s, "."):
		return "", ReasonDomainSingleLabel
	}
	for _, l := range strings.Split(s, ".") {
		if len(l) > 63 {
			return "", ReasonDomainLabelLength
		}
	}
	return s, ""
}
