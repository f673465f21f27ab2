package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/web"
)

// benchAlert measures the dispatch console's live path: consoles hold
// Server-Sent Events connections to /agent/dispatch/events on loopback
// while alerts are raised at a steady rate through alert.Service.Raise (the
// service the PWA's POST calls: validate, seal, one transaction, the
// outbox, the hub). The latency of an alert is from Raise returning — the
// POST acknowledged — to its "submitted" event read by a console; every
// console must read every alert (lost ones are counted).
//
// Against it, in the same run and with the same consoles, rate and event
// format, a bare net/http SSE hub with no storage: "raising" is handing
// the event to every connection's channel. The bare hub's latency is the
// floor of SSE fan-out on this machine; the goal is p99 ≤ 2× it.
//
// Also: the nearest available unit among --units units (Fleet.Nearest),
// and the memory each open SSE connection holds, server and client side
// together (both live in this process), from the heap and stacks in use
// before and after the consoles connect.
//
// Sessions are not checked against the account store here: a fixed
// principal stands for the dispatcher (the console checks the session
// again at each heartbeat, 15 s, off the event path).
func benchAlert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench alert", "Measure alert → dispatch console latency over SSE against a bare SSE hub.", stderr)
	database := fs.String("database", "", "database `url` (default: SQLite in a temporary directory)")
	consoles := fs.Int("consoles", 1000, "console SSE connections held open")
	rate := fs.Int("rate", 200, "alerts raised per second")
	dur := fs.Duration("duration", 30*time.Second, "how long to raise alerts")
	units := fs.Int("units", 5000, "fleet size for the nearest-unit figure")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of guichet's side (consoles open, alerts raised, settling) to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *consoles < 1 || *rate < 1 || *dur <= 0 || *units < 1 {
		return usageError{"bench alert: --consoles, --rate, --units must be positive, --duration too"}
	}
	n := int(float64(*rate) * dur.Seconds())
	fmt.Fprintf(stdout, "bench alert: %d consoles, %d alerts/s for %s (%d alerts), fleet of %d units\n", *consoles, *rate, *dur, n, *units)

	nearestFigure(stdout, *units)

	bare, err := runBareSSE(ctx, *consoles, *rate, n)
	if err != nil {
		return fmt.Errorf("bare hub: %w", err)
	}
	bare.print(stdout, "bare net/http SSE hub (no storage)")

	a, cleanup, err := benchApp(ctx, *database)
	if err != nil {
		return err
	}
	defer cleanup()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	full, err := runGuichetSSE(ctx, a, *consoles, *rate, n)
	if err != nil {
		return fmt.Errorf("guichet: %w", err)
	}
	full.print(stdout, "guichet ("+a.dialect()+": Raise → hub → SSE)")
	if bare.p99 > 0 {
		verdict := "goal met"
		if full.p99 > 2*bare.p99 {
			verdict = "goal NOT met"
		}
		fmt.Fprintf(stdout, "  ratio guichet/bare, acknowledged → console: p50 ×%.2f, p99 ×%.2f (goal p99 ≤ ×2: %s)\n",
			float64(full.p50)/float64(max(bare.p50, 1)), float64(full.p99)/float64(bare.p99), verdict)
		fmt.Fprintf(stdout, "  ratio guichet/bare, raise begun → console (storage included): p50 ×%.2f, p99 ×%.2f\n",
			float64(full.s50)/float64(max(bare.s50, 1)), float64(full.s99)/float64(max(bare.s99, 1)))
	}
	return nil
}

// nearestFigure times Fleet.Nearest (k = 1 and 5) among units spread over
// metropolitan France, two thirds available.
func nearestFigure(stdout io.Writer, units int) {
	r := mrand.New(mrand.NewPCG(1, 2))
	f := alert.NewFleet(0)
	for i := range units {
		f.Set(alert.UnitPosition{ID: fmt.Sprintf("U%05d", i), Lat: 42.5 + r.Float64()*8.5, Lon: -4.5 + r.Float64()*12.5, Available: i%3 != 0})
	}
	for _, k := range []int{1, 5} {
		const q = 20000
		lat := make([]time.Duration, q)
		for i := range q {
			la, lo := 42.5+r.Float64()*8.5, -4.5+r.Float64()*12.5
			t0 := time.Now()
			if len(f.Nearest(la, lo, k)) != k {
				fmt.Fprintf(stdout, "  nearest: fewer than %d units found\n", k)
			}
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		fmt.Fprintf(stdout, "  nearest %d available among %d units: p50 %.1f µs, p99 %.1f µs (%d queries)\n",
			k, units, us(lat[q/2]), us(lat[q*99/100]), q)
	}
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// sseResult is one side's figures.
type sseResult struct {
	consoles, alerts   int
	raised             int // alerts acknowledged to the raiser
	achieved           float64
	p50, p99, maxLat   time.Duration
	samples, lost      int
	early              int // read before Raise returned (counted as 0)
	bytesPerConn       float64
	raiseP50, raiseP99 time.Duration
	s50, s99           time.Duration // from the start of the raise
}

func (r sseResult) print(w io.Writer, name string) {
	fmt.Fprintf(w, "  %s:\n", name)
	fmt.Fprintf(w, "    %d alerts raised (%.0f/s achieved)", r.raised, r.achieved)
	if r.raiseP50 > 0 {
		fmt.Fprintf(w, ", Raise p50 %s p99 %s", r.raiseP50.Round(time.Microsecond), r.raiseP99.Round(time.Microsecond))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "    acknowledged → console: p50 %s, p99 %s, max %s over %d deliveries (%d read before the acknowledgement, as 0)\n",
		r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.maxLat.Round(time.Microsecond), r.samples, r.early)
	fmt.Fprintf(w, "    raise begun → console: p50 %s, p99 %s\n", r.s50.Round(time.Microsecond), r.s99.Round(time.Microsecond))
	fmt.Fprintf(w, "    lost: %d of %d expected (%d consoles × %d alerts), counting as lost what had not arrived 15 s after the last raise\n", r.lost, r.consoles*r.raised, r.consoles, r.raised)
	fmt.Fprintf(w, "    memory per open SSE connection (server + client): %.1f KiB\n", r.bytesPerConn/1024)
}

// sseLoad is the load both sides share: consoles reading an SSE stream,
// alerts named by reference, timed.
type sseLoad struct {
	alerts int
	mu     sync.Mutex
	index  map[string]int // ref → alert number
	acked  []int64        // UnixNano when the raise was acknowledged; 0: not (yet)
	begun  []int64        // UnixNano when the raise began
}

func newLoad(n int) *sseLoad {
	return &sseLoad{alerts: n, index: make(map[string]int, n), acked: make([]int64, n), begun: make([]int64, n)}
}

func (l *sseLoad) ack(i int, ref string, begun, at time.Time) {
	l.mu.Lock()
	l.index[ref] = i
	l.begun[i] = begun.UnixNano()
	l.acked[i] = at.UnixNano()
	l.mu.Unlock()
}

// console is one SSE reader's receipts.
type console struct {
	got     []int64 // by alert number: UnixNano read; 0 not read
	pending []struct {
		ref string
		at  int64
	}
	count atomic.Int64
}

// read reads an SSE stream until it ends, noting each "submitted" event.
func (c *console) read(l *sseLoad, body io.Reader) {
	br := bufio.NewReaderSize(body, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		rest, ok := strings.CutPrefix(string(line), `data: {"ref":"`)
		if !ok {
			continue
		}
		ref, typ, _ := strings.Cut(rest, `","type":"`)
		if !strings.HasPrefix(typ, alert.EventRaised+`"`) {
			continue
		}
		now := time.Now().UnixNano()
		l.mu.Lock()
		i, known := l.index[ref]
		l.mu.Unlock()
		if known {
			if c.got[i] == 0 {
				c.got[i] = now
			}
		} else {
			c.pending = append(c.pending, struct {
				ref string
				at  int64
			}{ref, now})
		}
		c.count.Add(1)
	}
}

// openConsoles connects n SSE readers to url and returns them once all
// answered, with the memory they hold.
func openConsoles(ctx context.Context, n int, url string, l *sseLoad, client *http.Client) ([]*console, float64, error) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	cs := make([]*console, n)
	for i := range n {
		c := &console{got: make([]int64, l.alerts)}
		cs[i] = c
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Cookie", "agent=bench")
		resp, err := client.Do(req)
		if err != nil {
			return nil, 0, fmt.Errorf("console %d: %w", i, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, 0, fmt.Errorf("console %d: %s", i, resp.Status)
		}
		go func() { defer resp.Body.Close(); c.read(l, resp.Body) }()
	}
	time.Sleep(500 * time.Millisecond) // every stream subscribed
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	used := float64(after.HeapInuse+after.StackInuse) - float64(before.HeapInuse+before.StackInuse)
	// The per-console receipt arrays are the bench's, not the connection's.
	used -= float64(n * l.alerts * 8)
	return cs, used / float64(n), nil
}

// raiseAll raises n alerts at rate per second with a few workers; raise
// returns the alert's reference.
func raiseAll(ctx context.Context, l *sseLoad, n, rate int, raise func(i int) (string, error)) (int, float64, []time.Duration, error) {
	jobs := make(chan int, n)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		took     []time.Duration
		raised   atomic.Int64
	)
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				t0 := time.Now()
				ref, err := raise(i)
				at := time.Now()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				l.ack(i, ref, t0, at)
				raised.Add(1)
				mu.Lock()
				took = append(took, at.Sub(t0))
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range n {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				close(jobs)
				wg.Wait()
				return int(raised.Load()), 0, took, ctx.Err()
			}
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	elapsed := time.Since(start)
	return int(raised.Load()), float64(raised.Load()) / elapsed.Seconds(), took, firstErr
}

// settle waits until every console read every raised alert, or 15 s.
func settle(cs []*console, raised int) {
	end := time.Now().Add(15 * time.Second)
	for time.Now().Before(end) {
		all := true
		for _, c := range cs {
			if c.count.Load() < int64(raised) {
				all = false
				break
			}
		}
		if all {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// figures turns the consoles' receipts into a result.
func figures(l *sseLoad, cs []*console, raised int, achieved float64, took []time.Duration, perConn float64) sseResult {
	r := sseResult{consoles: len(cs), alerts: l.alerts, raised: raised, achieved: achieved, bytesPerConn: perConn}
	l.mu.Lock()
	defer l.mu.Unlock()
	var lat, fromStart []time.Duration
	for _, c := range cs {
		for _, p := range c.pending {
			if i, ok := l.index[p.ref]; ok && c.got[i] == 0 {
				c.got[i] = p.at
			}
		}
		for i, at := range c.got {
			if l.acked[i] == 0 {
				continue
			}
			if at == 0 {
				r.lost++
				continue
			}
			fromStart = append(fromStart, time.Duration(at-l.begun[i]))
			d := time.Duration(at - l.acked[i])
			if d < 0 {
				r.early++
				d = 0
			}
			lat = append(lat, d)
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.p50, r.p99, r.maxLat = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)], lat[len(lat)-1]
	}
	r.samples = len(lat)
	if len(fromStart) > 0 {
		slices.Sort(fromStart)
		r.s50, r.s99 = fromStart[len(fromStart)/2], fromStart[min(len(fromStart)-1, len(fromStart)*99/100)]
	}
	if len(took) > 0 {
		slices.Sort(took)
		r.raiseP50, r.raiseP99 = took[len(took)/2], took[min(len(took)-1, len(took)*99/100)]
	}
	return r
}

func sseClient(consoles int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: consoles, DisableCompression: true}}
}

// bareHub is the floor: SSE fan-out with nothing behind it.
type bareHub struct {
	mu   sync.Mutex
	subs map[chan string]struct{}
	next int64
}

func (h *bareHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ch := make(chan string, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	defer func() { h.mu.Lock(); delete(h.subs, ch); h.mu.Unlock() }()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "retry: 3000\n\n")
	_ = rc.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			// As the console does: write what is waiting, flush once.
			for n := 0; ; n++ {
				if _, err := io.WriteString(w, ev); err != nil {
					return
				}
				more := false
				if n < 255 {
					select {
					case ev, more = <-ch:
					default:
					}
				}
				if !more {
					break
				}
			}
			if rc.Flush() != nil {
				return
			}
		}
	}
}

// publish sends one event to every connection (blocking on a full one,
// so none is lost: the floor loses nothing either).
func (h *bareHub) publish(ref, typ string) {
	h.mu.Lock()
	h.next++
	ev := "id: " + strconv.FormatInt(h.next, 10) + "\nevent: alert\ndata: {\"ref\":\"" + ref + "\",\"type\":\"" + typ + "\"}\n\n"
	subs := make([]chan string, 0, len(h.subs))
	for ch := range h.subs {
		subs = append(subs, ch)
	}
	h.mu.Unlock()
	for _, ch := range subs {
		ch <- ev
	}
}

func serveOn(ctx context.Context, h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func runBareSSE(ctx context.Context, consoles, rate, n int) (sseResult, error) {
	h := &bareHub{subs: map[chan string]struct{}{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	base, stop, err := serveOn(ctx, h)
	if err != nil {
		return sseResult{}, err
	}
	defer stop()
	l := newLoad(n)
	cs, perConn, err := openConsoles(ctx, consoles, base+"/", l, sseClient(consoles))
	if err != nil {
		return sseResult{}, err
	}
	raised, achieved, took, err := raiseAll(ctx, l, n, rate, func(i int) (string, error) {
		ref := fmt.Sprintf("AL-BARE-%06d", i)
		l.mu.Lock()
		l.index[ref] = i // known before publishing: no early reads
		l.mu.Unlock()
		h.publish(ref, alert.EventRaised)
		h.publish(ref, alert.EventPosition) // two events per alert, as guichet sends
		return ref, nil
	})
	if err != nil {
		return sseResult{}, err
	}
	settle(cs, raised)
	return figures(l, cs, raised, achieved, took, perConn), nil
}

// fixedAgent authenticates every session as one dispatcher.
type fixedAgent struct{ p account.Principal }

func (f fixedAgent) Authenticate(context.Context, string) (account.Principal, error) { return f.p, nil }

func runGuichetSSE(ctx context.Context, a *app, consoles, rate, n int) (sseResult, error) {
	u, _, err := benchUnit(ctx, a, 1)
	if err != nil {
		return sseResult{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = a.hub.Run(ctx) })
	cookieKey := make([]byte, 32)
	_, _ = rand.Read(cookieKey)
	w, err := web.New(web.Config{CookieKey: cookieKey, RateLimit: web.Limit{Rate: -1}, CodeRateLimit: web.Limit{Rate: -1}, ReportRateLimit: web.Limit{Rate: -1}},
		web.Deps{Complaints: a.complaints, Agents: fixedAgent{account.Principal{Pseudonym: "BNCH", Role: account.RoleDispatcher, UnitID: u.ID, SessionID: "bench"}},
			Alerts: a.alerts, Events: a.hub, Fleet: a.fleet, Clock: guichet.SystemClock{}})
	if err != nil {
		return sseResult{}, err
	}
	base, stop, err := serveOn(ctx, w.Handler())
	if err != nil {
		return sseResult{}, err
	}
	defer stop()
	l := newLoad(n)
	cs, perConn, err := openConsoles(ctx, consoles, base+"/agent/dispatch/events", l, sseClient(consoles))
	if err != nil {
		return sseResult{}, err
	}
	types := alert.Types
	raised, achieved, took, err := raiseAll(ctx, l, n, rate, func(i int) (string, error) {
		key := make([]byte, 18)
		_, _ = rand.Read(key)
		ang := float64(i) * 0.7
		r, err := a.alerts.Raise(ctx, alert.RaiseInput{
			Type: types[i%len(types)], Key: base64.RawURLEncoding.EncodeToString(key),
			Position: &alert.Position{Lat: u.Lat + 0.01*math.Cos(ang), Lon: u.Lon + 0.01*math.Sin(ang), Accuracy: 20, Battery: -1},
			Profile:  alert.Profile{Name: "Bench", Phone: "+33600000000"},
		})
		if err != nil {
			return "", err
		}
		return r.Ref, nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		return sseResult{}, err
	}
	settle(cs, raised)
	return figures(l, cs, raised, achieved, took, perConn), nil
}
