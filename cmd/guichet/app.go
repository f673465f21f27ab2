package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/api"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/casework"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/evidence"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/notify"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/receipt"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
	"github.com/guichet/guichet/internal/verifier"
	"github.com/guichet/guichet/internal/web"
)

// store is everything the binary needs from a database.
type store interface {
	complaint.Store
	report.Store
	partner.Store
	alert.Store
	bulletin.Store
	account.Store
	casework.Store
	notify.Store
	verifier.Store
	stats.Store
	demo.Writer
	ledger.Outbox
	ledger.EventIndexer
	hub.Source
	// SetPublisher hands the hub the outbox records of each commit.
	SetPublisher(p func(...hub.Record))
	Ping(ctx context.Context) error
}

// listener is a store that hears other nodes' commits (PostgreSQL's
// LISTEN/NOTIFY).
type listener interface {
	Listen(ctx context.Context, wake func(id int64)) error
}

// app is a running instance: its parts, wired once.
type app struct {
	cfg        config
	log        *slog.Logger
	store      store
	closeStore func()
	blobs      *evidence.Bucket
	ids        *uuid7.Generator
	hub        *hub.Hub // committed events, for the sequencer, the notifier and live pages
	complaints *complaint.Service
	reports    *report.Service   // signalements and their campaigns
	alerts     *alert.Service    // silent alerts and their dispatch
	bulletins  *bulletin.Service // public warnings (avis) and their feeds
	stats      *stats.Service    // the public statistics, counted and cached
	fleet      *alert.Fleet      // the units dispatchers can send (alerts.go)
	clock      guichet.Clock
	accounts   *account.Service // agents' accounts and sessions
	cases      *casework.Service
	notifier   *notify.Service // nil when no mail can be sent
	web        *web.Server
	partners   *partner.Service // partners of the API and their tokens
	api        *api.Server      // the partner API under /api/
	lg         *ledger.Log
	closeTiles func() error // the log's bucket, when --log-blob is set
}

func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, nil))
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

// openStore opens the database named by url and applies its migrations.
func openStore(ctx context.Context, url string) (store, func(), error) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		path := strings.TrimPrefix(url, "sqlite://")
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, nil, err
		}
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, nil, fmt.Errorf("open sqlite %s: %w", path, err)
		}
		return s, func() { _ = s.Close() }, nil
	default:
		s, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, nil, fmt.Errorf("open postgres: %w", err)
		}
		return s, func() { s.Close() }, nil
	}
}

// loadKey returns the 32-byte secret named name: from the environment
// variable env when set (hex or base64), else from keys/name.key in the data
// directory, created with 0600 permissions on first start.
func loadKey(getenv func(string) string, env, dataDir, name string) ([]byte, error) {
	if v := getenv(env); v != "" {
		k, err := vault.MasterKeyFromEnv(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", env, err)
		}
		return k, nil
	}
	k, err := vault.LoadOrCreateMasterKey(filepath.Join(dataDir, "keys", name+".key"))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	return k, nil
}

// openApp builds an instance from cfg. clock may be nil for the wall clock.
func openApp(ctx context.Context, cfg config, getenv func(string) string, logger *slog.Logger, clock guichet.Clock) (_ *app, err error) {
	if clock == nil {
		clock = guichet.SystemClock{}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	a := &app{cfg: cfg, log: logger, clock: clock, fleet: alert.NewFleet(0), ids: uuid7.New(func() time.Time { return clock.Now() }, rand.Reader)}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.store, a.closeStore, err = openStore(ctx, cfg.Database); err != nil {
		return nil, err
	}
	a.hub = hub.New(a.store, hub.Config{Logger: logger})
	if err := a.hub.Start(ctx); err != nil {
		return nil, fmt.Errorf("event hub: %w", err)
	}
	a.store.SetPublisher(a.hub.Publish)
	if a.blobs, err = evidence.Open(ctx, cfg.Blob); err != nil {
		return nil, fmt.Errorf("evidence storage: %w", err)
	}
	v, err := openVault(getenv, cfg.DataDir) // current and retired master keys (admin_masterkey.go)
	if err != nil {
		return nil, err
	}
	codeKey, err := loadKey(getenv, "GUICHET_CODE_KEY", cfg.DataDir, "codes")
	if err != nil {
		return nil, err
	}
	codes, err := caseref.NewHasher(codeKey)
	if err != nil {
		return nil, err
	}
	cookieKey, err := loadKey(getenv, "GUICHET_COOKIE_KEY", cfg.DataDir, "cookies")
	if err != nil {
		return nil, err
	}
	tiles, where, closeTiles, err := openLogStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a.closeTiles = closeTiles
	elector, err := logElector(ctx, a.store, tiles, where, logger) // multinode.go
	if err != nil {
		return nil, err
	}
	if a.lg, err = ledger.Open(ctx, ledger.Config{
		DataDir: cfg.DataDir, PublicURL: logURL(cfg), Key: getenv("GUICHET_LOG_KEY"), ExtraKeys: logExtraKeys(getenv),
		Outbox: a.store, Logger: logger, Clock: clock, Store: tiles, Elector: elector,
	}); err != nil {
		return nil, fmt.Errorf("transparency log: %w", err)
	}
	a.complaints = complaint.New(complaint.DefaultConfig(), complaint.Deps{
		Store: a.store, Vault: v, Blobs: a.blobs, Sniff: evidence.Sniff, Codes: codes,
		Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger,
	})
	a.reports = report.New(report.Deps{
		Store: a.store, Vault: v, Digest: a.complaints.TrackingDigest, Blobs: a.blobs, Sniff: evidence.Sniff,
		Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger, Units: a.store,
	})
	a.alerts = alert.New(alert.Deps{
		Store: a.store, Vault: v, Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger,
		Areas: newUnitAreas(a.store, clock), EscalateAfter: cfg.EscalateAfter,
	})
	a.bulletins = bulletin.New(bulletin.Deps{Store: a.store, Evidence: a.store, Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger})
	if a.accounts, err = account.New(account.DefaultConfig(logURL(cfg)), account.Deps{
		Store: a.store, Vault: v, Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger,
	}); err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	// The demo's clock is its own type: a demo shows notifications in an
	// in-memory outbox instead of sending mail.
	_, demoMode := clock.(*demo.Clock)
	var outbox *notify.Outbox
	if a.notifier, outbox, err = newNotifier(getenv, demoMode, cfg.PublicURL, a.store, caseContacts{a.complaints, a.reports}, clock, logger); err != nil {
		return nil, err
	}
	ccfg := casework.DefaultConfig()
	if cfg.ClosedRetention > 0 {
		ccfg.ClosedRetention = cfg.ClosedRetention
	}
	a.cases = casework.New(ccfg, casework.Deps{
		Store: a.store, Agents: agentDirectory{a.store}, Vault: v, Blobs: a.blobs, Clock: clock, Rand: rand.Reader,
		IDs: a.ids, Logger: logger, LogIndex: a.store.EventLogIndex, TrackingDigest: a.complaints.TrackingDigest,
	})
	var desk web.CaseDesk = a.cases
	if a.notifier != nil {
		desk = caseDesk{Service: a.cases, notifier: a.notifier, outbox: outbox}
	}
	a.partners = partner.New(partner.Deps{Store: a.store, Clock: clock, Rand: rand.Reader, IDs: a.ids, Logger: logger})
	wcfg := web.Config{PublicURL: cfg.PublicURL, CookieKey: cookieKey, Secure: cfg.Secure, MapLink: cfg.MapLink}
	if cfg.noRateLimit {
		wcfg.RateLimit = web.Limit{Rate: -1}
		wcfg.CodeRateLimit = web.Limit{Rate: -1}
		wcfg.ReportRateLimit = web.Limit{Rate: -1}
	}
	a.stats = stats.New(stats.Deps{Store: a.store, Clock: clock, Logger: logger})
	a.web, err = web.New(wcfg, web.Deps{
		Complaints: a.complaints,
		Agents:     a.accounts,
		Cases:      desk,
		Logger:     logger,
		Clock:      clock,
		Ready:      a.store.Ping,
		Receipt:    func(_ context.Context, r web.Receipt) ([]byte, error) { return receipt.PDF(r) },
		Log:        a.lg.Handler(),
		LogState:   a.lg,
		LogReceipt: a.logReceipt,
		LogEntry: func(ctx context.Context, eventID string) (int64, string, error) {
			i, err := a.store.EventLogIndex(ctx, eventID)
			if err != nil {
				return -1, "", err
			}
			return i, string(a.lg.CheckpointCovering(ctx, i)), nil
		},
		// The status page shows citizens the notes agents wrote to them.
		CitizenNotes: a.cases.CitizenNotes,
		SendCode:     codeMailer(a.notifier),
		Reports:      a.reports,
		Alerts:       a.alerts,
		Bulletins:    a.bulletins,
		Partners:     a.partners,
		Events:       a.hub,
		Fleet:        a.fleet,
		Verifier:     verifier.New(verifier.Deps{Store: a.store, Clock: clock, Warnings: bulletinWarnings{a.bulletins}}),
		Stats:        a.stats,
	})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if a.api, err = api.New(api.Deps{Partners: a.partners, Reports: a.reports, Problems: a.web.Problems(), Clock: clock, Logger: logger}); err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	return a, nil
}

// handler is the root handler: the partner API under /api/ (bearer
// tokens, no cookies, no CSRF: see internal/api), the web pages elsewhere.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", a.api.Handler())
	mux.Handle("/", a.web.Handler())
	return mux
}

// Close releases the instance's resources.
func (a *app) Close() {
	if a.lg != nil {
		_ = a.lg.Close()
	}
	if a.closeTiles != nil {
		_ = a.closeTiles()
	}
	if a.blobs != nil {
		_ = a.blobs.Close()
	}
	if a.closeStore != nil {
		a.closeStore()
	}
}

// serve answers HTTP on ln and runs the background jobs until ctx ends,
// then lets in-flight requests finish (up to 20 s) before returning.
func (a *app) serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // evidence uploads on slow links
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	jobs, stopJobs := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.retentionLoop(jobs) })
	wg.Go(func() { a.partners.Run(jobs) }) // token use counts
	wg.Go(func() { escalationLoop(jobs, a.alerts, a.clock, a.cfg.EscalateEvery, a.log) })
	wg.Go(func() { _ = a.hub.Run(jobs) })
	// Count the public statistics now (seconds over a year of a million
	// cases), so that the first visitor of /statistiques does not wait.
	wg.Go(func() {
		if _, err := a.stats.Current(jobs); err != nil && jobs.Err() == nil {
			a.log.WarnContext(jobs, "statistics: first count failed; the page will try again", "err", err)
		}
	})
	if l, ok := a.store.(listener); ok {
		wg.Go(func() { _ = l.Listen(jobs, a.hub.Wake) })
	}
	// The sequencer and the notifier keep their own durable positions;
	// the hub wakes them as soon as an event is committed, on any node.
	wg.Go(func() { wakeOn(jobs, a.hub, a.lg.Notify) })
	if a.notifier != nil {
		wg.Go(func() { wakeOn(jobs, a.hub, a.notifier.Wake) })
		wg.Go(func() { _ = a.notifier.Run(jobs, 15*time.Second) })
	}
	wg.Go(func() {
		if err := a.lg.Run(jobs); err != nil && jobs.Err() == nil {
			a.log.ErrorContext(jobs, "transparency log sequencer stopped", "err", err)
		}
	})

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		stopJobs()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	stopJobs()
	wg.Wait()
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// wakeOn calls wake after each committed event the hub delivers from now
// on, until ctx ends. wake MUST NOT block (it coalesces).
func wakeOn(ctx context.Context, h *hub.Hub, wake func()) {
	for range h.Subscribe(ctx, nil, h.Head()) {
		wake()
	}
}

// retentionLoop runs the retention job, and the purge of expired agent
// sessions and activation links, at start and then every cfg.Retention
// until ctx ends.
func (a *app) retentionLoop(ctx context.Context) {
	if a.cfg.Retention <= 0 {
		return
	}
	t := time.NewTicker(a.cfg.Retention)
	defer t.Stop()
	for {
		r, err := a.complaints.RunRetention(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			a.log.ErrorContext(ctx, "retention run failed", "err", err)
		case r.Expired > 0 || r.DraftFiles > 0:
			a.log.InfoContext(ctx, "retention run", "expired", r.Expired, "draft_files", r.DraftFiles)
		}
		// Expired agent sessions and activation links (it logs the counts).
		if _, err := a.accounts.PurgeExpired(ctx); err != nil && ctx.Err() == nil {
			a.log.ErrorContext(ctx, "agent sessions purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// logURL is the public URL the log's origin is derived from.
func logURL(cfg config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	return "http://localhost"
}

// bulletinWarnings gives the checker the public warnings citing a value.
type bulletinWarnings struct{ b *bulletin.Service }

func (w bulletinWarnings) Citing(ctx context.Context, keys []string, at time.Time) ([]verifier.Cite, error) {
	cs, err := w.b.Citing(ctx, keys, at)
	if err != nil {
		return nil, err
	}
	out := make([]verifier.Cite, len(cs))
	for i, c := range cs {
		out[i] = verifier.Cite(c)
	}
	return out, nil
}
