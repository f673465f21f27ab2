package bulletin

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Bonjour.", "<p>Bonjour.</p>\n"},
		{"Un\ndeux\n\nTrois", "<p>Un deux</p>\n<p>Trois</p>\n"},
		{"- un\n- deux\nsuite\n\nfin", "<ul><li>un</li><li>deux suite</li></ul>\n<p>fin</p>\n"},
		{"1. appeler\n2. signaler", "<ol><li>appeler</li><li>signaler</li></ol>\n"},
		{"Appelez le **17** *vite*", "<p>Appelez le <strong>17</strong> <em>vite</em></p>\n"},
		{"[Pharos](https://www.internet-signalement.gouv.fr)",
			`<p><a href="https://www.internet-signalement.gouv.fr" rel="noopener noreferrer">Pharos</a></p>` + "\n"},
		// Not https, or a script: stays text, escaped.
		{"[x](http://example.fr)", "<p>[x](http://example.fr)</p>\n"},
		{"[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{`<script>alert(1)</script>`, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{`[a](https://e.fr/"onmouseover="x)`, "<p>[a](https://e.fr/&#34;onmouseover=&#34;x)</p>\n"},
		{"**pas fermé", "<p>**pas fermé</p>\n"},
		{"* item", "<ul><li>item</li></ul>\n"},
	} {
		if got := string(Render(tt.in)); got != tt.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestPlain(t *testing.T) {
	got := Plain("Ne **cliquez** pas.\n\n- [Pharos](https://www.internet-signalement.gouv.fr)\n- 33700")
	want := "Ne cliquez pas.\n\n- Pharos (https://www.internet-signalement.gouv.fr)\n- 33700"
	if got != want {
		t.Fatalf("Plain = %q, want %q", got, want)
	}
}

// checkSafe fails unless html is a well-formed fragment of p, ul, ol, li,
// em, strong and a elements whose only attributes are an https href and
// rel.
func checkSafe(t *testing.T, in, html string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader("<div>" + html + "</div>"))
	d.Strict = true
	allowed := map[string]bool{"div": true, "p": true, "ul": true, "ol": true, "li": true, "em": true, "strong": true, "a": true}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Render(%q) is not well formed: %v\n%s", in, err, html)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if !allowed[se.Name.Local] {
				t.Fatalf("Render(%q) holds element %q", in, se.Name.Local)
			}
			for _, a := range se.Attr {
				switch {
				case se.Name.Local == "a" && a.Name.Local == "href" && SafeURL(a.Value):
				case se.Name.Local == "a" && a.Name.Local == "rel":
				default:
					t.Fatalf("Render(%q) holds attribute %s=%q on %s", in, a.Name.Local, a.Value, se.Name.Local)
				}
			}
		}
	}
	low := strings.ToLower(html)
	for _, bad := range []string{"<script", "<style", "<iframe", "<img", "<svg", "href=\"javascript"} {
		if strings.Contains(low, bad) {
			t.Fatalf("Render(%q) holds %q: %s", in, bad, html)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range []string{"", "Bonjour", "- a\n- b", "1. a\n\n2. b", "**a** *b* [c](https://d.fr/e?f=g&h=i)",
		"<script>alert(1)</script>", "[x](javascript:alert(1))", "[a](https://e.fr/\"onload=\"x)", "*[a](https://b.fr)*",
		"[**a**](https://b.fr)", "\x00\xff\xfe", "&amp; &lt;", "]]><!--", "[a](https://b.fr/<svg/onload=x>)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(Render(in))
		checkSafe(t, in, out)
		_ = Plain(in)
		for _, l := range Links(in) {
			if !SafeURL(l) {
				t.Fatalf("Links(%q) gave %q", in, l)
			}
		}
	})
}
