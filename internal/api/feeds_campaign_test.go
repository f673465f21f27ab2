package api_test

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/api"
	"github.com/guichet/guichet/internal/corpus"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/postgres"
	"github.com/guichet/guichet/internal/postgres/pgtest"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
)

// campaignMessages is how many ARF messages the partner posts in the
// campaign test on each store: the 10,000 on SQLite; 2,000 on
// PostgreSQL, whose store path the 10,000 would only run longer (parsing
// them costs some 15 ms a message under the race detector, and CI runs
// the suite with -race); a tenth of each with -short.
func campaignMessages(store string) int {
	n := report.MaxBatch
	if store == "postgres" {
		n = 2000
	}
	if testing.Short() {
		n /= 10
	}
	return n
}

// variants of one spam campaign: the same sender and number to call,
// four subjects and payment pages. Each copy has its own recipient,
// Message-ID, dates, relay and tracking link.
func variants() []intake.Campaign {
	start := time.Date(2026, 3, 13, 6, 0, 0, 0, time.UTC)
	var out []intake.Campaign
	for _, v := range []struct{ subject, link string }{
		{"%s, votre colis est bloqué", "https://colis-suivi.example.com/paiement"},
		{"Dernier avis avant retour de votre colis", "https://colis-suivi.example.com/frais"},
		{"%s, frais de douane à régler", "https://colis-suivi.example.com/douane"},
		{"Livraison suspendue", "https://colis-suivi.example.com/livraison"},
	} {
		out = append(out, intake.Campaign{Subject: v.subject, Link: v.link, Phone: "01 23 45 67 89",
			From: "Service Colis <suivi@colis-suivi.example.com>", Start: start})
	}
	return out
}

// TestARFCampaignThroughAPI is the end-to-end test: a partner
// posts 10,000 ARF messages of one campaign (four variants, each copy
// personalised) as one mbox through POST /api/v1/arf; they become four
// reports whose counts add up to 10,000, and the analyst sees one
// campaign holding the four. On SQLite, and on PostgreSQL (2,000
// messages, see campaignMessages) when GUICHET_TEST_POSTGRES is set.
func TestARFCampaignThroughAPI(t *testing.T) {
	vs := variants()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			n := campaignMessages(name)
			var e *env
			switch name {
			case "sqlite":
				e = newEnvOn(t, openSQLite(t), api.MaxBatchBody)
			default:
				st, err := postgres.Open(t.Context(), pgtest.Database(t, "guichet_apifeeds"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				e = newEnvOn(t, st, api.MaxBatchBody)
			}
			var mb bytes.Buffer
			for i := range n {
				if err := vs[i%len(vs)].WriteMbox(&mb, i, 1); err != nil {
					t.Fatal(err)
				}
			}
			_, tok := e.partner("Signal Spam", 100)
			t0 := time.Now()
			ans := e.feed("/api/v1/arf", tok, api.MediaMbox, mb.Bytes(), "Idempotency-Key", "fbl-campaign-1")
			took := time.Since(t0)
			t.Logf("%s: %d messages (%.1f MiB) posted in %v (%.0f messages/s): %d filed, %d duplicates, %d refused",
				name, n, float64(mb.Len())/(1<<20), took.Round(time.Millisecond), float64(n)/took.Seconds(), ans.Filed, ans.Duplicates, ans.Refused)
			if ans.Received != n || ans.Filed != len(vs) || ans.Duplicates != n-len(vs) || ans.Refused != 0 {
				t.Fatalf("answer: received %d, filed %d, duplicates %d, refused %d; want %d, %d, %d, 0",
					ans.Received, ans.Filed, ans.Duplicates, ans.Refused, n, len(vs), n-len(vs))
			}
			// Each copy is answered with its variant's report.
			refs := map[string]bool{}
			for i, it := range ans.Items {
				refs[it.Ref] = true
				if it.Ref != ans.Items[i%len(vs)].Ref {
					t.Fatalf("message %d joined %s, its variant's report is %s", i, it.Ref, ans.Items[i%len(vs)].Ref)
				}
			}
			total := 0
			for ref := range refs {
				g := e.do("GET", "/api/v1/reports/"+ref, tok, "", nil)
				wantStatus(t, g, http.StatusOK)
				var out api.ReportOut
				g.json(t, &out)
				total += out.Count
				if out.Category != "spam" || len(out.Sources) == 0 || out.Sources[0].Channel != "arf" {
					t.Errorf("%s: %+v", ref, out)
				}
			}
			if len(refs) != len(vs) || total != n {
				t.Errorf("%d reports counting %d messages, want %d counting %d", len(refs), total, len(vs), n)
			}

			analyst := account.Principal{Pseudonym: "A7F2", Role: account.RoleAnalyst}
			list, err := e.reports.Campaigns(t.Context(), analyst, report.CampaignFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Reports != len(vs) {
				t.Fatalf("the analyst sees %d campaigns (%+v), want one of %d reports", len(list), list, len(vs))
			}
			for ref := range refs {
				m, err := e.reports.Matches(t.Context(), analyst, ref)
				if err != nil {
					t.Fatal(err)
				}
				if m.Campaign.Ref != list[0].Ref {
					t.Errorf("%s is in campaign %s, not %s", ref, m.Campaign.Ref, list[0].Ref)
				}
			}
			// A retry of the whole feed stores nothing more.
			r := e.do("POST", "/api/v1/arf", tok, api.MediaMbox, mb.Bytes(), "Idempotency-Key", "fbl-campaign-1")
			wantStatus(t, r, http.StatusOK)
			if r.header.Get("Idempotent-Replayed") != "true" {
				t.Error("the retry was not replayed")
			}
		})
	}
}

// TestCorpusThroughAPI posts every sample of the shared corpus's arf and
// xarf folders, one request each, and counts what became of them: none
// may fail the server, each is filed, counted or refused with a typed
// problem, and the counts are intake's (internal/intake's corpus test).
func TestCorpusThroughAPI(t *testing.T) {
	e := newEnvOn(t, openSQLite(t), api.MaxBatchBody)
	_, tok := e.partner("Corpus", 10000)
	post := func(path, ctype, dir string, keep func(rel string) bool) map[string]int {
		counts := map[string]int{}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			if !keep(filepath.ToSlash(rel)) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			r := e.do("POST", path, tok, ctype, b)
			if r.status >= 500 {
				t.Errorf("%s: %d %s", rel, r.status, r.body)
				return nil
			}
			if r.status != http.StatusOK {
				d := r.problem(t)
				counts["refused"]++
				t.Logf("%s: refused whole: %s", rel, d.Type)
				return nil
			}
			var ans api.BatchAnswer
			r.json(t, &ans)
			for _, it := range ans.Items {
				counts[it.Status]++
				if it.Status == "refused" {
					if it.Problem == nil || len(it.Problem.Errors) == 0 || it.Problem.Errors[0].Key == "" {
						t.Errorf("%s #%d: untyped refusal %+v", rel, it.Index, it.Problem)
					} else {
						t.Logf("%s #%d: %s on %s", rel, it.Index, it.Problem.Errors[0].Key, it.Problem.Errors[0].Field)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return counts
	}
	arfDir := corpus.Dir(t, "arf")
	a := post("/api/v1/arf", api.MediaRFC822, arfDir, func(rel string) bool { return strings.HasSuffix(rel, ".eml") })
	t.Logf("ARF corpus through the API: %d filed, %d duplicates, %d counted, %d refused", a["filed"], a["duplicate"], a["counted"], a["refused"])
	if a["filed"]+a["duplicate"] != 40 || a["counted"] != 1 || a["refused"] != 0 {
		t.Errorf("ARF corpus: %v, want 40 filed or duplicates, 1 counted, none refused", a)
	}
	xarfDir := corpus.Dir(t, "xarf")
	x := post("/api/v1/xarf", "application/json", xarfDir, func(rel string) bool {
		return !strings.Contains(rel, "/schemas/") && !strings.Contains(rel, "test-definitions") &&
			(strings.HasSuffix(rel, ".json") || strings.HasSuffix(rel, ".eml"))
	})
	t.Logf("X-ARF corpus through the API: %d filed, %d duplicates, %d counted, %d refused", x["filed"], x["duplicate"], x["counted"], x["refused"])
	if x["filed"]+x["duplicate"] != 40 || x["counted"] != 0 || x["refused"] != 56 {
		t.Errorf("X-ARF corpus: %v, want 40 filed or duplicates, 56 refused", x)
	}
}

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
