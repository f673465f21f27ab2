package indicator

import (
	"net/netip"
	"strings"
)

// normalizeIP reads an IP address in standard notation: a dotted quad of
// decimal numbers without leading zeros, or IPv6 (optionally in brackets).
// The legacy IPv4 notations (octal, hexadecimal, fewer parts) are refused
// here, since "010.1.1.1" typed in a list most likely means 10.1.1.1; they
// are read only in URLs, where browsers read them. The canonical form is
// the dotted quad, or RFC 5952 for IPv6, with IPv4-mapped and NAT64
// addresses given as their IPv4 address, as in URL hosts.
func normalizeIP(input string) Indicator {
	s := trim(input)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return bad(ReasonIPFormat)
	}
	if a.Zone() != "" {
		return bad(ReasonIPZone)
	}
	if v4, ok := embeddedIPv4(a); ok {
		a = v4
	}
	return Indicator{Valid: true, Canonical: a.String()}
}
