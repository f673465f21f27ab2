package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/casework/caseworktest"
	"github.com/guichet/guichet/internal/hub"
)

// northSouth routes alerts north of latitude 46 to unit north, the others
// to unit south.
type northSouth struct{ north, south string }

func (a northSouth) AreaOf(_ context.Context, lat, _ float64) (string, error) {
	if lat >= 46 {
		return a.north, nil
	}
	return a.south, nil
}

// revocable authenticates as tokenAuth does, minus the sessions revoked
// meanwhile (safe for concurrent use).
type revocable struct {
	tokenAuth
	revoked sync.Map
}

func (a *revocable) Authenticate(ctx context.Context, token string) (account.Principal, error) {
	if _, gone := a.revoked.Load(token); gone {
		return account.Principal{}, guichet.ErrUnauthenticated
	}
	return a.tokenAuth.Authenticate(ctx, token)
}

// countLocates counts the reads of an alert by its case ID: the event
// stream's only store read.
type countLocates struct {
	alert.Store
	n *atomic.Int64
}

func (c countLocates) AlertByID(ctx context.Context, caseID string) (alert.Alert, error) {
	c.n.Add(1)
	return c.Store.AlertByID(ctx, caseID)
}

// dispatchEnv is the console over SQLite with a live event hub.
type dispatchEnv struct {
	*deskEnv
	alerts *alert.Service
	// locates counts the store reads of an alert by case ID.
	locates atomic.Int64
	auth    *revocable
	hub     *hub.Hub
	fleet   *alert.Fleet
	web     *Server
	// north is a dispatcher of the north (Paris), south one of the south.
	north, north2, south, analyst, supervisor string
	keyN                                      int
}

func newDispatchEnv(t *testing.T) *dispatchEnv {
	t.Helper()
	cw := caseworktest.New(t)
	e := &dispatchEnv{deskEnv: &deskEnv{t: t, cw: cw, auth: tokenAuth{}}}
	e.auth = &revocable{tokenAuth: e.deskEnv.auth}
	unitN, unitS := cw.Units[0].ID, cw.Units[1].ID
	e.alerts = alert.New(alert.Deps{Store: countLocates{Store: cw.Store, n: &e.locates}, Vault: cw.Vault, Clock: cw.Clock, Rand: rand.Reader, IDs: cw.IDs,
		Areas: northSouth{unitN, unitS}})
	e.hub = hub.New(cw.Store, hub.Config{Poll: 50 * time.Millisecond})
	if err := e.hub.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	cw.Store.SetPublisher(e.hub.Publish)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = e.hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.fleet = alert.NewFleet(0)
	e.fleet.Set(alert.UnitPosition{ID: "TV-75-01", Lat: 48.8540, Lon: 2.3500, Available: true})
	e.fleet.Set(alert.UnitPosition{ID: "TV-75-02", Lat: 48.8600, Lon: 2.3400, Available: true})
	e.fleet.Set(alert.UnitPosition{ID: "TV-75-03", Lat: 48.8530, Lon: 2.3490}) // busy
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}, Heartbeat: 100 * time.Millisecond, MapLink: OpenStreetMapLink},
		Deps{Complaints: cw.Complaints, Agents: e.auth, Cases: cw.Cases, Alerts: e.alerts, Events: e.hub, Fleet: e.fleet,
			Clock: cw.Clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e.web = w
	e.srv = httptest.NewServer(w.Handler())
	t.Cleanup(e.srv.Close)
	// A stream outlives its test's last request: close them first.
	t.Cleanup(e.srv.CloseClientConnections)
	e.north = e.as(cw.Principal(cw.Units[0], account.RoleDispatcher, "DN01"))
	e.north2 = e.as(cw.Principal(cw.Units[0], account.RoleDispatcher, "DN02"))
	e.south = e.as(cw.Principal(cw.Units[1], account.RoleDispatcher, "DS01"))
	e.analyst = e.as(cw.Principal(cw.Units[0], account.RoleAnalyst, "AN01"))
	sup := cw.Principal(cw.Units[0], account.RoleSupervisor, "SU01")
	e.supervisor = e.as(sup)
	return e
}

// raise raises an alert at lat, lon as the citizen's phone does.
func (e *dispatchEnv) raise(lat, lon float64) string {
	e.t.Helper()
	e.keyN++
	r, err := e.alerts.Raise(e.t.Context(), alert.RaiseInput{
		Type: alert.TypeDomesticViolence, Key: fmt.Sprintf("key-%04d-0123456789abcdefghij", e.keyN),
		Position: &alert.Position{Lat: lat, Lon: lon, Accuracy: 35, Battery: 0.4},
		Profile:  alert.Profile{Name: "Léa Martin", Phone: "+33612345678", Deaf: true, MedicalNotes: "asthme"},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Ref
}

const paris, lyonLat, lyonLon = 48.8534, 45.7600, 4.8500

func TestDispatchConsole(t *testing.T) {
	e := newDispatchEnv(t)
	n := e.raise(paris, 2.3484)
	s := e.raise(lyonLat, lyonLon)

	r, body := e.do("GET", "/agent/dispatch", e.north, nil)
	if r.StatusCode != 200 || !strings.Contains(body, n) || strings.Contains(body, s) {
		t.Fatalf("north's list: %d, has %s: %v, has %s: %v", r.StatusCode, n, strings.Contains(body, n), s, strings.Contains(body, s))
	}
	for _, want := range []string{"<caption", "Violences conjugales", "48.85340, 2.34840", "35", "data-dispatch-events=\"/agent/dispatch/events?after="} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	// Another area's alert is not found; an analyst has no console.
	if r, _ := e.do("GET", "/agent/dispatch/"+s, e.north, nil); r.StatusCode != 404 {
		t.Errorf("north opens south's alert: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+s+"/prendre", e.north, url.Values{}); r.StatusCode != 404 {
		t.Errorf("north takes south's alert: %d", r.StatusCode)
	}
	if r, _ := e.do("GET", "/agent/dispatch/"+s+"/export.json", e.north, nil); r.StatusCode != 404 {
		t.Errorf("north exports south's alert: %d", r.StatusCode)
	}
	if r, _ := e.do("GET", "/agent/dispatch", e.analyst, nil); r.StatusCode != 403 {
		t.Errorf("analyst's console: %d", r.StatusCode)
	}
	if r, _ := e.do("GET", "/agent/dispatch/"+n, e.analyst, nil); r.StatusCode != 404 {
		t.Errorf("analyst opens an alert: %d", r.StatusCode)
	}

	// The alert's page: who, where, the map, the nearest available units.
	r, body = e.do("GET", "/agent/dispatch/"+n, e.north, nil)
	if r.StatusCode != 200 {
		t.Fatalf("alert page: %d", r.StatusCode)
	}
	for _, want := range []string{"Léa Martin", "33612345678", "sourde", "asthme", "<svg class=\"dispatch-map\"", "<title id=\"map-title\">",
		"TV-75-01", "TV-75-02", "https://www.openstreetmap.org/?mlat=48.85340&amp;mlon=2.34840", "Prendre l’alerte"} {
		if !strings.Contains(body, want) {
			t.Errorf("alert page lacks %q", want)
		}
	}
	if _, en := e.do("GET", "/agent/dispatch/"+n, e.north, nil, "Accept-Language", "en"); !strings.Contains(en, "Take the alert") || !strings.Contains(en, "Nearest available units") {
		t.Error("the English page is not in English")
	}
	if i := strings.Index(body, `id="units-caption"`); i < 0 || strings.Contains(body[i:strings.Index(body[i:], "</table>")+i], "TV-75-03") {
		t.Error("the busy unit is proposed, or no units table")
	}

	// Two dispatchers take it at once: exactly one wins, the other is
	// told who did.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	bodies := make([]string, 2)
	for i, tok := range []string{e.north, e.north2} {
		wg.Go(func() {
			r, b := e.do("POST", "/agent/dispatch/"+n+"/prendre", tok, url.Values{})
			codes[i], bodies[i] = r.StatusCode, b
		})
	}
	wg.Wait()
	won, lost := 0, 1
	if codes[0] != http.StatusSeeOther {
		won, lost = 1, 0
	}
	winner := []string{"DN01", "DN02"}[won]
	if codes[won] != http.StatusSeeOther || codes[lost] != http.StatusConflict || !strings.Contains(bodies[lost], "déjà été prise par agent n° "+winner) {
		t.Fatalf("race: codes %v; loser's page has the winner %s: %v", codes, winner, strings.Contains(bodies[lost], winner))
	}
	tok := []string{e.north, e.north2}[won]

	// Chat: an empty message is refused beside its field; a message and a
	// quick reply are sent.
	r, body = e.do("POST", "/agent/dispatch/"+n+"/message", tok, url.Values{"text": {"  "}})
	if r.StatusCode != 422 || !strings.Contains(body, "error-summary") || !strings.Contains(body, "Écrivez un message") {
		t.Errorf("empty message: %d", r.StatusCode)
	}
	long := strings.Repeat("é", alert.MaxMessageLen+1)
	r, body = e.do("POST", "/agent/dispatch/"+n+"/message", tok, url.Values{"text": {long}})
	if r.StatusCode != 422 || !strings.Contains(body, long) {
		t.Errorf("too long a message is not kept: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/message", tok, url.Values{"text": {"Êtes-vous en sécurité ?"}}); r.StatusCode != 303 {
		t.Errorf("message: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/message", tok, url.Values{"quick": {alert.QuickOnTheirWay}}); r.StatusCode != 303 {
		t.Errorf("quick reply: %d", r.StatusCode)
	}
	// Assign: an unknown unit is refused; a known one is sent and no
	// longer proposed.
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/envoyer", tok, url.Values{"unit": {"TV-99-99"}}); r.StatusCode != 422 {
		t.Errorf("unknown unit: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/envoyer", tok, url.Values{"unit": {"TV-75-01"}}); r.StatusCode != 303 {
		t.Errorf("assign: %d", r.StatusCode)
	}
	if u, _ := e.fleet.Unit("TV-75-01"); u.Available {
		t.Error("the unit sent is still available")
	}
	_, body = e.do("GET", "/agent/dispatch/"+n+"?fait=assign", tok, nil)
	for _, want := range []string{"Êtes-vous en sécurité ?", "Une patrouille arrive", "Équipage en route", "L’équipage est envoyé."} {
		if !strings.Contains(body, want) {
			t.Errorf("page after assignment lacks %q", want)
		}
	}

	// The export: EIDO-shaped, recorded as an access.
	r, body = e.do("GET", "/agent/dispatch/"+n+"/export.json", tok, nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("export: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var x alert.Export
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		t.Fatal(err)
	}
	inc := x.Incidents[0]
	if inc.TrackingID != n || inc.Status != "Dispatched" || len(x.Locations) != 1 || x.Locations[0].Circle.Radius != 35 ||
		x.Persons[0].Name != "Léa Martin" || !x.Persons[0].Deaf || len(x.Notes) != 2 || x.EmergencyResources[0].Unit != "TV-75-01" ||
		inc.AcknowledgedBy != "agent:"+winner || len(inc.Locations) != 1 || inc.Locations[0].Ref != "loc-1" {
		t.Errorf("export: %s", body)
	}
	a, err := e.alerts.Get(t.Context(), account.Principal{Role: account.RoleDispatcher, UnitID: e.cw.Units[0].ID, Pseudonym: "X"}, n)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.cw.Store.CaseEvents(t.Context(), a.Case.ID)
	if err != nil {
		t.Fatal(err)
	}
	accessed := 0
	for _, ev := range evs {
		if ev.Type == casefile.EventAccessed && ev.Data["purpose"] == alert.PurposeExport && ev.Data["agent"] == winner {
			accessed++
		}
	}
	if accessed != 1 {
		t.Errorf("export recorded %d times", accessed)
	}

	// Close as a false alert: it leaves the list.
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/cloturer", tok, url.Values{}); r.StatusCode != 422 {
		t.Errorf("close without outcome: %d", r.StatusCode)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+n+"/cloturer", tok, url.Values{"outcome": {string(alert.OutcomeFalseAlert)}}); r.StatusCode != 303 {
		t.Errorf("close: %d", r.StatusCode)
	}
	_, body = e.do("GET", "/agent/dispatch", tok, nil)
	if strings.Contains(body, n) {
		t.Error("a closed alert is still listed")
	}
	_, body = e.do("GET", "/agent/dispatch/"+n, tok, nil)
	if !strings.Contains(body, "Fausse alerte") || strings.Contains(body, `action="/agent/dispatch/`+n+`/message"`) {
		t.Error("closed alert's page: no outcome, or still a chat form")
	}
}

// TestDispatchUrgentFirst: an escalated alert still not taken is listed
// first, as urgent, to dispatchers and to the supervisor.
func TestDispatchUrgentFirst(t *testing.T) {
	e := newDispatchEnv(t)
	first := e.raise(paris, 2.3484)
	e.cw.Clock.Add(40 * time.Second)
	second := e.raise(paris, 2.3500)
	if _, err := e.alerts.Escalate(t.Context(), e.cw.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.do("POST", "/agent/dispatch/"+second+"/prendre", e.north, url.Values{}); r.StatusCode != 303 {
		t.Fatalf("take second: %d", r.StatusCode)
	}
	e.cw.Clock.Add(time.Second)
	third := e.raise(paris, 2.3510)
	e.cw.Clock.Add(40 * time.Second)
	if _, err := e.alerts.Escalate(t.Context(), e.cw.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{e.north, e.supervisor} {
		_, body := e.do("GET", "/agent/dispatch", tok, nil)
		i1, i2, i3 := strings.Index(body, first), strings.Index(body, second), strings.Index(body, third)
		if i1 < 0 || i2 < 0 || i3 < 0 || !(i1 < i3 && i3 < i2) {
			t.Errorf("order %d %d %d: want first, third (both urgent, oldest first), then second (taken)", i1, i3, i2)
		}
		if c := strings.Count(body, `class="tag tag--urgent"`); c != 2 {
			t.Errorf("%d urgent tags, want 2", c)
		}
	}
}

// sseEvent is one event read from a stream.
type sseEvent struct{ id, event, data string }

// stream opens the event stream with headers and sends what it reads on
// the returned channel until the connection ends.
func (e *dispatchEnv) stream(ctx context.Context, token, query string, headers ...string) (<-chan sseEvent, *http.Response) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/agent/dispatch/events"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: agentCookie, Value: token})
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		defer r.Body.Close()
		sc := bufio.NewScanner(r.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.event != "" {
					out <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return out, r
}

// next reads events until one about ref of type typ, failing on any
// event about another ref in skip.
func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return sseEvent{}
}

func TestDispatchEvents(t *testing.T) {
	e := newDispatchEnv(t)
	if r, _ := e.do("GET", "/agent/dispatch/events", e.analyst, nil); r.StatusCode != 403 {
		t.Errorf("analyst's stream: %d", r.StatusCode)
	}
	if r, _ := e.do("GET", "/agent/dispatch/events?after=x", e.north, nil); r.StatusCode != 400 {
		t.Errorf("bad position: %d", r.StatusCode)
	}
	// The page gives the stream's position; the stream starts after it.
	_, page := e.do("GET", "/agent/dispatch", e.north, nil)
	q := regexp1(t, `data-dispatch-events="/agent/dispatch/events(\?after=\d+)"`, page)

	ctx, cancel := context.WithCancel(t.Context())
	ch, r := e.stream(ctx, e.north, q)
	if ct := r.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	s1 := e.raise(lyonLat, lyonLon) // another area: never seen
	n1 := e.raise(paris, 2.3484)
	var got []sseEvent
	seen := map[string]bool{}
	for len(got) < 2 { // submitted and the first position
		ev := next(t, ch)
		var d dispatchEvent
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil || ev.event != "alert" || ev.id == "" {
			t.Fatalf("event %+v: %v", ev, err)
		}
		if d.Ref != n1 {
			t.Fatalf("event about %s, want only %s (not %s)", d.Ref, n1, s1)
		}
		if seen[ev.id] {
			t.Fatalf("id %s twice", ev.id)
		}
		seen[ev.id] = true
		got = append(got, ev)
	}
	last := got[len(got)-1].id
	cancel() // the console loses its connection
	for range ch {
	}

	// Meanwhile: more in both areas.
	n2 := e.raise(paris, 2.3500)
	if err := e.alerts.Acknowledge(t.Context(), account.Principal{Role: account.RoleDispatcher, UnitID: e.cw.Units[0].ID, Pseudonym: "DN02"}, n1); err != nil {
		t.Fatal(err)
	}
	e.raise(lyonLat, lyonLon)

	// Reconnecting with Last-Event-ID replays exactly what was missed, in
	// order; a heartbeat keeps the stream alive meanwhile.
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	ch2, _ := e.stream(ctx2, e.north, q, "Last-Event-ID", last)
	want := []struct{ ref, typ string }{{n2, alert.EventRaised}, {n2, alert.EventPosition}, {n1, alert.EventAcknowledged}}
	prev := last
	for _, w := range want {
		ev := next(t, ch2)
		var d dispatchEvent
		_ = json.Unmarshal([]byte(ev.data), &d)
		if d.Ref != w.ref || d.Type != w.typ || seen[ev.id] || len(ev.id) < len(prev) || (len(ev.id) == len(prev) && ev.id <= prev) {
			t.Fatalf("replayed %+v (%+v), want %s %s after id %s", ev, d, w.ref, w.typ, prev)
		}
		seen[ev.id], prev = true, ev.id
	}
	select {
	case ev := <-ch2:
		t.Fatalf("more than was missed: %+v", ev)
	case <-time.After(300 * time.Millisecond): // heartbeats, nothing else
	}
	// Signed out: the stream ends at the next heartbeat.
	e.auth.revoked.Store(e.north, true)
	select {
	case _, ok := <-ch2:
		if ok {
			t.Fatal("an event after sign-out")
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the stream outlived the session")
	}
}

// TestDispatchEventsOutliveTimeouts: a stream is not cut by the server's
// read and write timeouts (guichet serves with two minutes of each).
func TestDispatchEventsOutliveTimeouts(t *testing.T) {
	e := newDispatchEnv(t)
	srv := httptest.NewUnstartedServer(e.web.Handler())
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	t.Cleanup(srv.CloseClientConnections)
	e.srv = srv
	ch, _ := e.stream(t.Context(), e.north, "")
	time.Sleep(800 * time.Millisecond)
	ref := e.raise(paris, 2.3484)
	ev := next(t, ch)
	if !strings.Contains(ev.data, ref) {
		t.Fatalf("event %+v, want %s", ev, ref)
	}
}
