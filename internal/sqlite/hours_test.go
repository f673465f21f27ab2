package sqlite

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/guichet/guichet/internal/migrate"
)

// TestHoursMigration: a unit stored with lines of text before hours were
// data keeps them as legacy text after migration 0005.
func TestHoursMigration(t *testing.T) {
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
	if err := migrate.Apply(ctx, migrateTx{tx}, steps[:4]); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ id, code, hours string }{
		{"u1", "OLD", `["Lundi–vendredi 8 h 30–19 h","Samedi 9 h–12 h"]`},
		{"u2", "NONE", `[]`},
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO units (id, code, name, kind, address, postcode, city, lat, lon, phone, hours, accepts_appointments)
			VALUES (?, ?, 'Commissariat', 'commissariat', '', '', '', 0, 0, '', ?, 1)`, u.id, u.code, u.hours); err != nil {
			t.Fatal(err)
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
	old, err := s.Unit(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Lundi–vendredi 8 h 30–19 h", "Samedi 9 h–12 h"}; !reflect.DeepEqual(old.Hours.Legacy, want) || !old.Hours.Desk.IsZero() {
		t.Errorf("migrated hours %+v, want legacy lines %q", old.Hours, want)
	}
	if got := old.Hours.Lines("en"); len(got) != 2 || got[0] != "Lundi–vendredi 8 h 30–19 h" {
		t.Errorf("legacy lines shown %q", got)
	}
	none, err := s.Unit(ctx, "u2")
	if err != nil || !none.Hours.IsZero() {
		t.Errorf("unit without hours migrated to %+v, %v", none.Hours, err)
	}
}
