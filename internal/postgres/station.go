package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/sqlrow"
	"github.com/guichet/guichet/internal/station"
)

// CreateUnit stores a new unit. A duplicate ID or Code fails with
// guichet.ErrConflict. ParentID is not checked.
func (s *Store) CreateUnit(ctx context.Context, u station.Unit) error {
	if u.ID == "" || u.Code == "" || u.Name == "" {
		return fmt.Errorf("postgres: create unit %q: id, code and name are required: %w", u.Code, guichet.ErrInvalid)
	}
	hours, err := json.Marshal(u.Hours)
	if err != nil {
		return fmt.Errorf("postgres: create unit %s: hours: %w", u.Code, err)
	}
	// hours, the lines of text of before, is written empty (0006).
	err = s.Transact(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO units
			(id, code, name, kind, parent_id, address, postcode, city, lat, lon, phone, hours, opening_hours, accepts_appointments)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '{}', $12, $13)`,
			u.ID, u.Code, u.Name, string(u.Kind), nullStr(u.ParentID), u.Address, u.Postcode, u.City,
			u.Lat, u.Lon, u.Phone, hours, u.AcceptsAppointments)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: create unit %s: %w", u.Code, err)
	}
	return nil
}

const unitColumns = `id, code, name, kind, parent_id, address, postcode, city, lat, lon, phone, opening_hours, accepts_appointments`

func scanUnit(row pgx.Row) (station.Unit, error) {
	var (
		u     station.Unit
		kind  string
		hours []byte
	)
	if err := row.Scan(&u.ID, &u.Code, &u.Name, &kind, str(&u.ParentID), &u.Address, &u.Postcode, &u.City,
		&u.Lat, &u.Lon, &u.Phone, &hours, &u.AcceptsAppointments); err != nil {
		return station.Unit{}, err
	}
	u.Kind = station.Kind(kind)
	if err := json.Unmarshal(hours, &u.Hours); err != nil {
		return station.Unit{}, fmt.Errorf("hours: %w", err)
	}
	return u, nil
}

// ListUnits returns every unit, ordered by name (byte order), then ID.
func (s *Store) ListUnits(ctx context.Context) ([]station.Unit, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+unitColumns+` FROM units ORDER BY name COLLATE "C", id`)
	if err != nil {
		return nil, fmt.Errorf("postgres: list units: %w", err)
	}
	out, err := collect(rows, scanUnit)
	if err != nil {
		return nil, fmt.Errorf("postgres: list units: %w", err)
	}
	return out, nil
}

// Unit returns one unit by ID, or an error wrapping guichet.ErrNotFound.
func (s *Store) Unit(ctx context.Context, id string) (station.Unit, error) {
	u, err := scanUnit(s.pool.QueryRow(ctx, `SELECT `+unitColumns+` FROM units WHERE id = $1`, id))
	if err != nil {
		return station.Unit{}, fmt.Errorf("postgres: unit %s: %w", id, classify(err))
	}
	return u, nil
}

// CreateSlot stores a new slot of an existing unit (else
// guichet.ErrNotFound). End must follow Start and 0 ≤ Booked ≤ Capacity,
// else guichet.ErrInvalid; a duplicate ID fails with guichet.ErrConflict.
func (s *Store) CreateSlot(ctx context.Context, sl station.Slot) error {
	if sl.ID == "" || sl.Start.IsZero() || !sl.End.After(sl.Start) || sl.Capacity < 0 || sl.Booked < 0 || sl.Booked > sl.Capacity {
		return fmt.Errorf("postgres: create slot %q: %w", sl.ID, guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO slots (id, unit_id, start_at, end_at, capacity, booked)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			sl.ID, sl.UnitID, dbTime(sl.Start), dbTime(sl.End), sl.Capacity, sl.Booked)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("postgres: create slot %s: %w", sl.ID, err)
	}
	return nil
}

// CreateSlots stores new slots, as CreateSlot does each, in one
// transaction: all of them or, when one fails, none.
func (s *Store) CreateSlots(ctx context.Context, slots []station.Slot) error {
	for _, sl := range slots {
		if sl.ID == "" || sl.Start.IsZero() || !sl.End.After(sl.Start) || sl.Capacity < 0 || sl.Booked < 0 || sl.Booked > sl.Capacity {
			return fmt.Errorf("postgres: create slots: slot %q: %w", sl.ID, guichet.ErrInvalid)
		}
	}
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, sl := range slots {
			b.Queue(`INSERT INTO slots (id, unit_id, start_at, end_at, capacity, booked)
				VALUES ($1, $2, $3, $4, $5, $6)`,
				sl.ID, sl.UnitID, dbTime(sl.Start), dbTime(sl.End), sl.Capacity, sl.Booked)
		}
		res := tx.SendBatch(ctx, &b)
		for _, sl := range slots {
			if _, err := res.Exec(); err != nil {
				_ = res.Close()
				return fmt.Errorf("slot %s: %w", sl.ID, classify(err))
			}
		}
		return classify(res.Close())
	})
	if err != nil {
		return fmt.Errorf("postgres: create slots: %w", err)
	}
	return nil
}

// ListSlots returns the unit's slots starting in [from, to), by start then
// ID. An unknown unit fails with guichet.ErrNotFound.
func (s *Store) ListSlots(ctx context.Context, unitID string, from, to time.Time) ([]station.Slot, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+sqlrow.SlotColumns+` FROM slots
		WHERE unit_id = $1 AND start_at >= $2 AND start_at < $3 ORDER BY start_at, id`,
		unitID, norm(from), norm(to))
	if err != nil {
		return nil, fmt.Errorf("postgres: unit %s: list slots: %w", unitID, err)
	}
	out, err := collect(rows, func(r pgx.Row) (station.Slot, error) { return sqlrow.ScanSlot(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: unit %s: list slots: %w", unitID, err)
	}
	if len(out) == 0 {
		var one int
		if err := s.pool.QueryRow(ctx, `SELECT 1 FROM units WHERE id = $1`, unitID).Scan(&one); err != nil {
			return nil, fmt.Errorf("postgres: unit %s: list slots: %w", unitID, classify(err))
		}
	}
	return out, nil
}

// Slot returns one slot by ID, or an error wrapping guichet.ErrNotFound.
func (s *Store) Slot(ctx context.Context, id string) (station.Slot, error) {
	sl, err := sqlrow.ScanSlot(s.pool.QueryRow(ctx, `SELECT `+sqlrow.SlotColumns+` FROM slots WHERE id = $1`, id))
	if err != nil {
		return station.Slot{}, fmt.Errorf("postgres: slot %s: %w", id, classify(err))
	}
	return sl, nil
}

// book takes one place in the slot: a single conditional update, which
// PostgreSQL re-evaluates on the latest version of the row after waiting
// for concurrent bookings, so the capacity holds. A full slot fails with
// guichet.ErrConflict, an unknown one with guichet.ErrNotFound.
func book(ctx context.Context, tx pgx.Tx, slotID string) error {
	tag, err := tx.Exec(ctx, `UPDATE slots SET booked = booked + 1 WHERE id = $1 AND booked < capacity`, slotID)
	if err != nil {
		return fmt.Errorf("slot %s: book: %w", slotID, classify(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM slots WHERE id = $1`, slotID).Scan(&one); err != nil {
		return fmt.Errorf("slot %s: %w", slotID, classify(err))
	}
	return fmt.Errorf("slot %s is full: %w", slotID, guichet.ErrConflict)
}

// free gives one place of the slot back.
func free(ctx context.Context, tx pgx.Tx, slotID string) error {
	if _, err := tx.Exec(ctx, `UPDATE slots SET booked = booked - 1 WHERE id = $1 AND booked > 0`, slotID); err != nil {
		return fmt.Errorf("slot %s: free: %w", slotID, classify(err))
	}
	return nil
}

// collect scans every row with scan into a non-nil slice.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
