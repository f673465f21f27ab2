package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/guichet/guichet/internal/indicator"
)

// The canonical text of a message, from which ContentKeys are digested:
//
//  1. HTML character references are decoded; the text is put in Unicode
//     NFKC form and lower-cased;
//  2. every link is replaced by its stem: its canonical form
//     (internal/indicator, the Safe Browsing rules) without the query and
//     the fragment, where tracking parameters and per-recipient tokens
//     live; a link that does not harmonise is removed;
//  3. the recipients — their addresses, the local parts of those
//     addresses and the words (of three letters or more) of their display
//     names — are removed;
//  4. every run of four digits or more becomes "#" (order numbers,
//     client codes, dates: the values that differ between copies; the
//     numbers that matter are in the key as indicators);
//  5. white space is collapsed to single spaces and trimmed.
//
// The material is then hashed with SHA-256, each part on its own line.

// recipients is what identifies the people a message was sent to, lower
// case, longest first so that an address goes before its local part.
type recipients []string

// newRecipients reads the recipients of address lists (To fields,
// Original-Rcpt-To values).
func newRecipients(lists ...string) recipients {
	var r recipients
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if utf8.RuneCountInString(s) >= 3 && !slices.Contains(r, s) {
			r = append(r, s)
		}
	}
	for _, l := range lists {
		if strings.TrimSpace(l) == "" {
			continue
		}
		addrs, err := mail.ParseAddressList(l)
		if err != nil {
			// Not a clean list: take what looks like addresses.
			for _, x := range indicator.Extract(l) {
				if x.Kind == indicator.KindEmail {
					addrs = append(addrs, &mail.Address{Address: x.Input})
				}
			}
			// Original-Rcpt-To may carry "rfc822;" before the address.
			if _, a, ok := strings.Cut(l, ";"); ok {
				addrs = append(addrs, &mail.Address{Address: strings.Trim(strings.TrimSpace(a), "<>")})
			}
		}
		for _, a := range addrs {
			add(a.Address)
			if local, _, ok := strings.Cut(a.Address, "@"); ok {
				add(local)
			}
			for _, w := range strings.FieldsFunc(a.Name, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' }) {
				add(w)
			}
		}
	}
	slices.SortFunc(r, func(a, b string) int { return len(b) - len(a) })
	return r
}

// has reports whether address a is one of the recipients.
func (r recipients) has(a string) bool {
	return slices.Contains(r, strings.ToLower(strings.TrimSpace(a)))
}

// remove removes the recipients from lower-case text s, each where it
// stands as a whole word (a name inside a longer word is left).
func (r recipients) remove(s string) string {
	for _, x := range r {
		if !strings.Contains(s, x) {
			continue
		}
		var b strings.Builder
		rest := s
		for {
			i := strings.Index(rest, x)
			if i < 0 {
				b.WriteString(rest)
				break
			}
			before, _ := utf8.DecodeLastRuneInString(rest[:i])
			after, _ := utf8.DecodeRuneInString(rest[i+len(x):])
			if i > 0 && isWordRune(before) || i+len(x) < len(rest) && isWordRune(after) {
				b.WriteString(rest[:i+len(x)])
			} else {
				b.WriteString(rest[:i])
				b.WriteByte(' ')
			}
			rest = rest[i+len(x):]
		}
		s = b.String()
	}
	return s
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// canonText is the canonical form of a message's text (see above). links
// are the links indicator.Extract found in s (its Input as written): each
// is replaced by its stem before the text is folded, so that the text is
// not searched for links twice.
func canonText(s string, links []indicator.Indicator, rcpt recipients) string {
	if s == "" {
		return ""
	}
	s = replaceLinks(s, links)
	if strings.Contains(s, "&") {
		s = html.UnescapeString(s)
	}
	s = strings.ToLower(norm.NFKC.String(s))
	s = rcpt.remove(s)
	s = hashDigits(s)
	return strings.Join(strings.Fields(s), " ")
}

// replaceLinks replaces each link of s that is one of links by its stem,
// longest first, and drops the links that do not harmonise.
func replaceLinks(s string, links []indicator.Indicator) string {
	var olds []indicator.Indicator
	for _, x := range links {
		if x.Kind == indicator.KindURL && x.Input != "" && strings.Contains(s, x.Input) {
			olds = append(olds, x)
		}
	}
	if len(olds) == 0 {
		return s
	}
	slices.SortStableFunc(olds, func(a, b indicator.Indicator) int { return len(b.Input) - len(a.Input) })
	pairs := make([]string, 0, 2*len(olds))
	for _, x := range olds {
		stem := ""
		if x.Valid {
			stem, _, _ = strings.Cut(x.Canonical, "?")
		}
		pairs = append(pairs, x.Input, " "+stem+" ")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// hashDigits replaces every run of four ASCII digits or more by "#".
func hashDigits(s string) string {
	var b strings.Builder
	done, run := 0, 0 // s[:done] is written; run digits end at i
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run >= 4 {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[done : i-run])
			b.WriteByte('#')
			done = i
		}
		run = 0
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// urlStem is the canonical form of link u without its query and fragment;
// "" when u does not harmonise.
func urlStem(u string) string {
	x := indicator.Normalize(indicator.KindURL, u)
	if !x.Valid {
		return ""
	}
	stem, _, _ := strings.Cut(x.Canonical, "?")
	return stem
}

// keyOf is the form an indicator takes in a ContentKey's material: its
// key, a link's stem for a link; "" for an invalid one.
func keyOf(x indicator.Indicator) string {
	if x.Kind == indicator.KindURL {
		if !x.Valid {
			return ""
		}
		stem, _, _ := strings.Cut(x.Canonical, "?")
		return "url:" + stem
	}
	return x.Key()
}

// material builds the text a ContentKey digests: named parts, one a line,
// the indicator keys sorted and each once.
type material struct {
	b     strings.Builder
	keys  []string
	empty bool
}

func newMaterial(channel Channel) *material {
	m := &material{empty: true}
	m.b.WriteString(string(channel) + ".v1\n")
	return m
}

func (m *material) part(name, value string) {
	if value != "" {
		m.empty = false
	}
	m.b.WriteString(name)
	m.b.WriteByte(':')
	m.b.WriteString(strings.ReplaceAll(value, "\n", " "))
	m.b.WriteByte('\n')
}

func (m *material) key(k string) {
	if k != "" {
		m.keys = append(m.keys, k)
	}
}

// sum returns the ContentKey, or "" when no part and no key was given.
func (m *material) sum(channel Channel) string {
	slices.Sort(m.keys)
	m.keys = slices.Compact(m.keys)
	if m.empty && len(m.keys) == 0 {
		return ""
	}
	m.b.WriteString("values:")
	m.b.WriteString(strings.Join(m.keys, " "))
	h := sha256.Sum256([]byte(m.b.String()))
	return string(channel) + ".v1:" + hex.EncodeToString(h[:])
}
