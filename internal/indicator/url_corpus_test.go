package indicator

import (
	"net/netip"

	"slices"
	"strings"
	"testing"

	"golang.org/x/net/idna"
)

// The URL corpus is WHATWG URL parsing (web-platform-tests); our canonical
// form is Safe Browsing's. They differ on purpose — WHATWG keeps fragments,
// ports, credentials and its own percent-encoding, Safe Browsing drops the
// first three and unescapes everything before escaping a fixed set — so
// these tests compare what the two agree on, and state the rules for where
// they part:
//
//   - Hosts. After IDNA, a WHATWG-valid host and ours are equal once the
//     Safe Browsing host rules are applied to WHATWG's (leading and trailing
//     dots removed, runs of dots collapsed, IPv4-mapped and NAT64 IPv6 as
//     IPv4) — sbHost below.
//   - Hosts WHATWG refuses, where Safe Browsing's rules read them:
//     "ascii-host-bytes": an ASCII byte WHATWG forbids in a host (space,
//     control, '<', '%', …) is kept, escaped, as the Safe Browsing test
//     "http://\x01\x80.com/" → "http://%01%80.com/" requires;
//     "host-escapes": percent-escapes in the host are unescaped before the
//     host is parsed (Safe Browsing step 3, "repeatedly percent-unescape
//     the URL"), so "[::%31]" is [::1];
//     "dots-first": runs of dots are collapsed before IPv4 parsing (host
//     rules 1–2 before 3), so "0..0x300" is 0.0.3.0 and "foo.09.." ends in
//     a number;
//     "no-scheme": an input without a scheme is read as http:// and the
//     input (Safe Browsing: "www.google.com" → "http://www.google.com/"),
//     where WHATWG, given no usable base, refuses it.
//   - A WHATWG host made only of dots ("http://./") is empty after the dot
//     rules: url.no_host.
//   - IDNA: x/net/idna's tables are those of Unicode 15.0 before Go 1.27;
//     WPT expects UTS #46 of Unicode 16, which newly accepts some
//     characters IDNA2008 disallowed (U+04C0, U+180E, U+206B, …):
//     "idna-unicode-version", allowed only while idna.UnicodeVersion < 16.
//   - Any other input WHATWG refuses MUST come out invalid with a reason.

// sbHost applies the Safe Browsing host rules to a WHATWG hostname.
func sbHost(h string) string {
	if strings.HasPrefix(h, "[") {
		if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			if v4, ok := embeddedIPv4(a); ok {
				return v4.String()
			}
			return "[" + a.String() + "]"
		}
	}
	return dotRules(h)
}

// hostOf returns the host of a canonical URL.
func hostOf(canonical string) string {
	_, rest, _ := strings.Cut(canonical, "://")
	h, _, _ := strings.Cut(rest, "/")
	return h
}

// rawHost returns the host part of input as parseWebURL splits it, still
// escaped, and whether input had a scheme.
func rawHost(input string) (string, bool) {
	s := strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	_, rest, hadScheme := splitScheme(s)
	if hadScheme {
		s = rest
	}
	s = strings.TrimLeft(s, "/\\")
	if i := strings.IndexAny(s, "/\\?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if !strings.HasPrefix(s, "[") {
		if i := strings.IndexByte(s, ':'); i >= 0 {
			s = s[:i]
		}
	}
	return s, hadScheme
}

// divergence names the documented rule (see the top of this file) under
// which Safe Browsing reads an input that WHATWG refuses, or "".
func divergence(input string) string {
	raw, hadScheme := rawHost(input)
	h := unescapeAll(raw)
	for i := 0; i < len(h); i++ {
		if c := h[i]; c <= 0x20 || c == 0x7f || strings.IndexByte("#%<>^|", c) >= 0 || c >= 0x80 && !validUTF8(h) {
			return "ascii-host-bytes"
		}
	}
	switch {
	case strings.Contains(raw, "%"):
		return "host-escapes"
	case strings.Contains(h, ".."):
		return "dots-first"
	case !hadScheme:
		return "no-scheme"
	}
	return ""
}

// idnaVersionDivergence reports whether input holds a character that
// x/net/idna's Unicode 15.0 tables disallow and UTS #46 of Unicode 16
// accepts (see the top of this file).
func idnaVersionDivergence(input string) bool {
	if idna.UnicodeVersion >= "16.0.0" || isASCII(input) {
		return false
	}
	_, err := idnaProfile.ToASCII(input)
	return err != nil && strings.Contains(err.Error(), "disallowed rune")
}

// TestHostToASCIICorpus runs every line of url/host_toascii.jsonl (WPT
// toascii.json) as the host of a URL and as a domain.
func TestHostToASCIICorpus(t *testing.T) {
	type line struct {
		Input     string  `json:"input"`
		Valid     bool    `json:"valid"`
		Canonical *string `json:"canonical"`
	}
	// The domain kind is stricter than a URL host: it MUST be a DNS name.
	strict := []Reason{ReasonDomainChars, ReasonDomainLabelLength, ReasonDomainLength, ReasonDomainSingleLabel, ReasonDomainIDNA}
	urls := newTally(t, "url/host_toascii.jsonl as URL hosts")
	domains := newTally(t, "url/host_toascii.jsonl as domains")
	for _, l := range readJSONL[line](t, "url/host_toascii.jsonl") {
		u := Normalize(KindURL, "https://"+l.Input+"/x")
		d := Normalize(KindDomain, l.Input)
		if l.Valid {
			want := sbHost(*l.Canonical)
			pass := u.Valid && hostOf(u.Canonical) == want
			if !pass && idnaVersionDivergence(l.Input) {
				urls.note("divergence idna-unicode-version")
				urls.line(true)
				domains.note("divergence idna-unicode-version")
				domains.line(!d.Valid && d.Reason == ReasonDomainIDNA)
				continue
			}
			if !pass {
				t.Errorf("host %q: got %q (valid %v, %s), want host %q", l.Input, u.Canonical, u.Valid, u.Reason, want)
			}
			urls.line(pass)
			if want != *l.Canonical {
				urls.note("equal after the Safe Browsing dot rules")
			}
			switch {
			case d.Valid && d.Canonical == want:
				domains.line(true)
			case !d.Valid && slices.Contains(strict, d.Reason):
				domains.line(true)
				domains.note("valid WHATWG host, not a DNS name: " + string(d.Reason))
			default:
				t.Errorf("domain %q: got %q (valid %v, %s), want %q or one of %v", l.Input, d.Canonical, d.Valid, d.Reason, want, strict)
				domains.line(false)
			}
			continue
		}
		pass := !u.Valid && u.Reason != ""
		if dv := divergence("https://" + l.Input + "/x"); u.Valid && dv != "" {
			pass = true
			urls.note("divergence " + dv)
		}
		if !pass {
			t.Errorf("host %q: WHATWG refuses it, got %q (valid %v)", l.Input, u.Canonical, u.Valid)
		}
		urls.line(pass)
		dpass := !d.Valid && d.Reason != ""
		if trim(l.Input) != l.Input {
			// The domain kind trims surrounding controls and space, so
			// WHATWG's verdict on the untrimmed host does not apply.
			dpass = d.Valid == Normalize(KindDomain, trim(l.Input)).Valid
			domains.note("surrounding controls trimmed")
		}
		if !dpass {
			t.Errorf("domain %q: WHATWG refuses it, got %q", l.Input, d.Canonical)
		}
		domains.line(dpass)
	}
	urls.report()
	domains.report()
}

// TestURLCorpus runs every line of url/url.jsonl (WPT urltestdata.json).
func TestURLCorpus(t *testing.T) {
	type line struct {
		Input     string  `json:"input"`
		Base      *string `json:"base"`
		Valid     bool    `json:"valid"`
		Canonical *string `json:"canonical"`
		Parts     struct {
			Protocol string `json:"protocol"`
			Hostname string `json:"hostname"`
		} `json:"parts"`
	}
	c := newTally(t, "url/url.jsonl")
	for _, l := range readJSONL[line](t, "url/url.jsonl") {
		got := Normalize(KindURL, l.Input)
		if got.Valid == (got.Reason != "") || got.Valid == (got.Canonical == "") {
			t.Errorf("%q: inconsistent result %+v", l.Input, got)
			c.line(false)
			continue
		}
		scheme, absolute := absoluteWebURL(l.Input)
		switch {
		case l.Valid && absolute && (l.Parts.Protocol == "http:" || l.Parts.Protocol == "https:"):
			// Comparable: the same scheme, and the same host after the
			// Safe Browsing host rules.
			want := sbHost(l.Parts.Hostname)
			pass := got.Valid && strings.HasPrefix(got.Canonical, scheme+"://") && hostOf(got.Canonical) == want
			switch {
			case want == "":
				pass = !got.Valid && got.Reason == ReasonURLNoHost
				c.note("valid http(s) whose host is only dots: url.no_host")
			case !got.Valid && got.Reason == ReasonURLIPv4 && strings.Contains(l.Parts.Hostname, ".."):
				pass = endsInNumber(want)
				c.note("divergence dots-first: ends in a number once dots are collapsed")
			}
			if !pass {
				t.Errorf("%q: got %q (valid %v, %s), want scheme %s host %q (WHATWG %q)", l.Input, got.Canonical, got.Valid, got.Reason, scheme, want, deref(l.Canonical))
			}
			c.line(pass)
			c.note("valid http(s), host compared")
		case l.Valid && (l.Parts.Protocol != "http:" && l.Parts.Protocol != "https:") && hasSchemeOtherThanWeb(l.Input):
			pass := !got.Valid && got.Reason == ReasonURLScheme
			if !pass {
				t.Errorf("%q (%s): got %q (valid %v, %s), want %s", l.Input, l.Parts.Protocol, got.Canonical, got.Valid, got.Reason, ReasonURLScheme)
			}
			c.line(pass)
			c.note("valid, other scheme: refused with url.scheme")
		case l.Valid:
			// Relative to a base: not comparable without one; the result
			// (checked consistent above) is whatever the input alone is.
			c.line(true)
			c.note("valid relative reference: not comparable")
		default:
			pass := !got.Valid
			if dv := divergence(l.Input); got.Valid && dv != "" {
				pass = true
				c.note("divergence " + dv)
			} else if pass {
				c.note("refused by both: " + string(got.Reason))
			}
			if !pass {
				t.Errorf("%q: WHATWG refuses it, got %q", l.Input, got.Canonical)
			}
			c.line(pass)
		}
	}
	c.report()
}

// absoluteWebURL reports whether input is an http(s) URL whose meaning
// does not depend on a base (its scheme is followed by two slashes or
// backslashes), and its scheme.
func absoluteWebURL(input string) (string, bool) {
	s := strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	scheme, rest, ok := splitScheme(s)
	if !ok || scheme != "http" && scheme != "https" {
		return "", false
	}
	return scheme, len(rest) >= 2 && strings.IndexByte("/\\", rest[0]) >= 0 && strings.IndexByte("/\\", rest[1]) >= 0
}

// hasSchemeOtherThanWeb reports whether input starts with a scheme other
// than http and https.
func hasSchemeOtherThanWeb(input string) bool {
	s := strings.TrimFunc(input, func(r rune) bool { return r <= 0x20 })
	s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	scheme, _, ok := splitScheme(s)
	return ok && scheme != "http" && scheme != "https"
}
