package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/station"
)

// TestGroupCommit queues transactions behind one that holds the writer, so
// that they run as one batch, and checks that each keeps its own outcome.
func TestGroupCommit(t *testing.T) {
	insert := func(code string) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO units (id, code, name, kind, address, postcode, city, lat, lon, phone, hours, accepts_appointments)
				VALUES (?, ?, 'n', 'brigade', '', '', '', 0, 0, '', '[]', 0)`, code, code)
			return err
		}
	}
	failing := errors.New("refused")
	tests := []struct {
		name string
		fn   func(tx *sql.Tx) error
		want string // "ok", "error", "panic", "canceled"
	}{
		{"ok-1", insert("ok-1"), "ok"},
		{"fails after writing", func(tx *sql.Tx) error {
			if err := insert("failed")(tx); err != nil {
				return err
			}
			return failing
		}, "error"},
		{"ok-2", insert("ok-2"), "ok"},
		{"constraint", insert("before"), "error"}, // a duplicate
		{"panics after writing", func(tx *sql.Tx) error {
			_ = insert("panicked")(tx)
			panic("boom")
		}, "panic"},
		{"ok-3", insert("ok-3"), "ok"},
	}
	for _, breaker := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch broken=%v", breaker), func(t *testing.T) {
			s := open(t)
			ctx := t.Context()
			if err := s.Transact(ctx, insert("before")); err != nil {
				t.Fatal(err)
			}
			hold, held := make(chan struct{}), make(chan struct{})
			go s.Transact(ctx, func(*sql.Tx) error { close(held); <-hold; return nil })
			<-held

			cancelled, cancel := context.WithCancel(ctx)
			ran := false
			var wg sync.WaitGroup
			outcome := make([]string, len(tests))
			for i, tt := range tests {
				wg.Go(func() {
					defer func() {
						if v := recover(); v != nil {
							outcome[i] = "panic"
						}
					}()
					switch err := s.Transact(ctx, tt.fn); {
					case err == nil:
						outcome[i] = "ok"
					default:
						outcome[i] = "error"
					}
				})
			}
			var canceledErr error
			wg.Go(func() {
				canceledErr = s.Transact(cancelled, func(tx *sql.Tx) error { ran = true; return insert("cancelled")(tx) })
			})
			if breaker {
				// Rolls the shared transaction back behind the writer's back:
				// the batch fails and each member is retried alone.
				wg.Go(func() {
					if err := s.Transact(ctx, func(tx *sql.Tx) error { _, err := tx.Exec(`ROLLBACK`); return err }); err == nil {
						t.Error("a transaction that rolled itself back was committed")
					}
				})
			}
			time.Sleep(100 * time.Millisecond) // let every call queue behind the held one
			cancel()
			close(hold)
			wg.Wait()

			for i, tt := range tests {
				if outcome[i] != tt.want {
					t.Errorf("%s: got %s, want %s", tt.name, outcome[i], tt.want)
				}
			}
			if !errors.Is(canceledErr, context.Canceled) || ran {
				t.Errorf("cancelled before it ran: err %v, ran %v", canceledErr, ran)
			}
			for code, want := range map[string]bool{"ok-1": true, "ok-2": true, "ok-3": true, "failed": false, "panicked": false, "cancelled": false} {
				_, err := unitByCode(t, s, code)
				if got := err == nil; got != want {
					t.Errorf("unit %s stored = %v, want %v (%v)", code, got, want, err)
				}
			}
		})
	}
}

func unitByCode(t *testing.T, s *Store, code string) (station.Unit, error) {
	var id string
	if err := s.r.QueryRowContext(t.Context(), `SELECT id FROM units WHERE code = ?`, code).Scan(&id); err != nil {
		return station.Unit{}, notFound(err)
	}
	return s.Unit(t.Context(), id)
}

// TestClosed checks that writes after Close fail instead of hanging.
func TestClosed(t *testing.T) {
	s, err := Open(t.Context(), t.TempDir()+"/guichet.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	err = s.CreateUnit(t.Context(), station.Unit{ID: "u", Code: "c", Name: "n"})
	if err == nil || errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("write after Close: %v", err)
	}
}
