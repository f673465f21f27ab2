package bulletin

import (
	"html"
	"html/template"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The markup of a bulletin's long texts ("what it looks like", "what to
// do") is a small, safe subset, parsed and rendered on the server:
//
//	A blank line separates paragraphs.
//	- a line starting with "- " or "* " is an item of a list
//	1. a line starting with a number and ". " is an item of a numbered list
//	*emphasis* and **strong emphasis**
//	[the text of a link](https://example.fr/page) — https only
//
// Nothing else has a meaning: any HTML is shown as typed, never
// interpreted; a link to anything but an absolute https URL stays text.
// Render's output is always well formed (every element it opens, it
// closes) and holds no script, style, handler attribute or other scheme.

// Block is one paragraph or list of a parsed text.
type Block struct {
	// Kind is "p", "ul" or "ol".
	Kind string
	// Lines are the paragraph's lines (joined by a space) or the list's
	// items, each still holding its inline markup.
	Lines []string
}

// Parse splits text into blocks. It never fails: any text is a text.
func Parse(text string) []Block {
	text = Clean(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"))
	var out []Block
	var cur *Block
	flush := func() {
		if cur != nil && len(cur.Lines) > 0 {
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			flush()
			continue
		}
		kind, item := "p", line
		if rest, ok := bullet(line); ok {
			kind, item = "ul", rest
		} else if rest, ok := numbered(line); ok {
			kind, item = "ol", rest
		}
		switch {
		case cur == nil:
			cur = &Block{Kind: kind}
		case cur.Kind != kind && (kind != "p" || cur.Kind == "p"):
			flush()
			cur = &Block{Kind: kind}
		case kind == "p" && cur.Kind != "p":
			// A line under a list item continues the item.
			cur.Lines[len(cur.Lines)-1] += " " + item
			continue
		}
		if kind == "p" && len(cur.Lines) > 0 {
			cur.Lines[0] += " " + item
			continue
		}
		cur.Lines = append(cur.Lines, item)
	}
	flush()
	return out
}

func bullet(line string) (string, bool) {
	for _, p := range []string{"- ", "* ", "• "} {
		if rest, ok := strings.CutPrefix(line, p); ok && strings.TrimSpace(rest) != "" {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

func numbered(line string) (string, bool) {
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i == 0 || !strings.HasPrefix(line[i:], ". ") {
		return "", false
	}
	rest := strings.TrimSpace(line[i+2:])
	return rest, rest != ""
}

// Clean returns s as valid UTF-8 without the characters XML 1.0 forbids
// (control characters other than tab and newlines, U+FFFE, U+FFFF), so
// that every text can go into a page or a feed.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfffe || r == 0xffff:
			return -1
		}
		return r
	}, s)
}

// Render renders text's markup as HTML safe to put in a page as is.
func Render(text string) template.HTML {
	var b strings.Builder
	for _, bl := range Parse(text) {
		switch bl.Kind {
		case "p":
			b.WriteString("<p>")
			inline(&b, bl.Lines[0])
			b.WriteString("</p>")
		default:
			b.WriteString("<" + bl.Kind + ">")
			for _, it := range bl.Lines {
				b.WriteString("<li>")
				inline(&b, it)
				b.WriteString("</li>")
			}
			b.WriteString("</" + bl.Kind + ">")
		}
		b.WriteString("\n")
	}
	return template.HTML(b.String()) //nolint:gosec // built from escaped text and fixed tags only
}

// Plain renders text as plain text: paragraphs separated by blank lines,
// list items as "- item" (or "1. item"), links as "text (URL)", without
// emphasis marks. Feeds whose fields are plain text (CAP) use it.
func Plain(text string) string {
	var parts []string
	for _, bl := range Parse(text) {
		switch bl.Kind {
		case "p":
			parts = append(parts, plainInline(bl.Lines[0]))
		default:
			var lines []string
			for i, it := range bl.Lines {
				mark := "- "
				if bl.Kind == "ol" {
					mark = itoa(i+1) + ". "
				}
				lines = append(lines, mark+plainInline(it))
			}
			parts = append(parts, strings.Join(lines, "\n"))
		}
	}
	return strings.Join(parts, "\n\n")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Links returns the https links of text, in order: the web page of a
// bulletin lists where they go.
func Links(text string) []string {
	var out []string
	walk(text, func(tok token) {
		if tok.kind == tokLink {
			out = append(out, tok.href)
		}
	})
	return out
}

type tokKind int

const (
	tokText tokKind = iota
	tokEm
	tokStrong
	tokLink
)

type token struct {
	kind       tokKind
	text, href string
}

// walk cuts one line into tokens: text, *em*, **strong** and
// [text](https://…). Emphasis does not nest, and link text is plain: a
// simple, predictable grammar.
func walk(line string, f func(token)) {
	var text strings.Builder
	emit := func() {
		if text.Len() > 0 {
			f(token{kind: tokText, text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(line); {
		switch {
		case strings.HasPrefix(line[i:], "**"):
			if j := strings.Index(line[i+2:], "**"); j > 0 {
				emit()
				f(token{kind: tokStrong, text: line[i+2 : i+2+j]})
				i += j + 4
				continue
			}
		case line[i] == '*':
			if j := strings.IndexByte(line[i+1:], '*'); j > 0 && line[i+1] != ' ' {
				emit()
				f(token{kind: tokEm, text: line[i+1 : i+1+j]})
				i += j + 2
				continue
			}
		case line[i] == '[':
			if tok, n, ok := link(line[i:]); ok {
				emit()
				f(tok)
				i += n
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(line[i:])
		text.WriteString(line[i : i+size])
		i += size
	}
	emit()
}

// MaxLinkLen bounds a link's address.
const MaxLinkLen = 500

// link reads "[text](https://…)" at the start of s.
func link(s string) (token, int, bool) {
	close := strings.Index(s, "](")
	if close <= 1 {
		return token{}, 0, false
	}
	label := s[1:close]
	if strings.ContainsAny(label, "[]") {
		return token{}, 0, false
	}
	end := strings.IndexByte(s[close+2:], ')')
	if end < 0 {
		return token{}, 0, false
	}
	href := s[close+2 : close+2+end]
	if !SafeURL(href) {
		return token{}, 0, false
	}
	return token{kind: tokLink, text: label, href: href}, close + 3 + end, true
}

// SafeURL reports whether href is an absolute https URL with a host, no
// credentials and nothing a page could misread (spaces, quotes, angle
// brackets, control characters).
func SafeURL(href string) bool {
	if len(href) > MaxLinkLen || !strings.HasPrefix(href, "https://") {
		return false
	}
	for _, r := range href {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("\"'<>\\`", r) {
			return false
		}
	}
	u, err := url.Parse(href)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Opaque == ""
}

func inline(b *strings.Builder, line string) {
	walk(line, func(t token) {
		switch t.kind {
		case tokText:
			b.WriteString(html.EscapeString(t.text))
		case tokEm:
			b.WriteString("<em>" + html.EscapeString(t.text) + "</em>")
		case tokStrong:
			b.WriteString("<strong>" + html.EscapeString(t.text) + "</strong>")
		case tokLink:
			b.WriteString(`<a href="` + html.EscapeString(t.href) + `" rel="noopener noreferrer">` + html.EscapeString(t.text) + "</a>")
		}
	})
}

func plainInline(line string) string {
	var b strings.Builder
	walk(line, func(t token) {
		b.WriteString(t.text)
		if t.kind == tokLink {
			b.WriteString(" (" + t.href + ")")
		}
	})
	return b.String()
}
