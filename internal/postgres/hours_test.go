package postgres

import (
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet/internal/migrate"
)

// TestHoursMigration: a unit stored with lines of text before hours were
// data keeps them as legacy text after migration 0006.
func TestHoursMigration(t *testing.T) {
	ctx := t.Context()
	dbURL := freshDatabase(t)
	steps, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.Apply(ctx, migrateTx{tx}, steps[:5]); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		id, code string
		hours    []string
	}{
		{"01900000-0000-7000-8000-000000000001", "OLD", []string{"Lundi–vendredi 8 h 30–19 h", "Samedi 9 h–12 h"}},
		{"01900000-0000-7000-8000-000000000002", "NONE", []string{}},
	} {
		if _, err := tx.Exec(ctx, `INSERT INTO units (id, code, name, kind, address, postcode, city, lat, lon, phone, hours, accepts_appointments)
			VALUES ($1, $2, 'Commissariat', 'commissariat', '', '', '', 0, 0, '', $3, true)`, u.id, u.code, u.hours); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)

	s, err := Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old, err := s.Unit(ctx, "01900000-0000-7000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Lundi–vendredi 8 h 30–19 h", "Samedi 9 h–12 h"}; !reflect.DeepEqual(old.Hours.Legacy, want) || !old.Hours.Desk.IsZero() {
		t.Errorf("migrated hours %+v, want legacy lines %q", old.Hours, want)
	}
	none, err := s.Unit(ctx, "01900000-0000-7000-8000-000000000002")
	if err != nil || !none.Hours.IsZero() {
		t.Errorf("unit without hours migrated to %+v, %v", none.Hours, err)
	}
}
