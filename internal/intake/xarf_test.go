package intake_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/corpus"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/xarf"
)

// TestXARFEveryPair: every category/type sample of the spec converts to
// the category the mapping says, with values and a key.
func TestXARFEveryPair(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "xarf"), "xarf-spec", "samples", "v4")
	want := map[string]report.Category{
		"messaging/spam": report.CatSpam, "messaging/bulk_messaging": report.CatSpam,
		"content/phishing": report.CatPhishing, "content/suspicious_registration": report.CatPhishing,
		"content/csam": report.CatChildAbuse, "content/csem": report.CatChildAbuse,
		"content/exposed_data": report.CatOther, "content/remote_compromise": report.CatOther,
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	pairs := map[string]bool{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := xarf.Parse(b)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		it, err := intake.FromXARF(r, smsNow)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		pair := r.Category + "/" + r.Type
		pairs[pair] = true
		if it.Source.Type != pair || it.Source.ID != r.ReportID || it.Source.Reporter != r.Reporter.Org || !it.Filed() {
			t.Errorf("%s: source %+v", pair, it.Source)
		}
		if c, ok := want[pair]; ok && it.Input.Category != c {
			t.Errorf("%s: category %s, want %s", pair, it.Input.Category, c)
		}
		switch r.Category {
		case "connection", "vulnerability", "infrastructure", "reputation", "copyright":
			if it.Input.Category != report.CatOther {
				t.Errorf("%s: category %s, want other", pair, it.Input.Category)
			}
		}
		if !strings.HasPrefix(it.ContentKey, "xarf.v1:") || len(it.Input.Seen) == 0 {
			t.Errorf("%s: key %q values %v", pair, it.ContentKey, it.Input.Seen)
		}
		if v := report.Validate(&it.Input, time.Now()); v != nil {
			t.Errorf("%s: %+v", pair, v.Fields)
		}
		for _, s := range it.Input.Seen {
			for _, k := range []string{"destination_ip", "smtp_to", "legitimate_site", "cloned_site"} {
				if d, _ := r.Fields[k].(string); d != "" && strings.Contains(s.Value, d) {
					t.Errorf("%s: the victim's %s %q is a value", pair, k, d)
				}
			}
		}
	}
	for _, p := range xarf.Pairs() {
		if !pairs[p] {
			t.Errorf("no sample converted for %s", p)
		}
	}
}

// mutate returns the JSON document b with fields set (nil deletes).
func mutate(t *testing.T, b []byte, set map[string]any) *xarf.Report {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(doc, k)
		} else {
			doc[k] = v
		}
	}
	out, _ := json.Marshal(doc)
	r, err := xarf.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func xarfKey(t *testing.T, r *xarf.Report) string {
	t.Helper()
	it, err := intake.FromXARF(r, smsNow)
	if err != nil {
		t.Fatal(err)
	}
	return it.ContentKey
}

// TestXARFContentKey: the same phishing page reported by two reporters, at
// two times, under two ids, is one key; another page is another key. Two
// copies of a spam sent by two relays are one key; another subject is
// another.
func TestXARFContentKey(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "xarf"), "xarf-spec", "samples", "v4")
	phish, err := os.ReadFile(filepath.Join(dir, "content-phishing.json"))
	if err != nil {
		t.Fatal(err)
	}
	a := xarfKey(t, mutate(t, phish, nil))
	b := xarfKey(t, mutate(t, phish, map[string]any{
		"report_id": "0b0b0b0b-0849-40a4-9eba-d5926262ff05", "timestamp": "2025-02-01T10:00:00Z",
		"reporter": map[string]any{"org": "Other CERT", "contact": "cert@other.example", "domain": "other.example"},
		"url":      "http://secure-banking-login.example.com/auth?session=42",
	}))
	c := xarfKey(t, mutate(t, phish, map[string]any{"url": "http://other-bank-login.example.net/auth"}))
	if a != b {
		t.Error("one phishing page, two reporters: two keys")
	}
	if a == c {
		t.Error("two phishing pages: one key")
	}
	// The cloned (legitimate) site is not a value.
	it, err := intake.FromXARF(mutate(t, phish, map[string]any{"cloned_site": "https://www.bank.example/login"}), smsNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range it.Input.Seen {
		if strings.Contains(s.Value, "bank.example/") {
			t.Errorf("the cloned site is a value: %v", s)
		}
	}

	spam, err := os.ReadFile(filepath.Join(dir, "messaging-spam.json"))
	if err != nil {
		t.Fatal(err)
	}
	s1 := xarfKey(t, mutate(t, spam, map[string]any{"source_identifier": "192.0.2.10"}))
	s2 := xarfKey(t, mutate(t, spam, map[string]any{"source_identifier": "198.51.100.99"}))
	s3 := xarfKey(t, mutate(t, spam, map[string]any{"source_identifier": "192.0.2.10", "subject": "Un tout autre message"}))
	if s1 != s2 {
		t.Error("one spam from two relays: two keys")
	}
	if s1 == s3 {
		t.Error("two spams: one key")
	}
}

// TestXARFSubtypes: the type's own sub-type refines the category.
func TestXARFSubtypes(t *testing.T) {
	dir := filepath.Join(corpus.Dir(t, "xarf"), "xarf-spec", "samples", "v4")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		file, field, value string
		want               report.Category
	}{
		{"content-malware.json", "malware_type", "ransomware", report.CatExtortion},
		{"content-malware.json", "malware_type", "trojan", report.CatOther},
		{"content-fraud.json", "fraud_type", "investment", report.CatInvestment},
		{"content-fraud.json", "fraud_type", "cryptocurrency", report.CatInvestment},
		{"content-fraud.json", "fraud_type", "romance", report.CatRomance},
		{"content-fraud.json", "fraud_type", "shopping", report.CatFakeShop},
		{"content-fraud.json", "fraud_type", "government_impersonation", report.CatPhishing},
		{"content-fraud.json", "fraud_type", "lottery", report.CatOther},
		{"content-brand-infringement.json", "infringement_type", "counterfeit", report.CatFakeShop},
		{"content-brand-infringement.json", "infringement_type", "typosquatting", report.CatPhishing},
	} {
		r := mutate(t, read(tc.file), map[string]any{tc.field: tc.value})
		if got := intake.XARFCategory(r); got != tc.want {
			t.Errorf("%s %s=%s: %s, want %s", tc.file, tc.field, tc.value, got, tc.want)
		}
	}
}
