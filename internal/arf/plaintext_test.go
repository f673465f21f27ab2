package arf

import (
	"regexp"
	"strings"
	"testing"
)

// plainTextRegexp is the regular expression plainText replaced, kept as
// the reference it must agree with.
func plainTextRegexp(text string) string {
	return regexp.MustCompile(`<[^<>]{0,1000}>`).ReplaceAllStringFunc(text, func(tag string) string {
		var b strings.Builder
		for _, m := range attrURL.FindAllStringSubmatch(tag, -1) {
			b.WriteString(" " + m[1] + " ")
		}
		b.WriteString(" ")
		return b.String()
	})
}

func TestPlainText(t *testing.T) {
	long := "<" + strings.Repeat("a", maxTag) + ">"
	tooLong := "<" + strings.Repeat("a", maxTag+1) + ">"
	for _, in := range []string{
		"", "no tags", "<p>Bonjour</p>", `<a href="https://x.example/p?q=1">ici</a> et <img src=http://y.example/i.gif>`,
		"a < b > c", "<<a href=http://z.example/>>", "<unclosed href=http://u.example/", "x<y<z>w", long, tooLong, long + long,
		`<form action='https://f.example/post'><input></form>`, "<>", "<\n>",
	} {
		if got, want := plainText(in), plainTextRegexp(in); got != want {
			t.Errorf("%.60q:\n got %q\nwant %q", in, got, want)
		}
	}
}

func FuzzPlainText(f *testing.F) {
	f.Add(`<a href="https://x.example/p">ici</a> < b > <<c>`)
	f.Fuzz(func(t *testing.T, s string) {
		// The reference counts characters, plainText bytes: they agree on
		// ASCII.
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		if got, want := plainText(s), plainTextRegexp(s); got != want {
			t.Fatalf("%q: got %q want %q", s, got, want)
		}
	})
}
