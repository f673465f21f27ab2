package intake_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func reportService(t *testing.T, c *clock) *report.Service {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "guichet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return report.New(report.Deps{
		Store: st, Vault: v, Clock: c, Rand: rand.Reader, IDs: uuid7.New(c.Now, rand.Reader),
		Digest: func(code caseref.Code) []byte { s := sha256.Sum256([]byte(code)); return s[:] },
	})
}

// TestARFCampaign: the copies of one spam campaign (campaignCopies,
// 10,000 outside the race detector) — each to its own recipient, with its
// own Message-ID, dates, Received chain, relay, envelope sender, tracking
// parameters and client number — converted from an mbox, give one
// ContentKey, and the recipients appear nowhere in an item; filed through report.Service.Submit — the single path every
// report takes — they end up in one campaign, which the analyst reads as
// one. Filing all of them is the partner API's work once it deduplicates
// on the key (one report with a counter); here a representative subset is
// filed, spread over the whole mbox (every 40th copy: 250 reports, 25
// under -race), since Submit on SQLite with synchronous=FULL takes a few
// milliseconds a report, and since a key held by more than the degree
// threshold (report.DefaultMaxDegree, 1,000) is a hub that links nothing —
// which is what ten thousand undeduplicated reports of one spam would make
// of its links.
func TestARFCampaign(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	svc := reportService(t, c)
	ctx := t.Context()
	var mbox bytes.Buffer
	if err := parcel.WriteMbox(&mbox, 0, campaignCopies); err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	var refs []string
	start := time.Now()
	var submitting time.Duration
	for res := range intake.ARFMbox(arf.Options{}, &mbox, smsNow) {
		if res.Err != nil {
			t.Fatalf("message %d: %v", res.Index, res.Err)
		}
		it := res.Item
		keys[it.ContentKey]++
		if (res.Index-1)%40 != 0 {
			continue
		}
		checkNoRecipient(t, res.Index-1, it)
		if it.Input.Category != report.CatSpam || !it.Filed() || it.Source.Channel != intake.ChannelARF || it.Source.Type != "abuse" {
			t.Errorf("message %d: %+v", res.Index, it.Source)
		}
		vals := strings.Join(seenValues(it), " ")
		for _, want := range []string{"email=suivi@colis-suivi.example.com", "url=https://colis-suivi.example.com/paiement?", "phone=01 23 45 67 89", "url=198.51.100."} {
			if !strings.Contains(vals, want) {
				t.Errorf("message %d: values %s lack %s", res.Index, vals, want)
			}
		}
		c.add(time.Second)
		t0 := time.Now()
		f, err := svc.Submit(ctx, res.Item.Input)
		submitting += time.Since(t0)
		if err != nil {
			t.Fatalf("message %d: submit: %v", res.Index, err)
		}
		refs = append(refs, f.Ref)
	}
	n := 0
	for k, c := range keys {
		n += c
		if !strings.HasPrefix(k, "arf.v1:") || len(k) != len("arf.v1:")+64 {
			t.Errorf("key %q", k)
		}
	}
	if n != campaignCopies {
		t.Fatalf("%d messages converted, want %d", n, campaignCopies)
	}
	if len(keys) != 1 {
		t.Fatalf("%d copies of one spam gave %d keys, want 1", n, len(keys))
	}
	t.Logf("%d messages converted, %d filed in %v (%v filing, %.1f ms a report)", campaignCopies, len(refs),
		time.Since(start).Round(time.Millisecond), submitting.Round(time.Millisecond), float64(submitting.Milliseconds())/float64(len(refs)))

	analyst := account.Principal{Pseudonym: "A7F2", Role: account.RoleAnalyst}
	var campaign string
	for i, ref := range refs {
		if i%25 != 0 && i != len(refs)-1 {
			continue
		}
		m, err := svc.Matches(ctx, analyst, ref)
		if err != nil {
			t.Fatal(err)
		}
		if campaign == "" {
			campaign = m.Campaign.Ref
		}
		if m.Campaign.Ref != campaign {
			t.Fatalf("report %d is in campaign %s, the first in %s", i, m.Campaign.Ref, campaign)
		}
	}
	v, err := svc.Campaign(ctx, analyst, campaign)
	if err != nil {
		t.Fatal(err)
	}
	if v.Campaign.Reports != len(refs) {
		t.Errorf("campaign %s holds %d reports, want %d", campaign, v.Campaign.Reports, len(refs))
	}
	list, err := svc.Campaigns(ctx, analyst, report.CampaignFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Errorf("the analyst sees %d campaigns, want 1", len(list))
	}
}
