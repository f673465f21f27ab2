package sqlrow

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestTimeScansBothDrivers(t *testing.T) {
	want := time.Date(2026, 12, 2, 9, 30, 0, 123456000, time.UTC)
	var got time.Time
	for _, v := range []any{want.UnixMicro(), want.In(time.FixedZone("CET", 3600))} {
		if err := (Time{&got}).Scan(v); err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Scan(%T) = %v, %v; want %v in UTC", v, got, err, want)
		}
	}
	if err := (Time{&got}).Scan(nil); err != nil || !got.IsZero() {
		t.Errorf("Scan(nil) = %v, %v", got, err)
	}
	if err := (Time{&got}).Scan("2026"); err == nil {
		t.Error("Scan of a string: no error")
	}
	if err := (Time{&got}).ScanTimestamptz(pgtype.Timestamptz{Time: want, Valid: true}); err != nil || !got.Equal(want) {
		t.Errorf("ScanTimestamptz = %v, %v", got, err)
	}
	if err := (Time{&got}).ScanTimestamptz(pgtype.Timestamptz{Valid: true, InfinityModifier: pgtype.Infinity}); err == nil {
		t.Error("infinity: no error")
	}
}

func TestTextScansBothDrivers(t *testing.T) {
	var s string
	for v, want := range map[any]string{"a": "a", nil: ""} {
		if err := (Text{&s}).Scan(v); err != nil || s != want {
			t.Errorf("Scan(%v) = %q, %v", v, s, err)
		}
	}
	if err := (Text{&s}).Scan([]byte("b")); err != nil || s != "b" {
		t.Errorf("Scan(bytes) = %q, %v", s, err)
	}
	if err := (Text{&s}).ScanText(pgtype.Text{}); err != nil || s != "" {
		t.Errorf("ScanText(NULL) = %q, %v", s, err)
	}
}
