// Package typography owns the spacing rules of French text: the narrow
// no-break space (U+202F) before the high punctuation marks ":", ";", "?"
// and "!", inside « guillemets », inside times ("9 h 30") and around the
// dash of a range ("9 h – 12 h"), so that a line never starts with a mark,
// a unit or the end of a range. French applies them to a string; Faults
// says where a string breaks them, for the tests that guard catalogues.
//
// The rules are those of the Imprimerie nationale's Lexique, with the
// narrow space that French digital typography uses throughout (Unicode's
// "espace fine insécable").
package typography

import (
	"fmt"
	"regexp"
	"strings"
)

// Spaces and joiners of French typography.
const (
	// NarrowNBSP is U+202F NARROW NO-BREAK SPACE, the French "espace fine
	// insécable".
	NarrowNBSP = "\u202f"
	// NBSP is U+00A0 NO-BREAK SPACE.
	NBSP = "\u00a0"
	// WordJoiner is U+2060 WORD JOINER: no break on either side, no width.
	// A dash allows a break after it even before a no-break space (Unicode
	// line breaking, rule LB12a), so a range's dash is followed by one.
	WordJoiner = "\u2060"
	// RangeDash joins the two ends of a range: "9 h" + RangeDash + "12 h"
	// reads "9 h – 12 h" and never breaks.
	RangeDash = NarrowNBSP + "–" + WordJoiner + NarrowNBSP
)

// A rule finds one kind of fault and says how to mend it.
type rule struct {
	what string
	re   *regexp.Regexp
	fix  func(m []string) string // m: the submatches of one match
}

// space is any run of spaces a writer may have typed where a no-break
// space belongs, including none.
const space = `[ \x{00a0}\x{202f}\x{2009}]*`

// A high mark is punctuation when what follows it ends the phrase: a
// space, the end, a closing mark or another mark. In "14:30",
// "https://…", "hh:mm" or "?jour=2" the mark is part of a code and is left
// alone. (RE2 has no look-ahead: the character is matched, and put back.)
const after = `($|[\s\x{00a0}\x{202f})\]»"'’.,:;?!…])`

var rules = []rule{
	{
		what: "a narrow no-break space before « : ; ? ! »",
		// After a word, a number, a closing mark or a placeholder; not
		// after an opening bracket or another mark ("?!", "(?)").
		re:  regexp.MustCompile(`([^\s(\[«:;?!\x{00a0}\x{202f}\x{2009}])` + space + `([:;?!])` + after),
		fix: func(m []string) string { return m[1] + NarrowNBSP + m[2] + m[3] },
	},
	{
		what: "a narrow no-break space after «",
		re:   regexp.MustCompile(`«` + space),
		fix:  func([]string) string { return "«" + NarrowNBSP },
	},
	{
		what: "a narrow no-break space before »",
		re:   regexp.MustCompile(space + `»`),
		fix:  func([]string) string { return NarrowNBSP + "»" },
	},
	{
		what: "a no-break space inside a time: 9 h 30, 24 h/24",
		// A number and its unit (h, or j in "7 j/7"), but not "2 j’ai". A
		// no-break space of either width will do.
		re:  regexp.MustCompile(`(\d) ?([hj])($|[^\pL'’])`),
		fix: func(m []string) string { return m[1] + NarrowNBSP + m[2] + m[3] },
	},
	{
		what: "a no-break space inside a time: 9 h 30, 24 h/24",
		re:   regexp.MustCompile(`(\d[\x{00a0}\x{202f}]h) ?(\d\d)($|\D)`),
		fix:  func(m []string) string { return m[1] + NarrowNBSP + m[2] + m[3] },
	},
	{
		what: "a range that does not break: 9 h – 12 h",
		// The dash between two times, typed as a hyphen or a dash, with
		// any spaces or none.
		re:  regexp.MustCompile(`(\d[\x{00a0}\x{202f}]h(?:[\x{00a0}\x{202f}]\d\d)?)` + space + `[-–]\x{2060}?` + space + `(\d)`),
		fix: func(m []string) string { return m[1] + RangeDash + m[2] },
	},
}

// French returns s with the spacing of French typography: narrow no-break
// spaces before high punctuation, inside guillemets, times and ranges. It
// MUST be idempotent (French(French(s)) == French(s)) and MUST NOT change
// marks that are part of a code (times such as "14:30", URLs, formats such
// as "hh:mm"); Faults(French(s)) is empty.
func French(s string) string {
	for range 2 { // one rule's fix can make another's context (" h :")
		for _, r := range rules {
			s = r.apply(s)
		}
	}
	return s
}

func (r rule) apply(s string) string {
	// Matches may share their context character ("a:b: c"); loop until
	// the rule no longer changes anything.
	for {
		next := r.re.ReplaceAllStringFunc(s, func(m string) string {
			return r.fix(r.re.FindStringSubmatch(m))
		})
		if next == s {
			return s
		}
		s = next
	}
}

// Faults lists, in order, each place where s breaks a rule of French
// typography: what is missing and the text around it. It is empty exactly
// when French(s) == s.
func Faults(s string) []string {
	var out []string
	// Rule by rule, each on the text mended by the rules before it, as
	// French does: "9 h–12 h" is a range only once its times are whole.
	for _, r := range rules {
		for _, loc := range r.re.FindAllStringSubmatchIndex(s, -1) {
			m := make([]string, len(loc)/2)
			for i := range m {
				if loc[2*i] >= 0 {
					m[i] = s[loc[2*i]:loc[2*i+1]]
				}
			}
			if r.fix(m) != m[0] {
				out = append(out, fmt.Sprintf("%s: %q", r.what, around(s, loc[0], loc[1])))
			}
		}
		s = r.apply(s)
	}
	if len(out) == 0 && French(s) != s {
		out = append(out, fmt.Sprintf("spacing of French typography: %q should read %q", s, French(s)))
	}
	return out
}

// around is the text of s from start to end with a few characters either
// side, for a reader to find the place.
func around(s string, start, end int) string {
	from, to := start, end
	for n := 0; from > 0 && n < 12; n++ {
		from--
		for from > 0 && !utf8Start(s[from]) {
			from--
		}
	}
	for n := 0; to < len(s) && n < 8; n++ {
		to++
		for to < len(s) && !utf8Start(s[to]) {
			to++
		}
	}
	return strings.TrimSpace(s[from:to])
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
