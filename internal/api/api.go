// Package api is the JSON API partners (spam observatories, mail
// providers, operators, authorities) send reports through and read back
// what became of them, under /api/v1/. It is described by the OpenAPI 3.1
// document served at /api/openapi.json (openapi.json in this package).
//
// Calls authenticate with a bearer token (partner.Service.Authenticate)
// and nothing else: a request carrying a cookie is refused, so that no
// browser session can ever act through the API, and hence the API needs
// no CSRF protection. Each token is rate-limited in memory, per node.
// Errors are RFC 9457 problem details (internal/problem), their types
// listed at /problemes/.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/report"
)

// Document is the OpenAPI 3.1 document of the API.
//
//go:embed openapi.json
var Document []byte

// Bounds of request bodies.
const (
	MaxReportBody = 256 << 10
	MaxBatchBody  = 64 << 20
)

// Deps are the API's collaborators.
type Deps struct {
	Partners *partner.Service
	Reports  *report.Service
	// Problems writes errors (the web server's, so that titles and
	// messages come from its catalogues); nil: untranslated.
	Problems *problem.Writer
	Clock    guichet.Clock
	Logger   *slog.Logger
	// MaxBatchBody bounds the body of a batch or a feed (ARF, X-ARF,
	// SMS) (default MaxBatchBody).
	MaxBatchBody int64
}

// Server serves the API. It is safe for concurrent use.
type Server struct {
	d       Deps
	mux     *http.ServeMux
	limits  *limiter
	handler http.Handler
}

// New returns the API server.
func New(d Deps) (*Server, error) {
	if d.Partners == nil || d.Reports == nil {
		return nil, errors.New("api: Deps.Partners and Deps.Reports are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	if d.Problems == nil {
		d.Problems = &problem.Writer{Logger: d.Logger}
	}
	if d.MaxBatchBody <= 0 {
		d.MaxBatchBody = MaxBatchBody
	}
	if !json.Valid(Document) {
		return nil, errors.New("api: openapi.json is not valid JSON")
	}
	s := &Server{d: d, mux: http.NewServeMux(), limits: newLimiter(d.Clock.Now)}
	s.mux.HandleFunc("GET /api/openapi.json", func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "public, max-age=300")
		h.Set("Access-Control-Allow-Origin", "*")
		_, _ = w.Write(Document)
	})
	s.route("POST /api/v1/reports", partner.ScopeReportsWrite, MaxReportBody, s.postReport)
	s.route("POST /api/v1/reports/batch", partner.ScopeReportsWrite, d.MaxBatchBody, s.postBatch)
	s.route("POST /api/v1/arf", partner.ScopeReportsWrite, d.MaxBatchBody, s.postARF)
	s.route("POST /api/v1/xarf", partner.ScopeReportsWrite, d.MaxBatchBody, s.postXARF)
	s.route("POST /api/v1/sms", partner.ScopeReportsWrite, d.MaxBatchBody, s.postSMS)
	s.route("GET /api/v1/reports/{ref}", partner.ScopeReportsRead, 0, s.getReport)
	s.route("GET /api/v1/reports", partner.ScopeReportsRead, 0, s.listReports)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.d.Problems.Write(w, r, fmt.Errorf("api: no route %s %s: %w", r.Method, r.URL.Path, guichet.ErrNotFound))
	})
	s.handler = s.recoverPanics(s.mux)
	return s, nil
}

// Handler returns the API's handler, for every path under /api/.
func (s *Server) Handler() http.Handler { return s.handler }

type callerKey struct{}

// callerOf returns the caller authenticated for r.
func callerOf(ctx context.Context) partner.Caller {
	c, _ := ctx.Value(callerKey{}).(partner.Caller)
	return c
}

type handler func(w http.ResponseWriter, r *http.Request) error

// route registers h on pattern: no cookie, a bearer token holding scope,
// within its rate, the body bounded to limit bytes (0: no body read).
func (s *Server) route(pattern string, scope partner.Scope, limit int64, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		if err := s.serve(w, r, scope, limit, h); err != nil {
			if errors.Is(err, guichet.ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="guichet"`)
			}
			s.d.Problems.Write(w, r, err)
		}
	})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, scope partner.Scope, limit int64, h handler) error {
	if len(r.Header.Values("Cookie")) > 0 {
		return problem.Explain(fmt.Errorf("api: cookie sent: %w", guichet.ErrInvalid), "api.err.cookie")
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return problem.Explain(fmt.Errorf("api: no bearer token: %w", guichet.ErrUnauthenticated), "api.err.token")
	}
	c, err := s.d.Partners.Authenticate(r.Context(), strings.TrimSpace(tok))
	if err != nil {
		if errors.Is(err, guichet.ErrUnauthenticated) {
			return problem.Explain(err, "api.err.token")
		}
		return err
	}
	if wait, ok := s.limits.take(c.Token.ID, c.Token.Rate); !ok {
		return problem.Explain(guichet.RetryAfter(fmt.Errorf("api: token %s: %w", c.Token.ID, guichet.ErrRateLimited), wait), "api.err.rate", c.Token.Rate)
	}
	if !c.Has(scope) {
		return problem.Explain(fmt.Errorf("api: token %s lacks %s: %w", c.Token.ID, scope, guichet.ErrForbidden), "api.err.scope", string(scope))
	}
	if limit > 0 {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
	}
	return h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.d.Logger.ErrorContext(r.Context(), "api panic", "route", r.Pattern, "panic", fmt.Sprint(v))
				s.d.Problems.Write(w, r, errors.New("api: panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// limiter is a token bucket per API token: rate a minute, holding at most
// a minute's worth. Buckets idle for a minute are full again and are
// dropped. In memory, per node: n nodes allow up to n times the rate.
type limiter struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, buckets: map[string]*bucket{}}
}

// take takes one request from token id's bucket; when empty, it says how
// long until the next one.
func (l *limiter) take(id string, rate int) (time.Duration, bool) {
	if rate <= 0 {
		rate = 1
	}
	now := l.now()
	perSec := float64(rate) / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.at) > time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[id]
	if !ok {
		b = &bucket{tokens: float64(rate), at: now}
		l.buckets[id] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(float64(rate), b.tokens+el*perSec)
		b.at = now
	}
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / perSec * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}
