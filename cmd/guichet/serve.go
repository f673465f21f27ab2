package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/web"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("serve", "Run the service in production.", stderr)
	cfg.flags(fs, getenv, ":8080", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogFormat)
	a, err := openApp(ctx, cfg, getenv, logger, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	logger.InfoContext(ctx, "guichet serving", "addr", ln.Addr().String(), "version", version)
	return a.serve(ctx, ln)
}

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("migrate", "Apply database migrations and exit.", stderr)
	cfg.flags(fs, getenv, "", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	_, closeStore, err := openStore(ctx, cfg.Database)
	if err != nil {
		return err
	}
	closeStore()
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("demo", "Start a seeded demonstration instance on a fresh SQLite database in a temporary directory.", stderr)
	cfg.flags(fs, func(string) string { return "" }, "127.0.0.1:8080", "")
	keep := fs.Bool("keep", false, "keep the temporary data directory on exit")
	alertAfter := fs.Duration("alert-after", 0, "raise one more silent alert this long after start, e.g. 5s, to watch it reach the dispatch console live (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"demo takes no arguments"}
	}
	start := time.Now()
	if cfg.DataDir == "" {
		dir, err := os.MkdirTemp("", "guichet-demo-")
		if err != nil {
			return err
		}
		cfg.DataDir = dir
		if !*keep {
			defer os.RemoveAll(dir)
		}
	}
	if cfg.LogFormat == "json" {
		cfg.LogFormat = "text"
	}
	if cfg.MapLink == "" {
		cfg.MapLink = web.OpenStreetMapLink
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("demo: %w (another instance running? try --addr 127.0.0.1:0)", err)
	}
	defer ln.Close()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	if err := cfg.finish(); err != nil {
		return err
	}
	logger := newLogger(stderr, cfg.LogFormat)
	clock := &demo.Clock{}
	now := time.Now().UTC()
	clock.Set(now)
	a, err := openApp(ctx, cfg, getenv, logger, clock)
	if err != nil {
		return err
	}
	defer a.Close()
	// The agents share one argon2id hash of the demo password: make it
	// on the other core while the units and cases are written.
	type hashed struct {
		hash string
		err  error
	}
	hashc := make(chan hashed, 1)
	go func() {
		h, err := a.accounts.HashPassword(demo.DemoPassword)
		hashc <- hashed{h, err}
	}()
	units, err := demo.SeedUnits(ctx, a.store, a.ids, now.AddDate(0, 0, -40), now.AddDate(0, 0, 15))
	if err != nil {
		return err
	}
	samples, err := demo.SeedCases(ctx, a.complaints, clock, units, now)
	if err != nil {
		return err
	}
	h := <-hashc
	if h.err != nil {
		return h.err
	}
	units, logins, activation, err := demo.SeedAgents(ctx, a.store, a.ids, a.accounts, units, h.hash)
	if err != nil {
		return err
	}
	month, err := seedMonth(ctx, a, getenv, units, logins, now)
	if err != nil {
		return err
	}
	var analyst, supervisor account.Principal
	for _, l := range logins {
		switch l.Role {
		case account.RoleAnalyst:
			analyst = account.Principal{Pseudonym: l.Pseudonym, Role: l.Role}
		case account.RoleSupervisor:
			supervisor = account.Principal{Pseudonym: l.Pseudonym, Role: l.Role}
		}
	}
	if err := demo.SeedRules(ctx, a.reports, supervisor); err != nil {
		return err
	}
	reports, err := demo.SeedReports(ctx, a.reports, analyst, 2026, now)
	if err != nil {
		return err
	}
	if err := demo.PublishValues(ctx, a.reports, analyst); err != nil {
		return err
	}
	bulletins, err := seedBulletins(ctx, a, supervisor, analyst, reports, now)
	if err != nil {
		return err
	}
	apiToken, err := seedDemoPartner(ctx, a)
	if err != nil {
		return err
	}
	alerts, err := seedAlerts(ctx, a, units, *alertAfter, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "guichet demo: listening on %s\n", cfg.PublicURL)
	fmt.Fprintf(stdout, "  data directory: %s (deleted on exit unless --keep)\n", cfg.DataDir)
	fmt.Fprintf(stdout, "  seeded %d units with appointment slots and %d pre-complaints (%d became complaints); ready in %s\n",
		len(units), month.Total+len(samples), month.Complaints, time.Since(start).Round(time.Millisecond))
	fmt.Fprintln(stdout, "  sample pre-complaints (reference, tracking code, state):")
	for _, s := range samples {
		fmt.Fprintf(stdout, "    %s  %s  %s\n", s.Ref, s.TrackingCode, s.State)
	}
	fmt.Fprintf(stdout, "  seeded %d reports (signalements) over the last 30 days; samples (reference, tracking code, category):\n", reports.Total)
	for _, s := range reports.Samples {
		fmt.Fprintf(stdout, "    %s  %s  %s\n", s.Ref, s.TrackingCode, s.What)
	}
	fmt.Fprintf(stdout, "  published to the checker (%s/verifier): %s\n", cfg.PublicURL, strings.Join(demo.PublishedValues, ", "))
	fmt.Fprintf(stdout, "  published %d public warnings at %s/avis (feeds: /avis/flux.atom, /avis/cap.atom): %s\n",
		len(bulletins), cfg.PublicURL, strings.Join(bulletins, ", "))
	fmt.Fprintf(stdout, "  agent sign-in at %s/agent/connexion — password %q, TOTP secret (base32) per login:\n", cfg.PublicURL, demo.DemoPassword)
	for _, l := range logins {
		if l.Colleague {
			continue
		}
		fmt.Fprintf(stdout, "    %-8s %-10s %-12s %s  (%s, pseudonym %s)\n", l.ServiceNumber, l.Role, l.UnitCode, l.TOTPSecret, l.Name, l.Pseudonym)
	}
	fmt.Fprintf(stdout, "  seeded %d police units (patrols) and %d open silent alerts near %s: %s — dispatch console at %s/agent/dispatch\n",
		a.fleet.Len(), len(alerts), demo.DemoAlertUnit, strings.Join(alerts, ", "), cfg.PublicURL)
	fmt.Fprintf(stdout, "  agent AGT-NEW awaits activation: %s%s\n", cfg.PublicURL, activation)
	fmt.Fprintf(stdout, "  partner API at %s/api/v1/ (OpenAPI: %s/api/openapi.json); partner %q, token:\n    %s\n",
		cfg.PublicURL, cfg.PublicURL, demoPartnerName, apiToken)
	fmt.Fprintf(stdout, "  transparency log at %s/log/, verifier key: %s\n", cfg.PublicURL, a.lg.VerifierKey())
	fmt.Fprintf(stdout, "  follow a case at %s/suivi — press Ctrl-C to stop\n", cfg.PublicURL)
	return a.serve(ctx, ln)
}

// seedMonth files the demo's month of cases at every unit, sealed under
// the instance's master key.
func seedMonth(ctx context.Context, a *app, getenv func(string) string, units []station.Unit, logins []demo.AgentLogin, now time.Time) (demo.MonthReport, error) {
	v, err := openVault(getenv, a.cfg.DataDir) // the keys openApp loaded
	if err != nil {
		return demo.MonthReport{}, err
	}
	m := demo.DefaultMonth()
	if a.cfg.ClosedRetention > 0 {
		m.ClosedRetention = a.cfg.ClosedRetention
	}
	return demo.SeedMonth(ctx, a.store, v, a.ids, units, demo.Staff(units, logins), m, now)
}

// seedAlerts puts the demo's patrols in the fleet and raises its open
// silent alerts; with after > 0, one more alert is raised that long after,
// its reference printed ("silent alert raised: AL-…").
func seedAlerts(ctx context.Context, a *app, units []station.Unit, after time.Duration, stdout io.Writer) ([]string, error) {
	for _, p := range demo.Patrols(units) {
		a.fleet.Set(p)
	}
	refs, err := demo.SeedAlerts(ctx, a.alerts, units)
	if err != nil || after <= 0 {
		return refs, err
	}
	var u station.Unit
	for _, x := range units {
		if x.Code == demo.DemoAlertUnit {
			u = x
		}
	}
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(after):
		}
		r, err := a.alerts.Raise(ctx, demo.AlertNear(u, alert.TypeHarassment, 2))
		if err != nil {
			a.log.ErrorContext(ctx, "demo: delayed alert", "err", err)
			return
		}
		fmt.Fprintf(stdout, "  silent alert raised: %s\n", r.Ref)
	}()
	return refs, nil
}

// seedBulletins publishes the demo's warnings, the parcel-fee one citing
// the phishing campaign of the first sample report and its published keys.
func seedBulletins(ctx context.Context, a *app, writer, analyst account.Principal, reports demo.ReportsSeeded, now time.Time) ([]string, error) {
	campaign := ""
	if len(reports.Samples) > 0 {
		if c, _, err := a.store.CaseByRef(ctx, reports.Samples[0].Ref); err == nil {
			if camp, err := a.store.ReportCampaign(ctx, c.ID); err == nil {
				campaign = camp.Ref
			}
		}
	}
	return demo.SeedBulletins(ctx, a.bulletins, a.reports, writer, analyst, campaign, now)
}
