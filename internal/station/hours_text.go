package station

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/typography"
)

// Hours in words, in French or English.

// Spaces of French typography (internal/typography): nnbsp (narrow
// no-break space) inside times and ranges and before ":" and ";", and a
// range's dash joined to both ends, so that "9 h – 12 h" never breaks.
const (
	nnbsp = typography.NarrowNBSP
	nbsp  = typography.NBSP
)

// hoursWords are the words of hours in one language.
type hoursWords struct {
	days         [7]string // by time.Weekday
	holidays     string
	and, listSep string
	run          func(first, last string) string // three days or more
	single       func(day string) string
	daysTimesSep string
	rangeSep     string
	closed       string
	clock        func(minutes int) string
	always       string
	appointments string // before the appointment hours
	appointSep   string // between two groups of appointment hours
	notes        map[Note]string
}

var frWords = hoursWords{
	days:         [7]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"},
	holidays:     "les jours fériés",
	and:          " et ",
	listSep:      ", ",
	run:          func(a, b string) string { return "du " + a + " au " + b },
	single:       func(d string) string { return "le " + d },
	daysTimesSep: ", ",
	rangeSep:     typography.RangeDash,
	closed:       "fermé",
	clock: func(m int) string {
		s := strconv.Itoa(m/60) + nnbsp + "h"
		if m%60 != 0 {
			s += nnbsp + pad2(m%60)
		}
		return s
	},
	always:       "Accueil 24" + nnbsp + "h/24, 7" + nnbsp + "j/7",
	appointments: "Rendez-vous de pré-plainte" + nnbsp + ": ",
	appointSep:   nnbsp + "; ",
	notes: map[Note]string{
		NoteCall17:   "En dehors de ces horaires, composez le 17",
		NoteNoPublic: "Services administratifs, sans accueil du public",
		NoteSummoned: "Sur convocation uniquement",
	},
}

var enWords = hoursWords{
	days:         [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	holidays:     "public holidays",
	and:          " and ",
	listSep:      ", ",
	run:          func(a, b string) string { return a + "–" + b },
	single:       func(d string) string { return d },
	daysTimesSep: " ",
	rangeSep:     "–",
	closed:       "closed",
	clock:        EnglishClock,
	always:       "Open 24/7",
	appointments: "Pre-complaint appointments: ",
	appointSep:   "; ",
	notes: map[Note]string{
		NoteCall17:   "Outside these hours, call 17",
		NoteNoPublic: "Administrative offices, not open to the public",
		NoteSummoned: "By summons only",
	},
}

// EnglishClock writes minutes from midnight as English pages do: "9 am",
// "11:30 am", "12 pm" for noon, "midnight" at either end of the day.
func EnglishClock(m int) string {
	if m%(24*60) == 0 {
		return "midnight"
	}
	h, suffix := m/60, "am"
	if h >= 12 {
		suffix = "pm"
	}
	if h = h % 12; h == 0 {
		h = 12
	}
	s := strconv.Itoa(h)
	if m%60 != 0 {
		s += ":" + pad2(m%60)
	}
	return s + nbsp + suffix
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func wordsFor(lang string) *hoursWords {
	if lang == "en" {
		return &enWords
	}
	return &frWords
}

// Lines renders the hours for people in lang ("en" for English, French
// otherwise), one line for each group of days sharing their hours, then a
// line for the appointment hours, then the notes and any legacy text:
// "Du lundi au vendredi, 9 h – 12 h, 14 h – 17 h 30" or "Monday–Friday
// 9 am–12 pm, 2 pm–5:30 pm".
func (h Hours) Lines(lang string) []string {
	w := wordsFor(lang)
	var out []string
	if h.Desk.Always {
		out = append(out, w.always)
	} else {
		for _, g := range h.Desk.groups() {
			out = append(out, capitalize(w.group(g)))
		}
	}
	if h.Appointments.Always {
		out = append(out, w.appointments+lowerFirst(lang, w.always))
	} else if gs := h.Appointments.groups(); len(gs) > 0 {
		parts := make([]string, len(gs))
		for i, g := range gs {
			parts[i] = w.group(g)
		}
		out = append(out, w.appointments+strings.Join(parts, w.appointSep))
	}
	for _, n := range h.Notes {
		if s, ok := w.notes[n]; ok {
			out = append(out, s)
		}
	}
	// Legacy text is shown as typed, with French spacing on French pages.
	for _, l := range h.Legacy {
		if lang != "en" {
			l = typography.French(l)
		}
		out = append(out, l)
	}
	return out
}

// group writes one group of days with their hours.
func (w *hoursWords) group(g group) string {
	var days []string
	for _, run := range g.runs {
		switch {
		case len(run) >= 3:
			days = append(days, w.run(w.days[run[0]], w.days[run[len(run)-1]]))
		default:
			for _, d := range run {
				days = append(days, w.single(w.days[d]))
			}
		}
	}
	if g.holidays {
		days = append(days, w.holidays)
	}
	return w.list(days) + w.daysTimesSep + w.ranges(g.ranges)
}

// list joins items as a sentence does: "a, b et c".
func (w *hoursWords) list(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], w.listSep) + w.and + items[len(items)-1]
}

func (w *hoursWords) ranges(rs []Range) string {
	if len(rs) == 0 {
		return w.closed
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = w.clock(r.From) + w.rangeSep + w.clock(r.To)
	}
	return strings.Join(parts, ", ")
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// lowerFirst lowers the first letter of a French phrase put after a colon;
// English phrases are left alone ("Open 24/7" stays a name-like phrase).
func lowerFirst(lang, s string) string {
	if lang == "en" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
