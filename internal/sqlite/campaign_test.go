package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/guichet/guichet/internal/migrate"
)

// TestCampaignsMigration: reports filed before migration 0007 are filed
// in campaigns when the store opens, gmail.com linking nothing.
func TestCampaignsMigration(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "guichet.db")
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.Apply(ctx, migrateTx{tx}, steps[:6]); err != nil {
		t.Fatal(err)
	}
	for i, keys := range [][]string{{"phone:+33612345678", "domain:gmail.com"}, {"phone:+33612345678"}, {"domain:gmail.com"}} {
		id := string(rune('a' + i))
		if _, err := tx.ExecContext(ctx, `INSERT INTO cases (id, ref, kind, category, status, submitted_at)
			VALUES (?, ?, 'SG', 'phishing', 'submitted', ?)`, id, "SG-2026-OLD"+id, 1_700_000_000_000_000+i); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reports (case_id, lane) VALUES (?, 'normal')`, id); err != nil {
			t.Fatal(err)
		}
		for pos, k := range keys {
			if _, err := tx.ExecContext(ctx, `INSERT INTO report_seen (case_id, pos, channel, kind, input, valid, canonical, display, domain, reason, key)
				VALUES (?, ?, 'x', 'x', 'x', 1, 'x', 'x', '', '', ?)`, id, pos, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ca, err := s.ReportCampaign(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := s.ReportCampaign(ctx, "b")
	cc, _ := s.ReportCampaign(ctx, "c")
	if ca.ID != cb.ID || ca.Reports != 2 || cc.ID == ca.ID || cc.Reports != 1 {
		t.Errorf("campaigns after the migration: a %+v, b %+v, c %+v", ca, cb, cc)
	}
	var needed int
	if err := s.r.QueryRowContext(ctx, `SELECT rebuild_needed FROM campaign_settings`).Scan(&needed); err != nil || needed != 0 {
		t.Errorf("rebuild still needed: %d %v", needed, err)
	}
}
