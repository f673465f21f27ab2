package indicator

import (
	"strings"
	"testing"
)

// TestSafeBrowsingVectors runs the canonicalization examples that the Safe
// Browsing documentation lists under "Canonicalization", "URLs and Hashing",
// https://developers.google.com/safe-browsing/v4/urls-hashing#canonicalization
// (the same list is reproduced, "from developers.google.com/safe-browsing/
// v4/urls-hashing", in Firefox's toolkit/components/url-classifier/tests/
// unit/test_canonicalization.js, against which it was checked).
func TestSafeBrowsingVectors(t *testing.T) {
	for _, v := range []struct{ in, want string }{
		{"http://host/%25%32%35", "http://host/%25"},
		{"http://host/%25%32%35%25%32%35", "http://host/%25%25"},
		{"http://host/%2525252525252525", "http://host/%25"},
		{"http://host/asdf%25%32%35asd", "http://host/asdf%25asd"},
		{"http://host/%%%25%32%35asd%%", "http://host/%25%25%25asd%25%25"},
		{"http://www.google.com/", "http://www.google.com/"},
		{"http://%31%36%38%2e%31%38%38%2e%39%39%2e%32%36/%2E%73%65%63%75%72%65/%77%77%77%2E%65%62%61%79%2E%63%6F%6D/", "http://168.188.99.26/.secure/www.ebay.com/"},
		{"http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/", "http://195.127.0.11/uploads/%20%20%20%20/.verify/.eBaysecure=updateuserdataxplimnbqmn-xplmvalidateinfoswqpcmlx=hgplmcx/"},
		{"http://host%23.com/%257Ea%2521b%2540c%2523d%2524e%25f%255E00%252611%252A22%252833%252944_55%252B", "http://host%23.com/~a!b@c%23d$e%25f^00&11*22(33)44_55+"},
		{"http://3279880203/blah", "http://195.127.0.11/blah"},
		{"http://www.google.com/blah/..", "http://www.google.com/"},
		{"www.google.com/", "http://www.google.com/"},
		{"www.google.com", "http://www.google.com/"},
		{"http://www.evil.com/blah#frag", "http://www.evil.com/blah"},
		{"http://www.GOOgle.com/", "http://www.google.com/"},
		{"http://www.google.com.../", "http://www.google.com/"},
		{"http://www.google.com/foo\tbar\rbaz\n2", "http://www.google.com/foobarbaz2"},
		{"http://www.google.com/q?", "http://www.google.com/q?"},
		{"http://www.google.com/q?r?", "http://www.google.com/q?r?"},
		{"http://www.google.com/q?r?s", "http://www.google.com/q?r?s"},
		{"http://evil.com/foo#bar#baz", "http://evil.com/foo"},
		{"http://evil.com/foo;", "http://evil.com/foo;"},
		{"http://evil.com/foo?bar;", "http://evil.com/foo?bar;"},
		{"http://\x01\x80.com/", "http://%01%80.com/"},
		{"http://notrailingslash.com", "http://notrailingslash.com/"},
		{"http://www.gotaport.com:1234/", "http://www.gotaport.com/"},
		{"  http://www.google.com/  ", "http://www.google.com/"},
		{"http:// leadingspace.com/", "http://%20leadingspace.com/"},
		{"http://%20leadingspace.com/", "http://%20leadingspace.com/"},
		{"%20leadingspace.com/", "http://%20leadingspace.com/"},
		{"https://www.securesite.com/", "https://www.securesite.com/"},
		{"http://host.com/ab%23cd", "http://host.com/ab%23cd"},
		{"http://host.com//twoslashes?more//slashes", "http://host.com/twoslashes?more//slashes"},
	} {
		got := Normalize(KindURL, v.in)
		if !got.Valid || got.Canonical != v.want {
			t.Errorf("Normalize(url, %q) = %q (valid %v, %s), want %q", v.in, got.Canonical, got.Valid, got.Reason, v.want)
		}
	}
}

// TestSafeBrowsingHostRules checks the host rules of the Safe Browsing
// reference (https://developers.google.com/safe-browsing/reference/
// URLs.and.Hashing, "To canonicalize the hostname"): IPv4 in any legal
// encoding, IPv6 compressed, IPv4-mapped and NAT64 addresses as IPv4.
func TestSafeBrowsingHostRules(t *testing.T) {
	for _, v := range []struct{ in, want string }{
		{"http://0x7f.1/", "http://127.0.0.1/"},
		{"http://0300.0250.0.1/", "http://192.168.0.1/"},
		{"http://12.0x12.01234/", "http://12.18.2.156/"},
		{"http://167838211/", "http://10.1.2.3/"},
		{"http://4294967295/", "http://255.255.255.255/"},
		{"http://1.2.3.4./", "http://1.2.3.4/"},
		{"http:///example.com/", "http://example.com/"}, // as browsers read it
		{"http://[2001:0db8:0000::1]/", "http://[2001:db8::1]/"},
		{"http://[::ffff:1.2.3.4]/", "http://1.2.3.4/"},
		{"http://[64:ff9b::1.2.3.4]/", "http://1.2.3.4/"},
		{"http://[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80/index.html", "http://[fedc:ba98:7654:3210:fedc:ba98:7654:3210]/index.html"},
		{"http://..google...com../", "http://google.com/"},
		{"http://www.\xC3\xBCmlat.com/", "http://www.xn--mlat-zra.com/"},
		{"http://Bücher.example/", "http://xn--bcher-kva.example/"},
		{"http://user:pass@example.com:8080/", "http://example.com/"},
		{"HTTPS://EXAMPLE.COM/A", "https://example.com/A"},
		{"http:\\\\example.com\\a\\b", "http://example.com/a/b"},
		{"hxxps://evil[.]example/login", "https://evil.example/login"},
		{"http://example.com/%E2%82%AC", "http://example.com/%E2%82%AC"},
		{"http://example.com/€", "http://example.com/%E2%82%AC"},
		{"http://example.com/a/%2e%2E/b", "http://example.com/b"},
	} {
		got := Normalize(KindURL, v.in)
		if !got.Valid || got.Canonical != v.want {
			t.Errorf("Normalize(url, %q) = %q (valid %v, %s), want %q", v.in, got.Canonical, got.Valid, got.Reason, v.want)
		}
	}
}

func TestURLInvalid(t *testing.T) {
	for _, v := range []struct {
		in     string
		reason Reason
	}{
		{"", ReasonEmpty},
		{"   ", ReasonEmpty},
		{"mailto:someone@example.com", ReasonURLScheme},
		{"javascript:alert(1)", ReasonURLScheme},
		{"ftp://example.com/", ReasonURLScheme},
		{"http://", ReasonURLNoHost},
		{"http://?q", ReasonURLNoHost},
		{"http://276.2.3/", ReasonURLIPv4}, // WHATWG: only the last part may exceed 255
		{"http://.../", ReasonURLNoHost},
		{"http://user@/", ReasonURLNoHost},
		{"http://example.com:99999/", ReasonURLPort},
		{"http://example.com:8o/", ReasonURLPort},
		{"http://1.2.3.4.5/", ReasonURLIPv4},
		{"http://256.256.256.256/", ReasonURLIPv4},
		{"http://[::1/", ReasonURLIPv6},
		{"http://[1.2.3.4]/", ReasonURLIPv6},
		{"http://[fe80::1%25eth0]/", ReasonURLIPv6},
		{"http://evil.com%2Fpaypal.com/", ReasonURLHost},
		{"http://a%3A80/", ReasonURLHost},
		{"http://\u200d.example/", ReasonURLIDNA},
		{"http://xn--a.\u00df/", ReasonURLIDNA},
	} {
		got := Normalize(KindURL, v.in)
		if got.Valid || got.Reason != v.reason || got.Canonical != "" {
			t.Errorf("Normalize(url, %q) = valid %v, reason %q, canonical %q; want invalid %q", v.in, got.Valid, got.Reason, got.Canonical, v.reason)
		}
	}
}

func TestURLDisplayAndDomain(t *testing.T) {
	got := Normalize(KindURL, "https://WWW.Example.co.uk/promo?utm_source=sms&id=42&fbclid=abc&UTM_Campaign=x#top")
	if got.Canonical != "https://www.example.co.uk/promo?utm_source=sms&id=42&fbclid=abc&UTM_Campaign=x" {
		t.Errorf("canonical %q: tracking parameters MUST stay in the canonical form", got.Canonical)
	}
	if got.Display != "https://www.example.co.uk/promo?id=42" {
		t.Errorf("display %q, want tracking parameters dropped", got.Display)
	}
	if got.RegistrableDomain != "example.co.uk" {
		t.Errorf("registrable domain %q, want example.co.uk", got.RegistrableDomain)
	}
	if got := Normalize(KindURL, "http://x.github.io/?utm_medium=a"); got.Display != "http://x.github.io/" || got.RegistrableDomain != "x.github.io" {
		t.Errorf("got display %q, registrable %q; want http://x.github.io/ and x.github.io (a private suffix)", got.Display, got.RegistrableDomain)
	}
	if got := Normalize(KindURL, "http://192.168.1.1/"); got.RegistrableDomain != "" {
		t.Errorf("an IP host has no registrable domain, got %q", got.RegistrableDomain)
	}
}

// TestURLCanonicalTooLong: escaping can make the canonical form longer
// than the input; one over MaxInputLen could not be normalized again, so
// the value is refused.
func TestURLCanonicalTooLong(t *testing.T) {
	in := "http://example.com/" + strings.Repeat("\x87", MaxInputLen/3+10)
	if got := Normalize(KindURL, in); got.Valid || got.Reason != ReasonTooLong {
		t.Errorf("got valid %v, %s (canonical %d bytes); want %s", got.Valid, got.Reason, len(got.Canonical), ReasonTooLong)
	}
}
