package station

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Hours is when a unit receives the public, as data: pages and receipts
// render it in their language (see Hours.Lines), so nothing French is
// stored for an English reader.
type Hours struct {
	// Desk is when the front desk is open.
	Desk Schedule `json:"desk"`
	// Appointments is when pre-complaint appointments are given, if it is
	// said apart from the desk's hours.
	Appointments Schedule `json:"appointments"`
	// Notes are said after the hours, in order.
	Notes []Note `json:"notes,omitempty"`
	// Legacy is free text from before hours were data, shown as typed,
	// after everything else, in whatever language it was typed in. New
	// units MUST NOT use it.
	Legacy []string `json:"legacy,omitempty"`
}

// IsZero reports whether nothing at all is known of the hours.
func (h Hours) IsZero() bool {
	return h.Desk.IsZero() && h.Appointments.IsZero() && len(h.Notes) == 0 && len(h.Legacy) == 0
}

// Note is something said of a unit's hours, by code.
type Note string

// Notes a unit's hours may carry.
const (
	NoteCall17   Note = "call_17"   // outside these hours, call 17
	NoteNoPublic Note = "no_public" // administrative offices, no public desk
	NoteSummoned Note = "summoned"  // by summons only
)

// Valid reports whether n is a known note.
func (n Note) Valid() bool {
	switch n {
	case NoteCall17, NoteNoPublic, NoteSummoned:
		return true
	}
	return false
}

// Schedule is a week of opening ranges. It is written, in JSON and by
// admins, in a subset of OpenStreetMap's opening_hours syntax:
// "24/7", or rules such as "Mo-Fr 08:30-12:00,14:00-18:00; Sa 09:00-12:00;
// Su,PH 09:00-12:00" (PH: public holidays), "" for nothing said.
type Schedule struct {
	// Always is open round the clock, every day.
	Always bool
	// Days holds the ranges of each day, indexed by time.Weekday (Sunday
	// first), in order and not overlapping.
	Days [7][]Range
	// Holidays holds the ranges of public holidays; nil when not said.
	Holidays []Range
}

// IsZero reports whether the schedule says nothing.
func (s Schedule) IsZero() bool {
	if s.Always || s.Holidays != nil {
		return false
	}
	for _, d := range s.Days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// Range is a span of a day, in minutes from midnight: From < To ≤ 24 h.
type Range struct{ From, To int }

// ParseSchedule reads a schedule written as Schedule says.
func ParseSchedule(s string) (Schedule, error) {
	var sc Schedule
	s = strings.TrimSpace(s)
	if s == "" {
		return sc, nil
	}
	if s == "24/7" {
		sc.Always = true
		return sc, nil
	}
	seen := [8]bool{} // the days, and holidays at 7, given a rule already
	for _, rule := range strings.Split(s, ";") {
		rule = strings.TrimSpace(rule)
		days, spans, ok := strings.Cut(rule, " ")
		if !ok {
			return Schedule{}, fmt.Errorf("hours %q: rule %q: want days then times", s, rule)
		}
		ranges, err := parseRanges(strings.TrimSpace(spans))
		if err != nil {
			return Schedule{}, fmt.Errorf("hours %q: rule %q: %w", s, rule, err)
		}
		for _, part := range strings.Split(days, ",") {
			idx, err := parseDays(part)
			if err != nil {
				return Schedule{}, fmt.Errorf("hours %q: rule %q: %w", s, rule, err)
			}
			for _, d := range idx {
				if seen[d] {
					return Schedule{}, fmt.Errorf("hours %q: %s given twice", s, dayCodes[d])
				}
				seen[d] = true
				if d == 7 {
					sc.Holidays = ranges
				} else {
					sc.Days[d] = ranges
				}
			}
		}
	}
	return sc, nil
}

// MustParseSchedule is ParseSchedule for schedules written in code; it
// panics on an error.
func MustParseSchedule(s string) Schedule {
	sc, err := ParseSchedule(s)
	if err != nil {
		panic(err)
	}
	return sc
}

// dayCodes are opening_hours' day codes by time.Weekday, then holidays.
var dayCodes = [8]string{"Su", "Mo", "Tu", "We", "Th", "Fr", "Sa", "PH"}

// monFirst is the order of days in a week as France and Britain write it.
var monFirst = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// parseDays reads "Mo", "Mo-Fr", "Sa-Su" or "PH" into day indices (7 for
// holidays); a range runs Monday first, "Fr-Mo" wrapping over Sunday.
func parseDays(s string) ([]int, error) {
	code := func(c string) int {
		for i, d := range dayCodes {
			if d == c {
				return i
			}
		}
		return -1
	}
	from, to, isRange := strings.Cut(strings.TrimSpace(s), "-")
	a := code(from)
	if a < 0 {
		return nil, fmt.Errorf("unknown day %q", from)
	}
	if !isRange {
		return []int{a}, nil
	}
	b := code(to)
	if b < 0 || a == 7 || b == 7 || a == b {
		return nil, fmt.Errorf("bad day range %q", s)
	}
	var out []int
	for d := a; ; d = (d + 1) % 7 {
		out = append(out, d)
		if d == b {
			return out, nil
		}
	}
}

// parseRanges reads "08:30-12:00,14:00-18:00", or "off" for closed.
func parseRanges(s string) ([]Range, error) {
	if s == "off" {
		return []Range{}, nil
	}
	var out []Range
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(part), "-")
		a, errA := parseClock(from)
		b, errB := parseClock(to)
		if !ok || errA != nil || errB != nil || a >= b {
			return nil, fmt.Errorf("bad time range %q", part)
		}
		if len(out) > 0 && a < out[len(out)-1].To {
			return nil, fmt.Errorf("time range %q overlaps or is out of order", part)
		}
		out = append(out, Range{a, b})
	}
	return out, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, errors.New("want HH:MM")
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, errors.New("want HH:MM")
	}
	return hh*60 + mm, nil
}

// String writes the schedule as ParseSchedule reads it: days Monday first,
// days with the same ranges in one rule, runs of days as "Mo-Fr".
func (s Schedule) String() string {
	if s.Always {
		return "24/7"
	}
	var rules []string
	for _, g := range s.groups() {
		var days []string
		for _, run := range g.runs {
			if len(run) == 1 {
				days = append(days, dayCodes[run[0]])
			} else {
				days = append(days, dayCodes[run[0]]+"-"+dayCodes[run[len(run)-1]])
			}
		}
		if g.holidays {
			days = append(days, "PH")
		}
		rules = append(rules, strings.Join(days, ",")+" "+formatRanges(g.ranges))
	}
	return strings.Join(rules, "; ")
}

func formatRanges(rs []Range) string {
	if len(rs) == 0 {
		return "off"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%02d:%02d-%02d:%02d", r.From/60, r.From%60, r.To/60, r.To%60)
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the schedule as String does.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the schedule as ParseSchedule does.
func (s *Schedule) UnmarshalText(b []byte) error {
	sc, err := ParseSchedule(string(b))
	if err != nil {
		return err
	}
	*s = sc
	return nil
}

// group is days sharing the same ranges: runs of consecutive days
// (Monday first), and public holidays when they share them too.
type group struct {
	runs     [][]time.Weekday
	holidays bool
	ranges   []Range
}

// groups gathers the days said (open or "off") by their ranges, in the
// order of their first day Monday first; holidays join the group of the
// same ranges, or come last on their own.
func (s Schedule) groups() []group {
	var out []group
	find := func(rs []Range) int {
		for i, g := range out {
			if slices.Equal(g.ranges, rs) {
				return i
			}
		}
		return -1
	}
	for i, d := range monFirst {
		rs := s.Days[d]
		if rs == nil {
			continue
		}
		gi := find(rs)
		if gi < 0 {
			out = append(out, group{ranges: rs})
			gi = len(out) - 1
		}
		g := &out[gi]
		if n := len(g.runs); n > 0 && i > 0 && g.runs[n-1][len(g.runs[n-1])-1] == monFirst[i-1] {
			g.runs[n-1] = append(g.runs[n-1], d)
		} else {
			g.runs = append(g.runs, []time.Weekday{d})
		}
	}
	if s.Holidays != nil {
		if gi := find(s.Holidays); gi >= 0 {
			out[gi].holidays = true
		} else {
			out = append(out, group{holidays: true, ranges: s.Holidays})
		}
	}
	return out
}
