package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// calendarDesk is what the unit's calendar and the rescheduling of an
// appointment need of the case desk.
type calendarDesk interface {
	Calendar(ctx context.Context, p account.Principal, unitID string, from, to time.Time) ([]casework.SlotView, error)
	OpenSlot(ctx context.Context, p account.Principal, unitID string, start, end time.Time, capacity int) (*casework.SlotView, error)
	SetCapacity(ctx context.Context, p account.Principal, slotID string, capacity int) error
	CloseSlot(ctx context.Context, p account.Principal, slotID string) error
	Reschedule(ctx context.Context, p account.Principal, ref, slotID string) error
}

// rescheduleWindow is how far ahead the back-office offers slots to move
// an appointment to.
const rescheduleWindow = 21 * 24 * time.Hour

// freeSlots lists the slots of the case's unit, starting from now within
// rescheduleWindow, that have a free place, other than its current one.
func (s *Server) freeSlots(r *http.Request, pr account.Principal, sum *casework.Summary) ([]station.Slot, error) {
	if sum.Case.UnitID == "" {
		return nil, nil
	}
	now := s.now()
	cal, err := s.d.Cases.Calendar(r.Context(), pr, sum.Case.UnitID, now, now.Add(rescheduleWindow))
	if err != nil {
		return nil, err
	}
	var out []station.Slot
	for _, sv := range cal {
		if sv.Free() > 0 && (sum.Appointment == nil || sv.ID != sum.Appointment.SlotID) {
			out = append(out, sv.Slot)
		}
	}
	return out, nil
}

// agentReschedule moves a case's appointment, as arranged with the citizen.
func (s *Server) agentReschedule(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if err := casesOnly(pr); err != nil {
		return err
	}
	ref := r.PathValue("ref")
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("reschedule %s: %w: %w", ref, guichet.ErrInvalid, err)
	}
	slot := r.PostForm.Get("slot_id")
	if err = bad; err == nil {
		err = s.d.Cases.Reschedule(r.Context(), pr, ref, slot)
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		p := s.newPage(r)
		p.Path = "/agent/dossiers/" + ref
		p.Values = map[string]string{"slot_id": slot}
		p.setErrors(err)
		return s.renderSummary(w, r, pr, ref, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/agent/dossiers/"+url.PathEscape(ref)+"?ok=deplace")
}

// calendarData is the week view's data.
type calendarData struct {
	UnitID   string
	Units    []string
	Week     time.Time // Monday, Paris
	Prev     string
	Next     string
	Days     []calendarDay
	Weekdays []time.Time
}

type calendarDay struct {
	Day   time.Time
	Slots []casework.SlotView
}

// weekOf returns the Monday 0 h (Paris) of the week holding t.
func weekOf(t time.Time) time.Time {
	t = t.In(complaint.Paris)
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, complaint.Paris)
	off := (int(d.Weekday()) + 6) % 7
	return d.AddDate(0, 0, -off)
}

func (s *Server) calendarPage(r *http.Request, pr account.Principal) (*page, *calendarData, error) {
	if err := casesOnly(pr); err != nil {
		return nil, nil, err
	}
	q := r.URL.Query()
	if r.Method == http.MethodPost {
		q = r.PostForm
	}
	unit := q.Get("unite")
	if unit == "" {
		unit = pr.UnitID
	}
	if !pr.CanSeeUnit(unit) {
		return nil, nil, fmt.Errorf("calendar of unit %s: %w", unit, guichet.ErrNotFound)
	}
	week := weekOf(s.d.Clock.Now())
	if v := q.Get("semaine"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, complaint.Paris)
		if err != nil {
			return nil, nil, fmt.Errorf("calendar week %q: %w", v, guichet.ErrInvalid)
		}
		week = weekOf(t)
	}
	data := &calendarData{UnitID: unit, Units: pr.Units, Week: week}
	v := url.Values{"unite": {unit}}
	v.Set("semaine", week.AddDate(0, 0, -7).Format("2006-01-02"))
	data.Prev = v.Encode()
	v.Set("semaine", week.AddDate(0, 0, 7).Format("2006-01-02"))
	data.Next = v.Encode()
	p := s.newPage(r)
	p.Path = "/agent/calendrier?" + url.Values{"unite": {unit}, "semaine": {week.Format("2006-01-02")}}.Encode()
	p.Data = data
	return p, data, nil
}

func (s *Server) fillCalendar(r *http.Request, pr account.Principal, data *calendarData) error {
	slots, err := s.d.Cases.Calendar(r.Context(), pr, data.UnitID, data.Week, data.Week.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	for i := range 7 {
		day := data.Week.AddDate(0, 0, i)
		cd := calendarDay{Day: day}
		for _, sl := range slots {
			if st := sl.Start.In(complaint.Paris); !st.Before(day) && st.Before(day.AddDate(0, 0, 1)) {
				cd.Slots = append(cd.Slots, sl)
			}
		}
		data.Days = append(data.Days, cd)
	}
	return nil
}

func (s *Server) agentCalendar(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	p.Notice = map[string]string{"ouvert": "cases.cal.opened", "capacite": "cases.cal.capacity_set", "ferme": "cases.cal.closed"}[r.URL.Query().Get("ok")]
	p.Values = map[string]string{"date": data.Week.Format("2006-01-02"), "time": "09:00", "duration": "30", "capacity": "2"}
	return s.render(w, r, http.StatusOK, "agent_calendar", p)
}

func (s *Server) calendarBack(w http.ResponseWriter, r *http.Request, data *calendarData, ok string) error {
	return redirect(w, r, "/agent/calendrier?"+url.Values{"unite": {data.UnitID}, "semaine": {data.Week.Format("2006-01-02")}, "ok": {ok}}.Encode())
}

func (s *Server) agentOpenSlot(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("open slot: %w: %w", guichet.ErrInvalid, err)
	}
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	f := r.PostForm
	p.Values = map[string]string{"date": f.Get("date"), "time": f.Get("time"), "duration": f.Get("duration"), "capacity": f.Get("capacity")}
	start, end, capacity, ferr := decodeSlotForm(f)
	if bad != nil {
		ferr = bad
	}
	if ferr == nil {
		_, err = s.d.Cases.OpenSlot(r.Context(), pr, data.UnitID, start, end, capacity)
		if err == nil {
			return s.calendarBack(w, r, data, "ouvert")
		}
		if !errors.As(err, new(*guichet.ValidationError)) {
			return err
		}
		p.setErrors(err)
	} else {
		p.setErrors(ferr)
	}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "agent_calendar", p)
}

func (s *Server) agentSetCapacity(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("set capacity: %w: %w", guichet.ErrInvalid, err)
	}
	p, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	capacity, cerr := strconv.Atoi(r.PostForm.Get("capacity"))
	if bad != nil {
		err = bad
	} else if cerr != nil {
		err = (&guichet.ValidationError{Fields: []guichet.FieldError{{Field: "capacity", Key: "cases.err.capacity"}}})
	} else {
		err = s.d.Cases.SetCapacity(r.Context(), pr, r.PathValue("id"), capacity)
	}
	if err == nil {
		return s.calendarBack(w, r, data, "capacite")
	}
	if !errors.As(err, new(*guichet.ValidationError)) {
		return err
	}
	p.setErrors(err)
	p.Values = map[string]string{"date": data.Week.Format("2006-01-02"), "time": "09:00", "duration": "30", "capacity": "2"}
	if err := s.fillCalendar(r, pr, data); err != nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "agent_calendar", p)
}

func (s *Server) agentCloseSlot(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("close slot: %w: %w", guichet.ErrInvalid, err)
	}
	if bad != nil {
		// A button without inputs of its own: nothing to show beside.
		return fmt.Errorf("close slot: %w", bad)
	}
	_, data, err := s.calendarPage(r, pr)
	if err != nil {
		return err
	}
	if err := s.d.Cases.CloseSlot(r.Context(), pr, r.PathValue("id")); err != nil {
		return err
	}
	return s.calendarBack(w, r, data, "ferme")
}

// decodeSlotForm reads the calendar's "open a slot" form: a day and a time
// in Paris, a duration of 1 to 240 minutes and a capacity (which the case
// desk checks). Times come back in UTC; bad values as a
// *guichet.ValidationError naming their fields.
func decodeSlotForm(f url.Values) (start, end time.Time, capacity int, err error) {
	var verr guichet.ValidationError
	start, perr := time.ParseInLocation("2006-01-02 15:04", f.Get("date")+" "+f.Get("time"), complaint.Paris)
	if perr != nil {
		verr.Add("start", "cases.err.slot_start")
	}
	minutes, perr := strconv.Atoi(f.Get("duration"))
	if perr != nil || minutes <= 0 || minutes > 240 {
		verr.Add("end", "cases.err.slot_duration")
	}
	capacity, perr = strconv.Atoi(f.Get("capacity"))
	if perr != nil {
		verr.Add("capacity", "cases.err.capacity")
	}
	if err := verr.Err(); err != nil {
		return time.Time{}, time.Time{}, 0, err
	}
	return start.UTC(), start.Add(time.Duration(minutes) * time.Minute).UTC(), capacity, nil
}
