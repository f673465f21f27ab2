package indicator

import (
	"strings"
)

// webURL is a URL split into the parts its canonical form is built from.
type webURL struct {
	scheme   string // "http" or "https"
	host     string // canonical host
	hostKind hostKind
	path     string // canonical path, unescaped, always starting with '/'
	query    string // unescaped
	hasQuery bool   // a '?' was present, even with nothing after it
}

// String is the canonical form: scheme://host/path[?query], escaped.
func (u webURL) String() string {
	var b strings.Builder
	b.Grow(len(u.scheme) + 3 + len(u.host) + len(u.path) + len(u.query) + 1)
	b.WriteString(u.scheme)
	b.WriteString("://")
	b.WriteString(u.host)
	b.WriteString(escape(u.path))
	if u.hasQuery {
		b.WriteByte('?')
		b.WriteString(escape(u.query))
	}
	return b.String()
}

func normalizeURL(input string) Indicator {
	u, reason := parseWebURL(input)
	if reason != "" {
		return bad(reason)
	}
	canon := u.String()
	display := canon
	if q, changed := dropTracking(u.query); changed {
		d := u
		d.query, d.hasQuery = q, q != ""
		display = d.String()
	}
	r := Indicator{Valid: true, Canonical: canon, Display: display}
	if u.hostKind == hostName {
		r.RegistrableDomain = registrableDomain(u.host)
	}
	return r
}

// parseWebURL canonicalizes a URL by the Safe Browsing "URLs and hashing"
// rules (see the package documentation).
func parseWebURL(input string) (webURL, Reason) {
	s := strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	if strings.ContainsAny(s, "\t\r\n") {
		s = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(s)
	}
	s = refangScheme(s)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}

	u := webURL{scheme: "http"}
	scheme, rest, hadScheme := splitScheme(s)
	if hadScheme {
		switch scheme {
		case "http", "https":
			u.scheme = scheme
		default:
			return webURL{}, ReasonURLScheme
		}
		s = rest
	}
	if !hadScheme && len(s) > 0 && isSlash(s[0]) && (len(s) == 1 || !isSlash(s[1])) {
		return webURL{}, ReasonURLNoHost // a path alone ("/login"), not "//host/…"
	}
	s = strings.TrimLeft(s, "/\\")

	end := strings.IndexAny(s, "/\\?")
	if end < 0 {
		end = len(s)
	}
	authority, rest := refangAuthority(s[:end]), s[end:]
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:] // credentials are never part of the canonical form
	}
	hostport := authority
	var port string
	var hasPort bool
	if strings.HasPrefix(hostport, "[") {
		if i := strings.IndexByte(hostport, ']'); i >= 0 {
			hostport, port = authority[:i+1], authority[i+1:]
			if port != "" {
				if port[0] != ':' {
					return webURL{}, ReasonURLIPv6
				}
				port, hasPort = port[1:], true
			}
		}
	} else if i := strings.IndexByte(hostport, ':'); i >= 0 {
		hostport, port, hasPort = authority[:i], authority[i+1:], true
	}
	if hasPort && !validPort(port) {
		return webURL{}, ReasonURLPort
	}
	if hostport == "" {
		return webURL{}, ReasonURLNoHost
	}
	host, kind, reason := canonicalHost(hostport)
	if reason != "" {
		return webURL{}, reason
	}
	u.host, u.hostKind = host, kind

	rest = unescapeAll(rest)
	path := rest
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		path, u.query, u.hasQuery = rest[:i], rest[i+1:], true
	}
	u.path = canonicalPath(strings.ReplaceAll(path, "\\", "/"))
	return u, ""
}

func isSlash(c byte) bool { return c == '/' || c == '\\' }

// splitScheme returns the lower-cased scheme of s and what follows its
// colon, if s starts with one. "host:8080/…" has no scheme: what follows the
// colon is a port.
func splitScheme(s string) (scheme, rest string, ok bool) {
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return "", s, false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case j > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return "", s, false
		}
	}
	after := s[i+1:]
	digits := len(after) - len(strings.TrimLeft(after, "0123456789"))
	if digits > 0 && (digits == len(after) || strings.IndexByte("/\\?", after[digits]) >= 0) {
		return "", s, false
	}
	return asciiLower(s[:i]), after, true
}

// refangScheme undoes the usual defanging of a URL's scheme ("hxxp://",
// "hxxps[:]//"), which analysts use so a link cannot be followed by a click.
func refangScheme(s string) string {
	lower := asciiLower(s[:min(len(s), 10)])
	for _, f := range [...]struct{ from, to string }{
		{"hxxps[:]//", "https://"}, {"hxxp[:]//", "http://"},
		{"https[:]//", "https://"}, {"http[:]//", "http://"},
		{"hxxps://", "https://"}, {"hxxp://", "http://"},
	} {
		if strings.HasPrefix(lower, f.from) {
			return f.to + s[len(f.from):]
		}
	}
	return s
}

// refangAuthority undoes defanged dots in a host: "evil[.]com", "evil(.)com"
// and "evil{.}com" become "evil.com".
func refangAuthority(a string) string {
	if !strings.ContainsAny(a, "[({") {
		return a
	}
	return strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".").Replace(a)
}

// validPort reports whether p is empty or a decimal number up to 65535.
func validPort(p string) bool {
	n := 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return false
		}
	}
	return true
}

// canonicalPath resolves "." and ".." segments and collapses runs of
// slashes. The result starts with '/', and ends with one when the input's
// last segment was empty, "." or "..".
func canonicalPath(p string) string {
	if p == "" || p == "/" {
		return "/"
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	out := segs[:0]
	endSlash := false
	for _, seg := range segs {
		endSlash = true
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
			endSlash = false
		}
	}
	if len(out) == 0 {
		return "/"
	}
	s := "/" + strings.Join(out, "/")
	if endSlash {
		s += "/"
	}
	return s
}

// unescapeAll percent-unescapes s until no escape is left, as repeating
// one left-to-right pass until nothing changes would, but in one pass: each
// decoded byte is checked, with the two bytes before it, for an escape it
// completes ("%2541" → "%41" → "A").
func unescapeAll(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s))
	out = append(out, s[:i]...)
	for ; i < len(s); i++ {
		out = append(out, s[i])
		for n := len(out); n >= 3 && out[n-3] == '%'; n = len(out) {
			hi, ok1 := digitValue(out[n-2])
			lo, ok2 := digitValue(out[n-1])
			if !ok1 || !ok2 {
				break
			}
			out = append(out[:n-3], byte(hi<<4|lo))
		}
	}
	return string(out)
}

// escape percent-escapes, in upper-case hexadecimal, the bytes Safe
// Browsing escapes: up to and including space, from 0x7F, '#' and '%'.
func escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if mustEscape(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if mustEscape(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

func mustEscape(c byte) bool { return c <= 0x20 || c >= 0x7f || c == '#' || c == '%' }

// trackingParams are query parameters that only say where a click came
// from. They are dropped from a URL's display form, never from its
// canonical form (blocklists match on the whole URL).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "gclsrc": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "ttclid": true, "li_fat_id": true,
	"igshid": true, "mc_cid": true, "mc_eid": true, "_hsenc": true, "_hsmi": true,
	"mkt_tok": true, "oly_anon_id": true, "oly_enc_id": true, "vero_id": true, "_ga": true, "_gl": true,
	"srsltid": true,
}

// isTrackingParam reports whether the query parameter named name (already
// unescaped) is a known tracking parameter: utm_* or one of trackingParams.
func isTrackingParam(name string) bool {
	name = asciiLower(name)
	return strings.HasPrefix(name, "utm_") || trackingParams[name]
}

// dropTracking removes tracking parameters from a query, keeping the order
// of the others. changed is false when there were none.
func dropTracking(q string) (string, bool) {
	if q == "" {
		return q, false
	}
	parts := strings.Split(q, "&")
	kept := parts[:0]
	for _, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if !isTrackingParam(name) {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(parts) {
		return q, false
	}
	return strings.Join(kept, "&"), true
}
