// Package web serves the citizens' HTML pages: the home page, the online
// pre-complaint journey and the status page of a case.
//
// Pages are rendered on the server from templates embedded in the binary
// and parsed once by New, in French (the default) and English. Every page
// works as plain HTML forms without JavaScript; no asset is fetched from
// another origin and no script or style is inline, so the Content Security
// Policy stays strict.
package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/receipt"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/verifier"
	"golang.org/x/text/language"
)

// Limit is a per-client token bucket: Rate tokens per second refill a
// bucket holding at most Burst tokens; each request takes one.
type Limit struct {
	Rate  float64
	Burst int
}

// Config is how the web server behaves.
type Config struct {
	// PublicURL is the address citizens use (https://guichet.example); it
	// builds absolute links (the status page in receipts) and is trusted as
	// an origin for form posts. Empty: links are built from the request.
	PublicURL string
	// CookieKey signs cookies; it MUST hold at least 32 random bytes.
	CookieKey []byte
	// Secure is true when citizens reach the server over TLS: cookies are
	// then Secure with the __Host- prefix, and HSTS is sent.
	Secure bool
	// MaxBody bounds the body of a form post (default 128 KiB). Evidence
	// uploads are bounded by the complaint service's MaxFileSize instead.
	MaxBody int64
	// RateLimit bounds every client's requests (default 10/s, burst 60).
	// A negative Rate disables it.
	RateLimit Limit
	// CodeRateLimit bounds each client's attempts at typing a secret code:
	// default 10 a minute, burst 10. Agents' sign-in attempts all count;
	// for the citizens' draft and tracking codes only refused attempts
	// count, and a right code is never refused (see codeFailed).
	CodeRateLimit Limit
	// ReportRateLimit bounds each client's reports: default 20 an hour,
	// burst 10. The address is a key in memory only, kept no longer than
	// its window, never stored with the report nor logged.
	ReportRateLimit Limit
	// AlertRateLimit bounds the new silent alerts each client's address
	// raises: default 30 an hour, burst 20, generous so that a person in
	// danger behind a shared address is not refused. Retries of an alert
	// already raised never count. In memory only, like ReportRateLimit.
	AlertRateLimit Limit
	// ClientIPHeader, when set (e.g. "X-Real-IP"), names the header a
	// trusted reverse proxy puts the client's address in. Leave it empty
	// when clients connect directly: the header could be forged.
	ClientIPHeader string
	// MapLink, when set, is the address of an external map for a
	// position, with {lat} and {lon} in it (for OpenStreetMap:
	// OpenStreetMapLink); the dispatch console then links each alert's
	// position to it. It is a link the dispatcher follows, never a fetch
	// by the server. Empty: no link.
	MapLink string
	// Heartbeat is how often a live console's event stream says it is
	// alive when nothing happens (default 15 s).
	Heartbeat time.Duration
	// CheckRateLimit bounds each client's checks at /verifier: default
	// 30 a minute, burst 30. In memory only, like ReportRateLimit.
	CheckRateLimit Limit
	// Dev shows internal error details on the error page. Never in
	// production.
	Dev bool
}

// Receipt is what a PDF receipt shows, as internal/receipt renders it. The
// server fills every field, the tracking hint and the log entry included;
// it never holds the tracking code.
type Receipt = receipt.Receipt

// Deps are what the web server is built from.
type Deps struct {
	// Complaints runs the pre-complaint journey. Required.
	Complaints *complaint.Service
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// Clock tells the time; nil is the system clock.
	Clock guichet.Clock
	// Ready reports whether the server can take traffic (/readyz); nil
	// means always ready.
	Ready func(ctx context.Context) error
	// Receipt renders PDF receipts (typically calling receipt.PDF); nil
	// hides the PDF link.
	Receipt func(ctx context.Context, r Receipt) ([]byte, error)
	// LogEntry, if set, tells where the event eventID was logged in the
	// transparency log: its leaf index and a signed checkpoint covering
	// it. It MUST return an error wrapping guichet.ErrNotFound while the
	// event is not yet sequenced. Receipts carry them when known.
	LogEntry func(ctx context.Context, eventID string) (index int64, checkpoint string, err error)
	// LogReceipt, if set, builds the transparency-log receipt of a case
	// event: the status page then says where the submission was logged,
	// serves its receipt as /suivi/{ref}/recu.json and refreshes the proof
	// on demand (POST /suivi/{ref}/preuve).
	LogReceipt LogReceiptFunc
	// Log serves the transparency log's read API under /log/ (checkpoint,
	// key, tiles); nil leaves it out.
	Log http.Handler
	// LogState, if set, is read by the page /log/ itself, which explains
	// the log and shows its latest checkpoint; nil: /log/ is not found.
	LogState LogState
	// Agents authenticates back-office agents; nil leaves /agent/ out.
	Agents AgentAuth
	// Cases serves the back-office case pages; it needs Agents.
	Cases CaseDesk
	// Reports, if set, takes public reports (signalements) at /signaler
	// and shows reporters where theirs stands. Nil: no such pages.
	Reports *report.Service
	// Partners, if set, lets administrators manage the partners of the
	// API and their tokens at /agent/partenaires. Nil: no such pages.
	Partners *partner.Service
	// Alerts, if set, takes silent alerts at /alerte (the PWA) and serves
	// the dispatchers' console at /agent/dispatch. Nil: no such pages.
	Alerts *alert.Service
	// Events, if set, feeds the dispatch console's live updates
	// (/agent/dispatch/events, Server-Sent Events): typically the event
	// hub. Nil: the console is refreshed by hand (or every few seconds).
	Events EventSource
	// Bulletins, if set, serves the public warnings at /avis (pages,
	// posters, Atom and CAP feeds, the page for young people) and their
	// back-office at /agent/avis. Nil: no such pages.
	Bulletins *bulletin.Service
	// Fleet, if set, is the police units a dispatcher can send, with
	// their positions: the console shows the nearest available ones and
	// draws them on the map. Nil: an empty fleet.
	Fleet *alert.Fleet
	// SendCode, if set, sends a citizen their tracking code by email at
	// their request (notify.Service.SendCode): the confirmation then
	// offers it, once a case, to those who left an address. Nil: no offer.
	SendCode complaint.CodeMailer
	// CitizenNotes, if set, returns the texts of the notes agents
	// addressed to the citizen on a case (casework.Service.CitizenNotes):
	// the status page shows them. Nil: the page only says that a message
	// was written.
	CitizenNotes CitizenNotesFunc
	// Verifier, if set, answers the public checker "is this a scam?" at
	// /verifier. Nil: no such page.
	Verifier *verifier.Service
	// Stats, if set, serves the public statistics at /statistiques (and
	// their CSV and JSON exports). Nil: no such pages.
	Stats *stats.Service
}

// Server serves the citizens' pages. It is safe for concurrent use.
type Server struct {
	cfg     Config
	d       Deps
	cats    map[string]*catalogue
	pages   map[string]map[string]*template.Template // lang → page → template
	assets  *assets
	matcher language.Matcher
	limit   *limiter
	codes   *limiter
	// reports bounds each client's reports (ReportRateLimit); pow holds
	// the spent proof-of-work challenges.
	reports *limiter
	pow     powState
	// alertLim holds the silent alerts' rate limits (see alert_limit.go).
	alertLim *alertLimits
	// checks bounds each client's checks at /verifier (CheckRateLimit).
	checks *limiter
	// located caches where each alert's events go (see alertRoute).
	located locatedCache
	// live is the dispatch consoles' live feed (see agent_dispatch_feed.go).
	live   liveFeed
	public *url.URL // nil when PublicURL is empty
	// problems writes errors as problem details (JSON answers).
	problems *problem.Writer
	mux      *http.ServeMux
	handler  http.Handler
}

// New builds the server: it loads the catalogues and parses every template,
// so a broken template or catalogue fails here rather than on a request.
func New(cfg Config, d Deps) (*Server, error) {
	if d.Complaints == nil {
		return nil, errors.New("web: Deps.Complaints is required")
	}
	if len(cfg.CookieKey) < 32 {
		return nil, errors.New("web: CookieKey must hold at least 32 bytes")
	}
	if d.Cases != nil && d.Agents == nil {
		return nil, errors.New("web: Deps.Cases needs Deps.Agents")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = guichet.SystemClock{}
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if d.Fleet == nil {
		d.Fleet = alert.NewFleet(0)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 128 << 10
	}
	if cfg.RateLimit == (Limit{}) {
		cfg.RateLimit = Limit{Rate: 10, Burst: 60}
	}
	if cfg.CodeRateLimit == (Limit{}) {
		cfg.CodeRateLimit = Limit{Rate: 10.0 / 60, Burst: 10}
	}
	if cfg.CheckRateLimit == (Limit{}) {
		cfg.CheckRateLimit = Limit{Rate: 30.0 / 60, Burst: 30}
	}
	if cfg.ReportRateLimit == (Limit{}) {
		cfg.ReportRateLimit = Limit{Rate: 20.0 / 3600, Burst: 10}
	}
	s := &Server{cfg: cfg, d: d, matcher: language.NewMatcher(languages)}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("web: PublicURL %q is not an absolute http(s) URL", cfg.PublicURL)
		}
		s.public = u
	}
	var err error
	if s.cats, err = loadCatalogues(); err != nil {
		return nil, err
	}
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.pages, err = s.parseTemplates(templateFS); err != nil {
		return nil, err
	}
	s.problems = &problem.Writer{Base: s.public, Logger: d.Logger, Messages: func(r *http.Request) problem.Messages {
		return s.cats[chooseLang(r, s.matcher)]
	}}
	s.limit = newLimiter(cfg.RateLimit, d.Clock.Now)
	s.codes = newLimiter(cfg.CodeRateLimit, d.Clock.Now)
	s.reports = newLimiter(cfg.ReportRateLimit, d.Clock.Now)
	s.mux = http.NewServeMux()
	s.routes()

	cop := http.NewCrossOriginProtection()
	if s.public != nil {
		if err := cop.AddTrustedOrigin(s.public.Scheme + "://" + s.public.Host); err != nil {
			return nil, fmt.Errorf("web: trusted origin: %w", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, fmt.Errorf("cross-origin %s refused: %w", r.Method, guichet.ErrForbidden))
	}))
	var h http.Handler = s.mux
	h = cop.Handler(h)
	h = s.rateLimit(h)
	h = s.securityHeaders(h)
	h = s.recoverPanics(h)
	h = s.logRequests(h)
	s.handler = h
	return s, nil
}

// Problems returns the writer of the server's problem details, titled
// and explained from its catalogues (the partner API writes its errors
// with it).
func (s *Server) Problems() *problem.Writer { return s.problems }

// Handler returns the server's root handler, with every middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// handlerFunc is a page handler. It writes a response and returns nil, or
// writes nothing and returns an error that fail turns into a page.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h on pattern with the default body limit.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.handleLimit(pattern, s.cfg.MaxBody, h)
}

// handleLimit registers h on pattern, bounding request bodies to limit
// bytes; 0 leaves the body unbounded for h to bound.
func (s *Server) handleLimit(pattern string, limit int64, h handlerFunc) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := infoFrom(r.Context()); info != nil {
			info.route = pattern
		}
		if r.Body != nil && limit > 0 {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}))
}

// errorData is the data of the error page.
type errorData struct {
	Key    string
	Status int
	Detail string // Dev only
}

// fail shows err as an error page, or as RFC 9457 problem details when
// the client asks for JSON (see problem.Wanted). The status and the page
// come from the one table in internal/problem. Server faults are logged
// with the request's context; their text never reaches the citizen
// (unless Dev, on the HTML page only).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	pt := problem.Of(err)
	info := infoFrom(r.Context())
	if info != nil && info.rec != nil && info.rec.status != 0 {
		// Too late for a page: something was written already.
		s.d.Logger.ErrorContext(r.Context(), "error after response started", "route", info.route, "err", err)
		return
	}
	w.Header().Add("Vary", "Accept")
	if problem.Wanted(r) {
		s.problems.Write(w, r, err)
		return
	}
	if pt.Status >= 500 {
		route := ""
		if info != nil {
			route = info.route
		}
		s.d.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", route, "err", err)
	}
	problem.SetRetryAfter(w.Header(), pt, err)
	data := errorData{Key: pt.Key, Status: pt.Status}
	if s.cfg.Dev {
		data.Detail = err.Error()
	}
	p := s.newPage(r)
	p.Data = data
	if rerr := s.render(w, r, pt.Status, "error", p); rerr != nil {
		s.d.Logger.ErrorContext(r.Context(), "error page failed", "err", rerr)
		http.Error(w, http.StatusText(pt.Status), pt.Status)
	}
}

// render executes the page template name into a buffer, then writes it
// with status. Pages are personal: they are never stored by caches.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) error {
	t, ok := s.pages[p.Lang][name]
	if !ok {
		return fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", p.Lang)
	h.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	if err != nil {
		// The client went away; nothing to show.
		s.d.Logger.DebugContext(r.Context(), "write page", "err", err)
	}
	return nil
}

// redirect answers a form post with 303 See Other to a local path.
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// now returns the current time.
func (s *Server) now() time.Time { return s.d.Clock.Now() }
