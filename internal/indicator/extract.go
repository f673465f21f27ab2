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
	// Each pattern scans the text once: the matches found are used, and
	// cut out (as a space) of what the next pattern reads.
	urls := urlInText.FindAllStringIndex(text, -1)
	for _, loc := range urls[:min(len(urls), MaxExtracted)] {
		m := strings.TrimRight(text[loc[0]:loc[1]], ".,;:!?)»\"'")
		x := Normalize(KindURL, m)
		if k := x.Key(); k != "" && seen[k] {
			continue
		} else if k != "" {
			seen[k] = true
		}
		out = append(out, x)
	}
	rest := cutOut(text, urls)
	if strings.IndexByte(rest, '@') >= 0 {
		emails := emailInText.FindAllStringIndex(rest, -1)
		for _, loc := range emails[:min(len(emails), MaxExtracted)] {
			x := Normalize(KindEmail, rest[loc[0]:loc[1]])
			if k := x.Key(); x.Valid && !seen[k] {
				seen[k] = true
				out = append(out, x)
			}
		}
		rest = cutOut(rest, emails)
	}
	return appendPhones(out, seen, rest)
}

// appendPhones appends to out the phone numbers read in rest (text left
// once links and addresses are cut out) that seen does not hold, at most
// MaxExtracted, recording them in seen.
func appendPhones(out []Indicator, seen map[string]bool, rest string) []Indicator {
	if strings.IndexAny(rest, "0123456789") < 0 {
		return out
	}
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

// cutOut returns text with each of the spans locs (in order, not
// overlapping) replaced by one space.
func cutOut(text string, locs [][]int) string {
	if len(locs) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, loc := range locs {
		b.WriteString(text[last:loc[0]])
		b.WriteByte(' ')
		last = loc[1]
	}
	b.WriteString(text[last:])
	return b.String()
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
