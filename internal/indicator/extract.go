package indicator

import (
	"regexp"
	"strings"
)

var (
	// urlInText finds links as scam messages write them: with a scheme,
	// with www., or a bare host with a path ("bit.ly/3xYz").
	urlInText = regexp.MustCompile(`(?i)\b(?:https?://[^\s<>"]+|www\.[^\s<>"]+|[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>"]*)`)
	// phoneInText finds numbers written the usual ways: 06 12 34 56 78,
	// 0612345678, +33 6 12 34 56 78, 06.12.34.56.78; shorter runs of
	// digits (a code, an amount) are not numbers.
	phoneInText = regexp.MustCompile(`(?:\+|00)?\d(?:[\s.\-]?\d){8,13}`)
	// emailInText finds addresses: a local part of at most 64 characters,
	// a domain of labels of at most 63.
	emailInText = regexp.MustCompile(`[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,62}[A-Za-z0-9])?)+`)
)

// MaxExtracted bounds how many values of each kind Extract returns from
// one text: a message naming more is not a message but a list.
const MaxExtracted = 200

// Extract returns the URLs, e-mail addresses and phone numbers found in a
// message (an SMS, a spam's body), each harmonised, links first, then
// addresses, then numbers, each kind in the order it appears; each value
// once. Trailing punctuation of a sentence is not part of a link. A link
// that does not harmonise is returned, invalid, with its reason (the
// reader typed or pasted something meant as a link); addresses and
// numbers are returned only when valid, since any run of digits is not a
// number.
func Extract(text string) []Indicator {
	var out []Indicator
	seen := map[string]bool{}
	for _, m := range urlInText.FindAllString(text, MaxExtracted) {
		m = strings.TrimRight(m, ".,;:!?)»\"'")
		x := Normalize(KindURL, m)
		if k := x.Key(); k != "" && seen[k] {
			continue
		} else if k != "" {
			seen[k] = true
		}
		out = append(out, x)
	}
	rest := urlInText.ReplaceAllString(text, " ")
	for _, m := range emailInText.FindAllString(rest, MaxExtracted) {
		x := Normalize(KindEmail, m)
		if k := x.Key(); x.Valid && !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	rest = emailInText.ReplaceAllString(rest, " ")
	for n := 0; rest != "" && n < MaxExtracted; {
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
			n++
		}
	}
	return out
}

// readPhone reads the longest phone number at the start of run, dropping
// groups of digits from its end; it returns how many bytes it used, 0 if
// none is a number (an amount, a code).
func readPhone(run string) (Indicator, int) {
	for end := len(run); end > 0; {
		if x := Normalize(KindPhone, run[:end]); x.Valid {
			return x, end
		}
		i := strings.LastIndexAny(run[:end], " \t\n.-")
		if i <= 0 {
			break
		}
		end = i
	}
	return Indicator{}, 0
}
