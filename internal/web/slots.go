package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// dayParam is the query parameter naming the day a slot picker shows, as
// YYYY-MM-DD in Paris.
const dayParam = "jour"

// slotPicker shows free slots one day at a time, so that a phone never
// scrolls past weeks of times to reach the button: the days with free
// slots as links (a plain GET: it works without JavaScript), then the
// slots of the day shown. The first day with free slots is shown unless
// another is asked for, so the next free slots come first.
type slotPicker struct {
	Days []dayLink
	// Day is the day shown; nil when there is no free slot at all.
	Day *slotDay
	// Chosen is the slot chosen already when it is not on the day shown:
	// the page says which it is and keeps it (see the "slots" template).
	Chosen *slotOption
	// Count is how many free slots there are over every day.
	Count int
}

// dayLink is one day of a slot picker's chooser.
type dayLink struct {
	ISO     string // YYYY-MM-DD
	Label   string // "lun. 23 nov."
	Count   int    // free slots that day
	Href    string
	Current bool // the day shown
}

type slotDay struct {
	Day   time.Time
	ID    string
	Slots []slotOption
}

type slotOption struct {
	ID, InputID string
	Start, End  time.Time
	Free        int
	Checked     bool
	// Current marks the slot of the appointment being moved: offered, so
	// that the citizen sees it, never pre-selected.
	Current bool
}

// pickSlots builds the picker of slots (sorted by start). chosen is the
// slot to pre-select (the filing journey's choice; "" for none); current
// is the appointment's slot, marked and never pre-selected. day is the day
// asked for (YYYY-MM-DD); unknown or empty, the picker shows the day of
// chosen, else the first day. href returns the address of a day.
func pickSlots(lang string, slots []station.Slot, chosen, current, day string, href func(day string) string) slotPicker {
	days := groupSlots(slots, chosen)
	var pk slotPicker
	if len(days) == 0 {
		return pk
	}
	shown := -1
	for i, d := range days {
		pk.Count += len(d.Slots)
		if isoDay(d.Day) == day {
			shown = i
		}
	}
	if shown < 0 && chosen != "" {
		for i, d := range days {
			for _, sl := range d.Slots {
				if sl.ID == chosen {
					shown = i
				}
			}
		}
	}
	if shown < 0 {
		shown = 0
	}
	for i, d := range days {
		iso := isoDay(d.Day)
		pk.Days = append(pk.Days, dayLink{ISO: iso, Label: shortDay(lang, d.Day), Count: len(d.Slots), Href: href(iso), Current: i == shown})
		if i == shown {
			continue
		}
		for _, sl := range d.Slots {
			if sl.Checked {
				sl := sl
				pk.Chosen = &sl
			}
		}
	}
	d := days[shown]
	for i, sl := range d.Slots {
		// The first radio shown is the one the error summary links to.
		d.Slots[i].InputID = fieldID("slot_id")
		if i > 0 {
			d.Slots[i].InputID += "-" + strconv.Itoa(i)
		}
		d.Slots[i].Current = sl.ID == current && current != ""
		if d.Slots[i].Current {
			d.Slots[i].Checked = false
		}
	}
	pk.Day = &d
	return pk
}

// groupSlots groups slots by their day in Paris.
func groupSlots(slots []station.Slot, chosen string) []slotDay {
	var days []slotDay
	for _, sl := range slots {
		day := isoDay(sl.Start)
		if len(days) == 0 || days[len(days)-1].ID != "jour-"+day {
			days = append(days, slotDay{Day: sl.Start, ID: "jour-" + day})
		}
		d := &days[len(days)-1]
		d.Slots = append(d.Slots, slotOption{
			ID: sl.ID, Start: sl.Start, End: sl.End, Free: sl.Free(), Checked: sl.ID == chosen && chosen != "",
		})
	}
	return days
}

// isoDay is t's calendar day in Paris, YYYY-MM-DD.
func isoDay(t time.Time) string { return t.In(complaint.Paris).Format("2006-01-02") }

// Short names of days and months for the day chooser.
var (
	frShortDays   = [...]string{"dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."}
	frShortMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// shortDay names a day briefly: "lun. 23 nov." or "Mon 23 Nov".
func shortDay(lang string, t time.Time) string {
	t = t.In(complaint.Paris)
	if lang == "fr" {
		day := strconv.Itoa(t.Day())
		if t.Day() == 1 {
			day = "1er"
		}
		return frShortDays[t.Weekday()] + nbsp + day + nbsp + frShortMonths[t.Month()-1]
	}
	return t.Format("Mon" + nbsp + "2" + nbsp + "Jan")
}

// dayHref returns a function giving the address of path with query q and
// the day chooser's day set, ending at fragment.
func dayHref(path string, q url.Values, fragment string) func(string) string {
	return func(day string) string {
		v := url.Values{}
		for k, vs := range q {
			if k != dayParam {
				v[k] = vs
			}
		}
		v.Set(dayParam, day)
		return path + "?" + v.Encode() + "#" + fragment
	}
}

// stationErrors words the station step's errors for what is on screen: a
// time is asked for only where times are shown. With no place chosen, the
// citizen is asked for a place (one message, not two), or to search for
// one when none is listed; with a place that has no free time, the page
// says so and offers the next place that has. Every error links to an
// element on screen.
func stationErrors(p *page) {
	d, ok := p.Data.(stationData)
	if !ok || d.Picker.Day != nil {
		return
	}
	at := -1
	unitErr := false
	for i, e := range p.Errors {
		switch e.Field {
		case "slot_id":
			at = i
		case "unit_id":
			unitErr = true
		}
	}
	switch {
	case at >= 0 && d.Chosen != nil:
		key := "err.slot.none_here"
		if d.Next != nil {
			key = "err.slot.none_here_next"
		}
		p.Errors[at].Message = p.cat.T(key)
		return
	case at >= 0:
		p.Errors = append(p.Errors[:at], p.Errors[at+1:]...)
		if !unitErr {
			p.addError("unit_id", "err.unit.first")
		}
	}
	if len(d.Units) > 0 {
		return
	}
	// No place listed to choose from: the error leads to the search.
	for i, e := range p.Errors {
		if e.Field == "unit_id" {
			p.Errors[i].ID, p.Errors[i].Message = fieldID("q"), p.cat.T("err.unit.search")
		}
	}
}

// pickerView is what the "slot-picker" template shows.
type pickerView struct {
	Page   *page
	Picker slotPicker
	Days   []slotDay // the day shown, alone
	// ID prefixes the picker's own ids; Legend and Hint are catalogue keys
	// (Hint may be empty).
	ID, Legend, Hint string
}

// PickerView prepares pk for the "slot-picker" template.
func (p *page) PickerView(pk slotPicker, id, legend, hint string) pickerView {
	v := pickerView{Page: p, Picker: pk, ID: id, Legend: legend, Hint: hint}
	if pk.Day != nil {
		v.Days = []slotDay{*pk.Day}
	}
	return v
}
