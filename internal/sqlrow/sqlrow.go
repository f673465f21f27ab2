// Package sqlrow holds what guichet's two SQL stores (internal/sqlite and
// internal/postgres) read alike: the column lists of the tables whose shape
// is the same in both dialects, and the scanners that fill domain values
// from a row. Each store keeps its own SQL where the dialects differ.
//
// The scanners accept what either driver hands them: database/sql values
// (SQLite keeps times as unix microseconds) and pgx's typed values
// (timestamptz, text).
package sqlrow

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/station"
)

// Time scans a nullable time column into *T: NULL is the zero time, a
// value is in UTC.
type Time struct{ T *time.Time }

// Scan reads a database/sql value: NULL, unix microseconds, or a time.
func (d Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.T = time.Time{}
	case int64:
		*d.T = time.UnixMicro(x).UTC()
	case time.Time:
		*d.T = x.UTC()
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

// ScanTimestamptz reads a PostgreSQL timestamptz (pgx).
func (d Time) ScanTimestamptz(v pgtype.Timestamptz) error {
	switch {
	case !v.Valid:
		*d.T = time.Time{}
	case v.InfinityModifier != pgtype.Finite:
		return fmt.Errorf("infinite time")
	default:
		*d.T = v.Time.UTC()
	}
	return nil
}

// Text scans a nullable text column into *S: NULL is "".
type Text struct{ S *string }

// Scan reads a database/sql value: NULL, a string or bytes.
func (d Text) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*d.S = ""
	case string:
		*d.S = x
	case []byte:
		*d.S = string(x)
	default:
		return fmt.Errorf("text column holds %T", v)
	}
	return nil
}

// ScanText reads a PostgreSQL text (pgx); NULL is "".
func (d Text) ScanText(v pgtype.Text) error {
	*d.S = v.String
	return nil
}

// Scanner is a row: *sql.Row, *sql.Rows, pgx.Row or pgx.Rows.
type Scanner interface{ Scan(dest ...any) error }

// CaseColumns are the columns of a case's metadata, on the table aliased
// c, in the order CaseDest scans them.
const CaseColumns = `c.id, c.ref, c.kind, c.category, c.status, c.unit_id, c.created_at, c.submitted_at,
	c.updated_at, c.expires_at, c.erased_at, c.linked_ref`

// CaseDest returns the destinations of CaseColumns into c; kind and status
// receive the text of c.Kind and c.Status, which the caller converts.
func CaseDest(c *casefile.Case, kind, status *string) []any {
	return []any{&c.ID, &c.Ref, kind, &c.Category, status, Text{&c.UnitID}, Time{&c.CreatedAt}, Time{&c.SubmittedAt},
		Time{&c.UpdatedAt}, Time{&c.ExpiresAt}, Time{&c.ErasedAt}, Text{&c.LinkedRef}}
}

// SlotColumns are the columns of a slot, in the order ScanSlot reads them.
const SlotColumns = `id, unit_id, start_at, end_at, capacity, booked`

// ScanSlot scans a row holding exactly SlotColumns.
func ScanSlot(sc Scanner) (station.Slot, error) {
	var sl station.Slot
	err := sc.Scan(&sl.ID, &sl.UnitID, Time{&sl.Start}, Time{&sl.End}, &sl.Capacity, &sl.Booked)
	return sl, err
}

// EvidenceColumns are the columns of an evidence record, in the order
// ScanEvidence reads them.
const EvidenceColumns = `id, owner_id, blob_key, content_type, size, sha256, created_at`

// ScanEvidence scans a row holding exactly EvidenceColumns.
func ScanEvidence(sc Scanner) (casefile.Evidence, error) {
	var e casefile.Evidence
	err := sc.Scan(&e.ID, &e.OwnerID, &e.BlobKey, &e.ContentType, &e.Size, &e.SHA256, Time{&e.CreatedAt})
	return e, err
}
