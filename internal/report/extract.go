package report

import (
	"regexp"
	"strings"

	"github.com/guichet/guichet/internal/indicator"
)

var (
	// urlInText finds links as scam messages write them: with a scheme,
	// with www., or a bare host with a path ("bit.ly/3xYz").
	urlInText = regexp.MustCompile(`(?i)\b(?:https?://[^\s<>"]+|www\.[^\s<>"]+|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>"]*)`)
	// phoneInText finds numbers written the usual ways: 06 12 34 56 78,
	// 0612345678, +33 6 12 34 56 78, 06.12.34.56.78; shorter runs of
	// digits (a code, an amount) are not numbers.
	phoneInText = regexp.MustCompile(`(?:\+|00)?\d(?:[\s.\-]?\d){8,13}`)
)

// ExtractFromText returns the URLs and phone numbers found in a message
// (an SMS), each harmonised, in the order they appear; trailing
// punctuation of a sentence is not part of a link.
func ExtractFromText(text string) []indicator.Indicator {
	var out []indicator.Indicator
	seen := map[string]bool{}
	for _, m := range urlInText.FindAllString(text, -1) {
		m = strings.TrimRight(m, ".,;:!?)»\"'")
		x := indicator.Normalize(indicator.KindURL, m)
		if k := x.Key(); k != "" && seen[k] {
			continue
		} else if k != "" {
			seen[k] = true
		}
		out = append(out, x)
	}
	rest := urlInText.ReplaceAllString(text, " ")
	for rest != "" {
		loc := phoneInText.FindStringIndex(rest)
		if loc == nil {
			break
		}
		m := rest[loc[0]:loc[1]]
		// A run may join two numbers written one after the other: drop
		// its last groups until a number is read.
		x, used := readPhone(m)
		if used == 0 {
			rest = rest[loc[0]+1:]
			continue
		}
		rest = rest[loc[0]+used:]
		if !seen[x.Key()] {
			seen[x.Key()] = true
			out = append(out, x)
		}
	}
	return out
}

// readPhone reads the longest phone number at the start of run, dropping
// groups of digits from its end; it returns how many bytes it used, 0 if
// none is a number (an amount, a code).
func readPhone(run string) (indicator.Indicator, int) {
	for end := len(run); end > 0; {
		if x := indicator.Normalize(indicator.KindPhone, run[:end]); x.Valid {
			return x, end
		}
		i := strings.LastIndexAny(run[:end], " \t\n.-")
		if i <= 0 {
			break
		}
		end = i
	}
	return indicator.Indicator{}, 0
}
