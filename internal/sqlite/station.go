package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/sqlrow"
	"github.com/guichet/guichet/internal/station"
)

// CreateUnit stores a new unit. A duplicate ID or Code fails with
// guichet.ErrConflict. ParentID is not checked.
func (s *Store) CreateUnit(ctx context.Context, u station.Unit) error {
	if u.ID == "" || u.Code == "" || u.Name == "" {
		return fmt.Errorf("sqlite: create unit %q: id, code and name are required: %w", u.Code, guichet.ErrInvalid)
	}
	hours, err := json.Marshal(u.Hours)
	if err != nil {
		return fmt.Errorf("sqlite: create unit %s: hours: %w", u.Code, err)
	}
	// hours, the lines of text of before, is written empty (0005).
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO units
			(id, code, name, kind, parent_id, address, postcode, city, lat, lon, phone, hours, opening_hours, accepts_appointments)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?)`,
			u.ID, u.Code, u.Name, string(u.Kind), nullStr(u.ParentID), u.Address, u.Postcode, u.City,
			u.Lat, u.Lon, u.Phone, string(hours), boolInt(u.AcceptsAppointments))
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create unit %s: %w", u.Code, err)
	}
	return nil
}

const unitColumns = `id, code, name, kind, parent_id, address, postcode, city, lat, lon, phone, opening_hours, accepts_appointments`

func scanUnit(sc interface{ Scan(...any) error }) (station.Unit, error) {
	var (
		u      station.Unit
		kind   string
		hours  string
		accept int
	)
	if err := sc.Scan(&u.ID, &u.Code, &u.Name, &kind, str(&u.ParentID), &u.Address, &u.Postcode, &u.City,
		&u.Lat, &u.Lon, &u.Phone, &hours, &accept); err != nil {
		return station.Unit{}, err
	}
	u.Kind = station.Kind(kind)
	u.AcceptsAppointments = accept == 1
	if err := json.Unmarshal([]byte(hours), &u.Hours); err != nil {
		return station.Unit{}, fmt.Errorf("hours: %w", err)
	}
	return u, nil
}

// ListUnits returns every unit, ordered by name (byte order), then ID.
func (s *Store) ListUnits(ctx context.Context) ([]station.Unit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+unitColumns+` FROM units ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list units: %w", err)
	}
	defer rows.Close()
	out := []station.Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list units: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list units: %w", err)
	}
	return out, nil
}

// Unit returns one unit by ID, or an error wrapping guichet.ErrNotFound.
func (s *Store) Unit(ctx context.Context, id string) (station.Unit, error) {
	u, err := scanUnit(s.readRow(ctx, qUnit, id))
	if err != nil {
		return station.Unit{}, fmt.Errorf("sqlite: unit %s: %w", id, notFound(err))
	}
	return u, nil
}

// CreateSlot stores a new slot of an existing unit (else
// guichet.ErrNotFound). End must follow Start and 0 ≤ Booked ≤ Capacity,
// else guichet.ErrInvalid; a duplicate ID fails with guichet.ErrConflict.
func (s *Store) CreateSlot(ctx context.Context, sl station.Slot) error {
	if sl.ID == "" || sl.Start.IsZero() || !sl.End.After(sl.Start) || sl.Capacity < 0 || sl.Booked < 0 || sl.Booked > sl.Capacity {
		return fmt.Errorf("sqlite: create slot %q: %w", sl.ID, guichet.ErrInvalid)
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO slots (id, unit_id, start_at, end_at, capacity, booked)
			VALUES (?, ?, ?, ?, ?, ?)`,
			sl.ID, sl.UnitID, dbTime(norm(sl.Start)), dbTime(norm(sl.End)), sl.Capacity, sl.Booked)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("sqlite: create slot %s: %w", sl.ID, err)
	}
	return nil
}

// CreateSlots stores new slots, as CreateSlot does each, in one
// transaction: all of them or, when one fails, none.
func (s *Store) CreateSlots(ctx context.Context, slots []station.Slot) error {
	for _, sl := range slots {
		if sl.ID == "" || sl.Start.IsZero() || !sl.End.After(sl.Start) || sl.Capacity < 0 || sl.Booked < 0 || sl.Booked > sl.Capacity {
			return fmt.Errorf("sqlite: create slots: slot %q: %w", sl.ID, guichet.ErrInvalid)
		}
	}
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO slots (id, unit_id, start_at, end_at, capacity, booked)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, sl := range slots {
			if _, err := st.ExecContext(ctx, sl.ID, sl.UnitID, dbTime(norm(sl.Start)), dbTime(norm(sl.End)), sl.Capacity, sl.Booked); err != nil {
				return fmt.Errorf("slot %s: %w", sl.ID, classify(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: create slots: %w", err)
	}
	return nil
}

// ListSlots returns the unit's slots starting in [from, to), by start then
// ID. An unknown unit fails with guichet.ErrNotFound.
func (s *Store) ListSlots(ctx context.Context, unitID string, from, to time.Time) ([]station.Slot, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+sqlrow.SlotColumns+` FROM slots
		WHERE unit_id = ? AND start_at >= ? AND start_at < ? ORDER BY start_at, id`,
		unitID, norm(from).UnixMicro(), norm(to).UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("sqlite: unit %s: list slots: %w", unitID, err)
	}
	defer rows.Close()
	out := []station.Slot{}
	for rows.Next() {
		sl, err := sqlrow.ScanSlot(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: unit %s: list slots: %w", unitID, err)
		}
		out = append(out, sl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: unit %s: list slots: %w", unitID, err)
	}
	if len(out) == 0 {
		var one int
		err := s.r.QueryRowContext(ctx, `SELECT 1 FROM units WHERE id = ?`, unitID).Scan(&one)
		if err != nil {
			return nil, fmt.Errorf("sqlite: unit %s: list slots: %w", unitID, notFound(err))
		}
	}
	return out, nil
}

// Slot returns one slot by ID, or an error wrapping guichet.ErrNotFound.
func (s *Store) Slot(ctx context.Context, id string) (station.Slot, error) {
	sl, err := sqlrow.ScanSlot(s.readRow(ctx, qSlot, id))
	if err != nil {
		return station.Slot{}, fmt.Errorf("sqlite: slot %s: %w", id, notFound(err))
	}
	return sl, nil
}

// book takes one place in the slot: a single conditional update, so the
// capacity holds whatever runs concurrently. A full slot fails with
// guichet.ErrConflict, an unknown one with guichet.ErrNotFound.
func (s *Store) book(ctx context.Context, tx *sql.Tx, slotID string) error {
	res, err := s.exec(ctx, tx, qBook, slotID)
	if err != nil {
		return fmt.Errorf("slot %s: book: %w", slotID, classify(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("slot %s: book: %w", slotID, err)
	} else if n == 1 {
		return nil
	}
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM slots WHERE id = ?`, slotID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("slot %s: %w", slotID, guichet.ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("slot %s: book: %w", slotID, err)
	}
	return fmt.Errorf("slot %s is full: %w", slotID, guichet.ErrConflict)
}

// free gives one place of the slot back.
func free(ctx context.Context, tx *sql.Tx, slotID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE slots SET booked = booked - 1 WHERE id = ? AND booked > 0`, slotID); err != nil {
		return fmt.Errorf("slot %s: free: %w", slotID, classify(err))
	}
	return nil
}
