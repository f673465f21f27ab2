package intake_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/corpus"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/xarf"
)

// The fuzz targets check, on any input, that the converters do not panic,
// refuse only with typed problems, give the same ContentKey twice, and
// give items within the report's bounds. Hangs and memory growth are the
// fuzzing engine's to catch (-timeout, its RSS limit); the parsers' own
// bounds (arf.Options, xarf.MaxDocumentBytes, intake.MaxBatchBytes) keep
// each input's cost a small multiple of its size.

func checkItem(t *testing.T, it intake.Item) {
	t.Helper()
	if len(it.Input.Seen) > report.MaxSeen {
		t.Fatalf("%d values", len(it.Input.Seen))
	}
	if utf8.RuneCountInString(it.Input.Description) > report.MaxDescription {
		t.Fatalf("description of %d characters", utf8.RuneCountInString(it.Input.Description))
	}
	if it.Filed() && it.ContentKey == "" && len(it.Input.Seen) == 0 {
		t.Fatal("a filed item with neither key nor value")
	}
}

func FuzzFromARF(f *testing.F) {
	f.Add([]byte(parcel.Copy(0)))
	f.Add([]byte(arfOf("fraud", "Source-IP: 192.0.2.1\n", plainSpam)))
	f.Add([]byte(arfOf("not-spam", "", "Subject: x\n\nhttp://a.example/")))
	if dir, ok := corpus.Find("arf"); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "*", "*.eml"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	small := arf.Options{MaxMessageBytes: 1 << 20, MaxParts: 50, MaxHeaderBytes: 16 << 10, MaxDepth: 4, MaxScanBytes: 64 << 10}
	f.Fuzz(func(t *testing.T, b []byte) {
		for res := range intake.ARFMbox(small, bytes.NewReader(b), smsNow) {
			var ape *arf.ProblemError
			var ipe *intake.ProblemError
			if res.Err != nil {
				if !errors.As(res.Err, &ape) && !errors.As(res.Err, &ipe) {
					t.Fatalf("untyped error %v", res.Err)
				}
				continue
			}
			checkItem(t, res.Item)
		}
		r, err := small.ParseBytes(b)
		if err != nil {
			return
		}
		a, errA := intake.FromARF(r, smsNow)
		c, errC := intake.FromARF(r, smsNow)
		if (errA == nil) != (errC == nil) || a.ContentKey != c.ContentKey {
			t.Fatal("two conversions differ")
		}
	})
}

func FuzzFromXARF(f *testing.F) {
	if dir, ok := corpus.Find("xarf"); ok {
		paths, _ := filepath.Glob(filepath.Join(dir, "xarf-spec", "samples", "v4", "*.json"))
		for _, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"xarf_version":"4.0.0"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := xarf.Parse(b)
		if err != nil {
			return
		}
		it, err := intake.FromXARF(r, smsNow)
		var ipe *intake.ProblemError
		if err != nil {
			if !errors.As(err, &ipe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		checkItem(t, it)
		if again, _ := intake.FromXARF(r, smsNow); again.ContentKey != it.ContentKey {
			t.Fatal("two conversions differ")
		}
	})
}

func FuzzReadSMS(f *testing.F) {
	f.Add([]byte(`[{"sender":"AMELI","text":"https://a.example/ 0612345678","received_at":"2026-12-03T09:12:00Z","operator":"SFR"}]`))
	f.Add([]byte(`{"sender":"38015","text":"x","received_at":"2026-12-03T09:12:00Z","operator":"SFR"}` + "\n" + `{"sender":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := intake.ReadSMS(bytes.NewReader(b), smsNow)
		var pe *intake.ProblemError
		if err != nil {
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, r := range res {
			if r.Err != nil {
				if !errors.As(r.Err, &pe) || pe.Index != r.Index {
					t.Fatalf("item %d: %v", r.Index, r.Err)
				}
				continue
			}
			checkItem(t, r.Item)
		}
	})
}
