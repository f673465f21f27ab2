package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/hub"
)

// The dispatchers' console for silent alerts, under /agent/dispatch: the
// open alerts of the dispatcher's area, a page per alert (profile,
// positions on a map drawn here as SVG, chat, nearest units) with its
// forms, the export, and the live event stream. The alert service checks
// the principal's role and area on every call; the event stream checks
// the area of every event before passing it on.
//
// Every page works without JavaScript: forms post and redirect, and the
// list refreshes itself every few seconds (a <noscript> meta refresh).
// With JavaScript, dispatch.js follows the event stream and redraws the
// parts of the page marked data-live.

// EventSource is what the console needs of the event hub.
type EventSource interface {
	// Subscribe delivers every committed record with ID > after that f
	// accepts, in ID order, each once, until ctx ends.
	Subscribe(ctx context.Context, f hub.Filter, after int64) <-chan hub.Record
	// Head is the greatest ID delivered so far.
	Head() int64
}

var _ EventSource = (*hub.Hub)(nil)

// OpenStreetMapLink is MapLink's pattern for OpenStreetMap.
const OpenStreetMapLink = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"

// nearestShown is how many available units an alert's page proposes.
const nearestShown = 5

func (s *Server) dispatchRoutes() {
	if s.d.Alerts == nil {
		return
	}
	s.handle("GET /agent/dispatch", s.agentOnly(s.dispatchList))
	s.handleLimit("GET /agent/dispatch/events", 0, s.agentOnly(s.dispatchEvents))
	s.handle("GET /agent/dispatch/{ref}", s.agentOnly(s.dispatchAlert))
	s.handle("GET /agent/dispatch/{ref}/export.json", s.agentOnly(s.dispatchExport))
	s.handle("POST /agent/dispatch/{ref}/prendre", s.agentOnly(s.dispatchAck))
	s.handle("POST /agent/dispatch/{ref}/envoyer", s.agentOnly(s.dispatchAssign))
	s.handle("POST /agent/dispatch/{ref}/message", s.agentOnly(s.dispatchChat))
	s.handle("POST /agent/dispatch/{ref}/cloturer", s.agentOnly(s.dispatchClose))
}

// dispatchRow is one open alert of the list.
type dispatchRow struct {
	alert.Alert
	Urgent bool
	Age    time.Duration
	Last   *alert.Position // nil: no position given
}

// dispatchListData is the list page.
type dispatchListData struct {
	Rows []dispatchRow
	Now  time.Time
	// Events is the event stream's address, from what this page shows.
	Events string
}

// AgeText words how long ago an alert was raised: "45 s", "3 min".
func (p *page) AgeText(d time.Duration) string {
	if d < time.Minute {
		return p.cat.T("dispatch.age.s", int(d.Seconds()))
	}
	if d < time.Hour {
		return p.cat.T("dispatch.age.min", int(d.Minutes()))
	}
	return p.cat.T("dispatch.age.h", int(d.Hours()), int(d.Minutes())%60)
}

// Metres words a distance in metres or kilometres.
func (p *page) Metres(m float64) string {
	if m < 1000 {
		return p.cat.T("dispatch.m", int(m+0.5))
	}
	km := strconv.FormatFloat(m/1000, 'f', 1, 64)
	if p.Lang == "fr" {
		km = strings.Replace(km, ".", ",", 1)
	}
	return p.cat.T("dispatch.km", km)
}

// Coord writes a latitude or longitude for reading and copying.
func Coord(f float64) string { return strconv.FormatFloat(f, 'f', 5, 64) }

func (s *Server) eventsURL() string {
	if s.d.Events == nil {
		return ""
	}
	return "/agent/dispatch/events?after=" + strconv.FormatInt(s.d.Events.Head(), 10)
}

func (s *Server) dispatchList(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	events := s.eventsURL() // before reading: nothing committed after is missed
	open, err := s.d.Alerts.Open(r.Context(), pr)
	if err != nil {
		return err
	}
	now := s.now()
	d := &dispatchListData{Now: now, Events: events}
	for _, a := range open {
		row := dispatchRow{Alert: a, Urgent: !a.EscalatedAt.IsZero() && a.AckBy == "", Age: now.Sub(a.Case.SubmittedAt)}
		if pos, _, err := s.d.Alerts.Positions(r.Context(), pr, a.Case.Ref, ""); err == nil && len(pos) > 0 {
			row.Last = &pos[len(pos)-1]
		} else if err != nil && !errors.Is(err, guichet.ErrNotFound) {
			return err
		}
		d.Rows = append(d.Rows, row)
	}
	// Urgent (escalated, still not taken) first, then the oldest.
	slices.SortStableFunc(d.Rows, func(a, b dispatchRow) int {
		switch {
		case a.Urgent && !b.Urgent:
			return -1
		case b.Urgent && !a.Urgent:
			return 1
		}
		return 0
	})
	p := s.newPage(r)
	p.Data = d
	return s.render(w, r, http.StatusOK, "agent_dispatch", p)
}

// dispatchPosition is one fix with its time.
type dispatchPosition struct {
	alert.Position
	At time.Time
}

// dispatchMessage is one chat message with its time.
type dispatchMessage struct {
	alert.Message
	At time.Time
}

// dispatchAlertData is an alert's page.
type dispatchAlertData struct {
	Alert     alert.Alert
	Urgent    bool
	Open      bool
	Profile   *alert.Profile
	Positions []dispatchPosition // oldest first
	Last      *dispatchPosition
	Messages  []dispatchMessage
	Nearest   []alert.NearUnit
	Map       template.HTML
	MapLink   string
	Outcomes  []alert.Outcome
	Quick     []string
	Timeline  []casefile.Event
	Events    string
	// Already is who acknowledged first, when this dispatcher tried too.
	Already *alert.AlreadyError
}

func (s *Server) dispatchPage(r *http.Request, pr account.Principal, ref string) (*page, *dispatchAlertData, error) {
	ctx := r.Context()
	events := s.eventsURL()
	prof, err := s.d.Alerts.Profile(ctx, pr, ref) // checks the area first
	if err != nil {
		return nil, nil, err
	}
	d := &dispatchAlertData{Profile: prof, Outcomes: alert.Outcomes, Quick: alert.QuickReplies, Events: events}
	if d.Alert, err = s.d.Alerts.Get(ctx, pr, ref); err != nil {
		return nil, nil, err
	}
	d.Open = slices.Contains(alert.Kind.Open(), d.Alert.Case.Status)
	pos, entries, err := s.d.Alerts.Positions(ctx, pr, ref, "")
	if err != nil {
		return nil, nil, err
	}
	for i := range pos {
		d.Positions = append(d.Positions, dispatchPosition{Position: pos[i], At: entries[i].At})
	}
	msgs, err := s.d.Alerts.Messages(ctx, pr, ref, "")
	if err != nil {
		return nil, nil, err
	}
	tl, err := s.d.Alerts.Timeline(ctx, pr, ref)
	if err != nil {
		return nil, nil, err
	}
	// Message times come from their events, in the same order.
	var times []time.Time
	for _, ev := range tl {
		if ev.Type == alert.EventMessage {
			times = append(times, ev.At)
		}
		if ev.Type != casefile.EventAccessed {
			d.Timeline = append(d.Timeline, ev)
		}
	}
	for i, m := range msgs {
		dm := dispatchMessage{Message: m}
		if i < len(times) {
			dm.At = times[i]
		}
		d.Messages = append(d.Messages, dm)
	}
	d.Urgent = !d.Alert.EscalatedAt.IsZero() && d.Alert.AckBy == ""
	p := s.newPage(r)
	if n := len(d.Positions); n > 0 {
		d.Last = &d.Positions[n-1]
		d.Nearest = s.d.Fleet.Nearest(d.Last.Lat, d.Last.Lon, nearestShown)
		if s.cfg.MapLink != "" {
			d.MapLink = strings.NewReplacer("{lat}", Coord(d.Last.Lat), "{lon}", Coord(d.Last.Lon)).Replace(s.cfg.MapLink)
		}
	}
	d.Map = drawMap(p, d.Positions, s.d.Fleet)
	p.Data = d
	return p, d, nil
}

func (s *Server) dispatchAlert(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	p, _, err := s.dispatchPage(r, pr, r.PathValue("ref"))
	if err != nil {
		return err
	}
	if n := r.URL.Query().Get("fait"); n != "" && slices.Contains(dispatchNotices, n) {
		p.Notice = "dispatch.done." + n
	}
	return s.render(w, r, http.StatusOK, "agent_dispatch_alert", p)
}

var dispatchNotices = []string{"ack", "assign", "message", "close"}

// dispatchRefused shows the alert's page again with err: its field
// errors, or who acknowledged it first.
func (s *Server) dispatchRefused(w http.ResponseWriter, r *http.Request, pr account.Principal, ref string, err error) error {
	var verr *guichet.ValidationError
	var already *alert.AlreadyError
	switch {
	case errors.As(err, &verr):
	case errors.As(err, &already):
	default:
		return err
	}
	p, d, perr := s.dispatchPage(r, pr, ref)
	if perr != nil {
		return perr
	}
	p.Values = map[string]string{}
	for k := range r.PostForm {
		p.Values[k] = r.PostForm.Get(k)
	}
	if verr != nil {
		p.setErrors(dispatchErrors(verr))
		return s.render(w, r, http.StatusUnprocessableEntity, "agent_dispatch_alert", p)
	}
	d.Already = already
	return s.render(w, r, http.StatusConflict, "agent_dispatch_alert", p)
}

// dispatchErrors words the alert service's field errors in the console's
// catalogue ("alert.err.x" → "dispatch.err.x"): the citizen's app words
// the same keys for the citizen.
func dispatchErrors(v *guichet.ValidationError) *guichet.ValidationError {
	out := &guichet.ValidationError{}
	for _, f := range v.Fields {
		out.Add(f.Field, "dispatch.err."+strings.TrimPrefix(strings.TrimPrefix(f.Key, "alert.err."), "err."), f.Args...)
	}
	return out
}

// dispatchForm reads a console form; a value that is not text is refused
// beside its field.
func dispatchForm(r *http.Request) error {
	bad, err := readForm(r)
	if err != nil {
		return fmt.Errorf("dispatch: %w: %w", guichet.ErrInvalid, err)
	}
	return bad
}

func (s *Server) dispatchAck(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if err := dispatchForm(r); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	if err := s.d.Alerts.Acknowledge(r.Context(), pr, ref); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	return redirect(w, r, "/agent/dispatch/"+ref+"?fait=ack")
}

func (s *Server) dispatchAssign(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if err := dispatchForm(r); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	unit := r.PostForm.Get("unit")
	u, known := s.d.Fleet.Unit(unit)
	if !known {
		v := &guichet.ValidationError{}
		v.Add("unit", "alert.err.unit")
		return s.dispatchRefused(w, r, pr, ref, v)
	}
	if err := s.d.Alerts.AssignUnit(r.Context(), pr, ref, unit); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			// Not acknowledged yet, or closed meanwhile.
			v := &guichet.ValidationError{}
			v.Add("unit", "alert.err.assign_state")
			return s.dispatchRefused(w, r, pr, ref, v)
		}
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	// The unit is on its way: it is no longer proposed.
	u.Available = false
	s.d.Fleet.Set(u)
	return redirect(w, r, "/agent/dispatch/"+ref+"?fait=assign")
}

func (s *Server) dispatchChat(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if err := dispatchForm(r); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	m := alert.Message{Text: strings.TrimSpace(r.PostForm.Get("text")), Quick: r.PostForm.Get("quick")}
	if err := s.d.Alerts.Chat(r.Context(), pr, ref, m); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	return redirect(w, r, "/agent/dispatch/"+ref+"?fait=message#chat")
}

func (s *Server) dispatchClose(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	ref := r.PathValue("ref")
	if err := dispatchForm(r); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	if err := s.d.Alerts.Close(r.Context(), pr, ref, alert.Outcome(r.PostForm.Get("outcome"))); err != nil {
		return s.dispatchRefused(w, r, pr, ref, err)
	}
	return redirect(w, r, "/agent/dispatch/"+ref+"?fait=close")
}

// dispatchExport serves the alert as EIDO-shaped JSON (see alert.Export),
// recorded on the case as an access.
func (s *Server) dispatchExport(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	x, err := s.d.Alerts.Export(r.Context(), pr, r.PathValue("ref"))
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="`+x.Incidents[0].TrackingID+`.json"`)
	_, _ = w.Write(b)
	return nil
}

// locatedCache remembers where each alert's events go (its reference and
// unit, which never change), so that the live feed and the consoles
// replaying do not read the database for every event; consoles that miss
// on the same alert at once wait for one read. It is bounded: past max
// entries it starts afresh.
type locatedCache struct {
	mu       sync.RWMutex
	m        map[string]located
	inflight map[string]*locateCall
}

type located struct{ ref, unit string }

// locateCall is a read of the store under way for one case.
type locateCall struct {
	done chan struct{}
	l    located
	err  error
}

const locatedMax = 50_000

// alertRoute returns the reference and unit of the alert of case caseID.
func (s *Server) alertRoute(ctx context.Context, caseID string) (located, error) {
	c := &s.located
	c.mu.RLock()
	l, ok := c.m[caseID]
	c.mu.RUnlock()
	if ok {
		return l, nil
	}
	c.mu.Lock()
	if l, ok := c.m[caseID]; ok {
		c.mu.Unlock()
		return l, nil
	}
	if call, ok := c.inflight[caseID]; ok {
		c.mu.Unlock()
		select {
		case <-call.done:
			return call.l, call.err
		case <-ctx.Done():
			return located{}, ctx.Err()
		}
	}
	call := &locateCall{done: make(chan struct{})}
	if c.inflight == nil {
		c.inflight = make(map[string]*locateCall)
	}
	c.inflight[caseID] = call
	c.mu.Unlock()

	ref, unit, err := s.d.Alerts.Locate(ctx, caseID)
	call.l, call.err = located{ref, unit}, err
	c.mu.Lock()
	delete(c.inflight, caseID)
	if err == nil {
		if c.m == nil || len(c.m) >= locatedMax {
			c.m = make(map[string]located)
		}
		c.m[caseID] = call.l
	}
	c.mu.Unlock()
	close(call.done)
	return call.l, err
}

// dispatchEvent is the data of one event of the stream.
type dispatchEvent struct {
	Ref  string `json:"ref"`
	Type string `json:"type"`
}

// dispatchEvents streams, as Server-Sent Events, the events of the alerts
// of the dispatcher's area: each "alert" event has the outbox ID as its
// id, so that a client reconnecting with Last-Event-ID (or ?after= on its
// first connection, the position of the page it shows) gets every event
// it missed, once. Events come from the server's live feed (see
// agent_dispatch_feed.go), or from the console's own replay while it is
// behind the feed. Every event's alert is checked against the principal's
// area before it is written; the session is checked again at every
// heartbeat.
func (s *Server) dispatchEvents(w http.ResponseWriter, r *http.Request, pr account.Principal) error {
	if !alert.IsDispatcher(pr) {
		return fmt.Errorf("dispatch events: %w", guichet.ErrForbidden)
	}
	if s.d.Events == nil {
		return errNotFound
	}
	after := s.d.Events.Head()
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("dispatch events: position %q: %w", v, guichet.ErrInvalid)
		}
		after = n
		break
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's read and write timeouts (each write
	// sets its own deadline, streamStall).
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(streamStall))
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 3000\n: live\n\n"); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}
	run, hold := s.joinFeed()
	defer s.leaveFeed(run)
	beat := time.NewTicker(s.cfg.Heartbeat)
	defer beat.Stop()
	c := &consoleStream{s: s, w: w, rc: rc, r: r, pr: pr, cursor: after, beat: beat, hold: hold}
	c.stream(run)
	return nil
}
