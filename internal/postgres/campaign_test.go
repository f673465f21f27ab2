package postgres

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/migrate"
)

// TestCampaignsMigration: reports filed before migration 0008 are filed
// in campaigns when the store opens, gmail.com linking nothing; nodes
// opening together all come up.
func TestCampaignsMigration(t *testing.T) {
	ctx := t.Context()
	url := freshDatabase(t)
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.Apply(ctx, migrateTx{tx}, steps[:7]); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 11, 3, 10, 0, 0, 0, time.UTC)
	for i, keys := range [][]string{{"phone:+33612345678", "domain:gmail.com"}, {"phone:+33612345678"}, {"domain:gmail.com"}} {
		id := string(rune('a' + i))
		if _, err := tx.Exec(ctx, `INSERT INTO cases (id, ref, kind, category, status, submitted_at)
			VALUES ($1, $2, 'SG', 'phishing', 'submitted', $3)`, id, "SG-2026-OLD"+id, at.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reports (case_id, lane) VALUES ($1, 'normal')`, id); err != nil {
			t.Fatal(err)
		}
		for pos, k := range keys {
			if _, err := tx.Exec(ctx, `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				VALUES ($1, $2, 'x', 'x', 'x', true, 'x', 'x', '', '', $3)`, id, pos, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	stores := make([]*Store, 3)
	errs := make([]error, len(stores))
	done := make(chan int)
	for i := range stores {
		go func() { stores[i], errs[i] = Open(ctx, url); done <- i }()
	}
	for range stores {
		<-done
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	s := stores[0]
	ca, err := s.ReportCampaign(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := s.ReportCampaign(ctx, "b")
	cc, _ := s.ReportCampaign(ctx, "c")
	if ca.ID != cb.ID || ca.Reports != 2 || cc.ID == ca.ID || cc.Reports != 1 {
		t.Errorf("campaigns after the migration: a %+v, b %+v, c %+v", ca, cb, cc)
	}
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM campaigns`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d campaigns (%v), want 2", n, err)
	}
}
