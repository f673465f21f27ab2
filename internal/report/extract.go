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
	for _, m := range phoneInText.FindAllString(urlInText.ReplaceAllString(text, " "), -1) {
		x := indicator.Normalize(indicator.KindPhone, m)
		if !x.Valid {
			continue // a run of digits that is no phone number: an amount, a code
		}
		if seen[x.Key()] {
			continue
		}
		seen[x.Key()] = true
		out = append(out, x)
	}
	return out
}
