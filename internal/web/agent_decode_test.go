package web

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// FuzzDecodeQueueFilter: any query decodes to a filter or to a validation
// error naming known fields; a decoded filter keeps its bounds.
func FuzzDecodeQueueFilter(f *testing.F) {
	f.Add("du=2026-03-01&au=2026-03-31&echeance=7&moi=1&categorie=theft&etat=submitted&ref=pp-2026")
	f.Add("du=2026-02-30&echeance=0")
	f.Add("echeance=366&au=tomorrow")
	f.Add("%zz&du")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		fl, err := decodeQueueFilter(q)
		var verr *guichet.ValidationError
		if err != nil {
			if !errors.As(err, &verr) || len(verr.Fields) == 0 {
				t.Fatalf("%q: %v, want a validation error", raw, err)
			}
			for _, fe := range verr.Fields {
				if fe.Field != "du" && fe.Field != "au" && fe.Field != "echeance" {
					t.Fatalf("%q: error on unknown field %q", raw, fe.Field)
				}
			}
			return
		}
		if fl.ExpiringWithin < 0 || fl.ExpiringWithin > 365*24*time.Hour {
			t.Fatalf("%q: ExpiringWithin %v out of bounds", raw, fl.ExpiringWithin)
		}
	})
}

// FuzzDecodeSlotForm: any form decodes to a slot of 1 to 240 minutes, in
// UTC, or to a validation error.
func FuzzDecodeSlotForm(f *testing.F) {
	f.Add("2026-03-12", "14:05", "30", "2")
	f.Add("2026-03-29", "02:30", "240", "-1") // the hour skipped when clocks go forward
	f.Add("", "", "", "")
	f.Add("2026-13-01", "25:00", "241", "x")
	f.Fuzz(func(t *testing.T, date, clock, duration, capacity string) {
		start, end, _, err := decodeSlotForm(url.Values{"date": {date}, "time": {clock}, "duration": {duration}, "capacity": {capacity}})
		if err != nil {
			var verr *guichet.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("%q %q %q %q: %v, want a validation error", date, clock, duration, capacity, err)
			}
			return
		}
		if d := end.Sub(start); d <= 0 || d > 240*time.Minute || start.Location() != time.UTC {
			t.Fatalf("%q %q %q: slot %v → %v", date, clock, duration, start, end)
		}
	})
}
