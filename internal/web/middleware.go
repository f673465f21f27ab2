package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet"
)

// requestInfo is shared by the middleware and the route adapter of one
// request: the adapter records the route pattern, the recorder the status.
type requestInfo struct {
	route string
	rec   *recorder
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	i, _ := ctx.Value(infoKey{}).(*requestInfo)
	return i
}

// recorder remembers the status and size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests logs one line per request: method, route pattern (never the
// path, which may carry a reference, nor the query, nor the client's
// address), status, size and duration.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{rec: &recorder{ResponseWriter: w}}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		next.ServeHTTP(info.rec, r)
		status := info.rec.status
		if status == 0 {
			status = http.StatusOK
		}
		route := info.route
		if route == "" {
			route = "-"
		}
		s.d.Logger.InfoContext(r.Context(), "http request",
			"method", r.Method, "route", route, "status", status,
			"bytes", info.rec.bytes, "duration", time.Since(start))
	})
}

// recoverPanics turns a panic in a handler into a 500 page and a log line
// with the stack (which holds no request data).
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.d.Logger.ErrorContext(r.Context(), "panic", "type", fmt.Sprintf("%T", v), "stack", string(debug.Stack()))
			s.fail(w, r, fmt.Errorf("panic in handler"))
		}()
		next.ServeHTTP(w, r)
	})
}

// csp is the Content Security Policy of every response: own scripts and
// styles only, none inline, nothing framed, forms posted only here.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(), microphone=(), payment=(), usb=(), interest-cohort=()")
		if s.cfg.Secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimit refuses a client's requests beyond the general limit with 429.
// Health probes are exempt. The client's address is used as a key in
// memory only, never logged.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		if ok, after := s.limit.allow(s.clientKey(r)); !ok {
			s.fail(w, r, guichet.RetryAfter(fmt.Errorf("request rate: %w", guichet.ErrRateLimited), after))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowCode spends one of the client's code attempts; it returns an error
// wrapping guichet.ErrRateLimited, with the time until the next attempt,
// when none is left. Being checked before the code, it can refuse a right
// one: the citizens' own codes use codeFailed instead.
func (s *Server) allowCode(r *http.Request) error {
	if ok, after := s.codes.allow(s.clientKey(r)); !ok {
		return guichet.RetryAfter(fmt.Errorf("code attempts: %w", guichet.ErrRateLimited), after)
	}
	return nil
}

// codeFailed spends one of the client's code attempts after a code it
// typed was refused (wrong, unknown or malformed); it returns an error
// wrapping guichet.ErrRateLimited, with the time until the next attempt,
// when none was left, for the caller to answer instead of its refusal.
//
// Only failures are counted, after the code was checked, so a right code
// is never refused: not when others behind the same address (a carrier's
// NAT, a café's Wi-Fi) made many wrong attempts, nor after the citizen's
// own mistakes. The answer depends on the client's count alone, never on
// the reference or code typed, so it tells nothing about either. This
// slows no guesser more than the general rate limit does, which is enough
// against codes of 80 bits and more: at 10 requests a second an address
// needs some 2 × 10^15 years to try half of them (2^79 codes).
func (s *Server) codeFailed(r *http.Request) error {
	return s.allowCode(r)
}

// clientKey returns the key the client's requests are counted under: its
// IPv4 address, or the /64 network of its IPv6 address (one subscriber).
func (s *Server) clientKey(r *http.Request) string {
	raw := r.RemoteAddr
	if s.cfg.ClientIPHeader != "" {
		if v := r.Header.Get(s.cfg.ClientIPHeader); v != "" {
			// X-Forwarded-For lists hops; the proxy appends the last.
			raw = strings.TrimSpace(v[strings.LastIndexByte(v, ',')+1:])
		}
	}
	host := raw
	if h, _, err := net.SplitHostPort(raw); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

// limiter is a set of token buckets, one per key, kept in memory. Buckets
// that have refilled are dropped now and then, so memory follows the
// number of active clients.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxBuckets bounds the limiter's memory; past it the oldest full buckets
// are swept at once.
const maxBuckets = 100_000

func newLimiter(l Limit, now func() time.Time) *limiter {
	return &limiter{rate: l.Rate, burst: float64(l.Burst), now: now, buckets: make(map[string]*bucket)}
}

// allow takes a token from key's bucket. When none is left it returns
// false and how long until one is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l.rate < 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || (len(l.buckets) >= maxBuckets && now.Sub(l.lastSweep) > time.Second) {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if l.rate == 0 {
		return false, time.Hour
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops the buckets that would be full by now.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
