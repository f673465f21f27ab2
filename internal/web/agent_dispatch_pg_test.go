package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/postgres/pgtest"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// pgNode is one node of the service: its own store connection, event hub
// (woken by PostgreSQL's LISTEN/NOTIFY) and web server, on a database
// shared with the other node.
type pgNode struct {
	alerts *alert.Service
	hub    *hub.Hub
	srv    *httptest.Server
}

func newPGNode(t *testing.T, url string, auth tokenAuth, areas alert.AreaFinder, v *vault.Vault) *pgNode {
	t.Helper()
	st, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	n := &pgNode{hub: hub.New(st, hub.Config{Poll: time.Second})}
	if err := n.hub.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	st.SetPublisher(n.hub.Publish)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = n.hub.Run(ctx); done <- struct{}{} }()
	go func() { _ = st.Listen(ctx, n.hub.Wake); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	clock := guichet.SystemClock{}
	ids := uuid7.New(clock.Now, rand.Reader)
	n.alerts = alert.New(alert.Deps{Store: st, Vault: v, Clock: clock, Rand: rand.Reader, IDs: ids, Areas: areas})
	w, err := New(Config{PublicURL: "https://guichet.test", CookieKey: bytes.Repeat([]byte{3}, 32),
		RateLimit: Limit{Rate: -1}, CodeRateLimit: Limit{Rate: -1}, Heartbeat: 200 * time.Millisecond},
		Deps{Complaints: complaint.New(complaint.DefaultConfig(), complaint.Deps{Store: st, Vault: v, Clock: clock, Rand: rand.Reader, IDs: ids}),
			Agents: auth, Alerts: n.alerts, Events: n.hub, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	n.srv = httptest.NewServer(w.Handler())
	t.Cleanup(n.srv.Close)
	t.Cleanup(n.srv.CloseClientConnections)
	return n
}

// TestDispatchEventsAcrossNodes: on PostgreSQL, a console connected to node
// B hears of alerts raised on node A; it disconnects, more are raised on A,
// and reconnecting to node A with the Last-Event-ID node B gave replays
// exactly what was missed — none lost, none twice, none of another area.
func TestDispatchEventsAcrossNodes(t *testing.T) {
	url := pgtest.Database(t, "guichet_dispatch")
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(t.Context(), url) // migrates; seeds the units
	if err != nil {
		t.Fatal(err)
	}
	ids := uuid7.New(nil, nil)
	north := station.Unit{ID: ids.New(), Code: "CSP-NORD", Name: "Nord", Kind: station.Commissariat, Lat: 48.85, Lon: 2.35}
	south := station.Unit{ID: ids.New(), Code: "CSP-SUD", Name: "Sud", Kind: station.Commissariat, Lat: 45.76, Lon: 4.85}
	for _, u := range []station.Unit{north, south} {
		if err := st.CreateUnit(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	_ = st.Close()
	auth := tokenAuth{"tok-n": account.Principal{Pseudonym: "DN01", Role: account.RoleDispatcher, UnitID: north.ID, SessionID: "s"}}
	areas := northSouth{north.ID, south.ID}
	a := newPGNode(t, url, auth, areas, v)
	b := newPGNode(t, url, auth, areas, v)

	e := &dispatchEnv{deskEnv: &deskEnv{t: t, srv: b.srv, auth: auth}, alerts: a.alerts}
	ctx, cancel := context.WithCancel(t.Context())
	ch, _ := e.stream(ctx, "tok-n", "?after="+strconv.FormatInt(b.hub.Head(), 10))
	e.raise(lyonLat, lyonLon) // on A, another area
	n1 := e.raise(paris, 2.3484)
	seen := map[string]bool{}
	var last string
	for range 2 { // submitted, position
		ev := next(t, ch)
		var d dispatchEvent
		_ = json.Unmarshal([]byte(ev.data), &d)
		if d.Ref != n1 || seen[ev.id] {
			t.Fatalf("node B sent %+v, want events of %s once", ev, n1)
		}
		seen[ev.id], last = true, ev.id
	}
	cancel()
	for range ch {
	}

	n2 := e.raise(paris, 2.3500)
	e.raise(lyonLat, lyonLon)
	n3 := e.raise(paris, 2.3510)

	// Reconnect to node A this time.
	e.srv = a.srv
	ctx2, cancel2 := context.WithCancel(t.Context())
	defer cancel2()
	ch2, _ := e.stream(ctx2, "tok-n", "", "Last-Event-ID", last)
	var got []string
	prev, _ := strconv.ParseInt(last, 10, 64)
	for range 4 {
		ev := next(t, ch2)
		var d dispatchEvent
		_ = json.Unmarshal([]byte(ev.data), &d)
		id, _ := strconv.ParseInt(ev.id, 10, 64)
		if seen[ev.id] || id <= prev {
			t.Fatalf("replayed id %s after %d (seen: %v)", ev.id, prev, seen[ev.id])
		}
		seen[ev.id], prev = true, id
		got = append(got, d.Ref+" "+d.Type)
	}
	want := []string{n2 + " " + alert.EventRaised, n2 + " " + alert.EventPosition, n3 + " " + alert.EventRaised, n3 + " " + alert.EventPosition}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("replayed %v, want %v", got, want)
	}
	select {
	case ev := <-ch2:
		t.Fatalf("more than was missed: %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}
}
