package indicator

import (
	"net/netip"
	"strings"
)

// normalizeEmail reads an e-mail address (RFC 5321/5322, with UTF-8 local
// parts per RFC 6531). A "mailto:" prefix (and its ?query), surrounding
// angle brackets and defanged "[@]" and "[.]" are accepted. The canonical
// form keeps the local part exactly as typed — it is case-sensitive in the
// standard — and canonicalizes the domain as the domain kind does (lower
// case, Punycode); an address literal becomes [a.b.c.d] or [IPv6:…].
func normalizeEmail(input string) Indicator {
	s := trim(input)
	if !validUTF8(s) {
		return bad(ReasonUTF8)
	}
	if len(s) >= 7 && asciiLower(s[:7]) == "mailto:" {
		s = s[7:]
		if i := strings.IndexByte(s, '?'); i >= 0 {
			s = s[:i]
		}
		s = unescapeAll(s)
	}
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = s[1 : len(s)-1]
	}
	if !strings.Contains(s, `"`) {
		// '[' and '(' are not atext, so only defanging puts them there.
		s = strings.NewReplacer("[@]", "@", "[.]", ".", "(.)", ".").Replace(s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return bad(ReasonEmailFormat)
	}
	local, domain := s[:at], refangAuthority(s[at+1:])
	if !validLocalPart(local) {
		return bad(ReasonEmailLocal)
	}
	if len(local) > 64 {
		return bad(ReasonEmailLength)
	}
	var d, reg string
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		lit, ok := addressLiteral(domain[1 : len(domain)-1])
		if !ok {
			return bad(ReasonEmailDomain)
		}
		d = lit
	} else {
		c, reason := canonicalDomain(domain)
		if reason != "" {
			return bad(ReasonEmailDomain)
		}
		d, reg = c, registrableDomain(c)
	}
	canon := local + "@" + d
	if len(canon) > 254 {
		return bad(ReasonEmailLength)
	}
	return Indicator{Valid: true, Canonical: canon, RegistrableDomain: reg}
}

// validLocalPart reports whether l is a dot-atom (atext, or UTF-8 beyond
// ASCII, in dot-separated non-empty atoms) or a quoted string.
func validLocalPart(l string) bool {
	if strings.HasPrefix(l, `"`) {
		return validQuotedString(l)
	}
	for _, atom := range strings.Split(l, ".") {
		if atom == "" {
			return false
		}
		for i := 0; i < len(atom); i++ {
			c := atom[i]
			if c < 0x80 && !isAtext(c) {
				return false
			}
		}
	}
	return true
}

func isAtext(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// validQuotedString checks "…" with printable ASCII or UTF-8 inside, '"'
// and '\' only as \-escapes.
func validQuotedString(l string) bool {
	if len(l) < 2 || l[len(l)-1] != '"' {
		return false
	}
	in := l[1 : len(l)-1]
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == '\\':
			i++
			if i == len(in) || in[i] < 0x20 || in[i] == 0x7f {
				return false
			}
		case c == '"', c < 0x20, c == 0x7f:
			return false
		}
	}
	return true
}

// addressLiteral canonicalizes the inside of a domain literal: a dotted
// quad, or "IPv6:" and an IPv6 address.
func addressLiteral(s string) (string, bool) {
	if len(s) > 5 && strings.EqualFold(s[:5], "IPv6:") {
		a, err := netip.ParseAddr(s[5:])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return "", false
		}
		return "[IPv6:" + a.String() + "]", true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return "", false
	}
	return "[" + a.String() + "]", true
}
