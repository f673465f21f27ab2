package report_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// batchService is a service on SQLite with one partner, "p1".
func batchService(tb testing.TB) *report.Service {
	tb.Helper()
	st, err := sqlite.Open(tb.Context(), filepath.Join(tb.TempDir(), "guichet.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	if err := st.CreatePartner(tb.Context(), partner.Partner{ID: "p1", Name: "P1", Kind: partner.KindOther,
		Scopes: []partner.Scope{partner.ScopeReportsWrite}, CreatedAt: now}); err != nil {
		tb.Fatal(err)
	}
	c := &clock{now}
	return report.New(report.Deps{Store: st, Vault: v, Digest: func(c caseref.Code) []byte { return []byte(c) },
		Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader)})
}

func batchItems(run, n int) []report.BatchItem {
	items := make([]report.BatchItem, n)
	for i := range items {
		items[i] = report.BatchItem{
			Input: report.Input{Category: report.CatPhishing, Seen: []report.SeenInput{{Channel: "sms", Value: fmt.Sprintf(
				"Votre colis est bloqué, payez les frais : https://lnk%d.example/c%d puis appelez le 01 99 00 %02d %02d (réf. %d-%d)",
				i%20, i%50, i%100, (i/100)%100, run, i)}}},
			Source: report.Source{PartnerID: "p1", Channel: "api"},
		}
	}
	return items
}

// BenchmarkSubmitBatch files batches of 1,000 partner reports (phishing
// SMS of 20 campaigns, each text its own) on SQLite.
func BenchmarkSubmitBatch(b *testing.B) {
	s := batchService(b)
	run := 0
	for b.Loop() {
		run++
		res, err := s.SubmitBatch(b.Context(), batchItems(run, 1000), nil)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "reports/s")
}

// TestSubmitBatch: a batch files its good items, refuses its bad ones
// alone, and joins the same content into one report.
func TestSubmitBatch(t *testing.T) {
	s := batchService(t)
	items := batchItems(1, 3)
	items = append(items, report.BatchItem{Input: report.Input{Category: "nope"}, Source: report.Source{PartnerID: "p1"}})
	items = append(items, items[0])
	res, err := s.SubmitBatch(t.Context(), items, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Ref == "" || res[0].Duplicate || res[3].Err == nil || !res[4].Duplicate || res[4].Ref != res[0].Ref || res[4].Count != 2 {
		t.Fatalf("results %+v", res)
	}
	v, err := s.PartnerReport(t.Context(), "p1", res[0].Ref)
	if err != nil {
		t.Fatal(err)
	}
	if v.Count != 2 || len(v.Sources) != 2 || len(v.Routes) != 0 && v.Status == "" {
		t.Errorf("view %+v", v)
	}
	if _, err := s.PartnerReport(t.Context(), "p2", res[0].Ref); err == nil {
		t.Error("another partner read the report")
	}
	// Content keys: case and spacing do not count; the text does.
	a := report.Input{Category: report.CatSpam, Seen: []report.SeenInput{{Channel: "sms", Value: "Gagnez  UN iPhone https://x.example/"}}}
	b := report.Input{Category: report.CatSpam, Seen: []report.SeenInput{{Channel: "sms", Value: "gagnez un iphone https://x.example/ "}}}
	c := report.Input{Category: report.CatSpam, Seen: []report.SeenInput{{Channel: "sms", Value: "Gagnez un iPad https://x.example/"}}}
	d := report.Input{Category: report.CatPhishing, Seen: b.Seen}
	if report.ContentKey(a) != report.ContentKey(b) || report.ContentKey(a) == report.ContentKey(c) || report.ContentKey(b) == report.ContentKey(d) {
		t.Error("content keys do not follow the definition")
	}
}
