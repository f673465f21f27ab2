// Package migrate applies a SQL store's numbered, embedded migrations at
// start-up. Both stores (internal/sqlite, internal/postgres) keep their
// own migration files and their own dialect; this package reads the files
// and decides which to run, in one transaction the store opens.
//
// A migration is a file NNNN_what.sql; versions run 1, 2, 3… without gaps.
// Each applied migration is a row (version, name, applied_at) of the
// table schema_migrations, which the store creates. A database holding a
// version this binary does not know was written by a newer binary and is
// refused.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one numbered step of a schema.
type Migration struct {
	Version int
	Name    string // the file name, NNNN_what.sql
	SQL     string
}

// Load reads the migrations dir/*.sql of fsys, in version order. It fails
// when a name is not NNNN_what.sql, when versions have a gap or a
// duplicate, and when there is none.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	for _, p := range names {
		name := path.Base(p)
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migrations: %s: name must be NNNN_what.sql", name)
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations: %s: expected version %d", m.Name, i+1)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("migrations: none embedded")
	}
	return out, nil
}

// Tx is one store's open transaction, as a migration run needs it. Every
// method runs in that same transaction; the store commits it when Apply
// returns nil and rolls it back otherwise.
type Tx interface {
	// Prepare runs first. It MUST create schema_migrations (version
	// integer primary key, name text, applied_at) if it does not exist,
	// and MAY take a lock held until the transaction ends, so that nodes
	// starting together migrate one after the other.
	Prepare(ctx context.Context) error
	// Applied returns the highest version recorded, 0 when none is.
	Applied(ctx context.Context) (int, error)
	// Exec runs one migration's SQL, which may hold several statements.
	Exec(ctx context.Context, sql string) error
	// Record records m as applied, now.
	Record(ctx context.Context, m Migration) error
}

// Apply brings tx's database up to the last of steps (as Load returns
// them): it runs, in order, each migration newer than the version
// recorded, and records it. A database at a version beyond the last step
// is refused.
func Apply(ctx context.Context, tx Tx, steps []Migration) error {
	if len(steps) == 0 {
		return errors.New("migrate: no migration")
	}
	if err := tx.Prepare(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	current, err := tx.Applied(ctx)
	if err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	if last := steps[len(steps)-1].Version; current > last {
		return fmt.Errorf("migrate: database is at version %d, this binary knows up to %d", current, last)
	}
	for _, m := range steps {
		if m.Version <= current {
			continue
		}
		if err := tx.Exec(ctx, m.SQL); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.Name, err)
		}
		if err := tx.Record(ctx, m); err != nil {
			return fmt.Errorf("migrate: record %s: %w", m.Name, err)
		}
	}
	return nil
}
