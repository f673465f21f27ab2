package xarf

import (
	"bytes"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// spam is a v4 report written for these tests.
const spam = `{
  "xarf_version": "4.2.0",
  "report_id": "0b9a3f9e-6a52-4c1f-9d38-4a3c2a1e7b11",
  "timestamp": "2026-03-03T10:00:00Z",
  "reporter": {"org": "Observatoire", "contact": "abuse@obs.test", "domain": "obs.test"},
  "sender": {"org": "Observatoire", "contact": "abuse@obs.test", "domain": "obs.test"},
  "source_identifier": "198.51.100.7",
  "source_port": 25,
  "category": "messaging",
  "type": "spam",
  "protocol": "smtp",
  "smtp_from": "bounce@scam.test",
  "smtp_to": "victim@isp.test",
  "evidence_source": "spamtrap",
  "spam_indicators": {"suspicious_links": ["https://scam.test/colis"]},
  "evidence": [{"content_type": "text/plain", "payload": "aGVsbG8=", "hash": "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}],
  "tags": ["campaign:colis"],
  "confidence": 0.9,
  "_internal": {"ticket": "T-1"}
}`

func edit(t *testing.T, doc string, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseV4(t *testing.T) {
	r, err := Parse([]byte(spam))
	if err != nil {
		t.Fatal(err)
	}
	if r.Category != "messaging" || r.Type != "spam" || r.SourcePort != 25 || r.Reporter.Domain != "obs.test" {
		t.Errorf("report = %+v", r)
	}
	if !r.Timestamp.Equal(time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)) || r.Confidence == nil || *r.Confidence != 0.9 {
		t.Errorf("timestamp %v confidence %v", r.Timestamp, r.Confidence)
	}
	if string(r.Evidence[0].Payload) != "hello" || len(r.Warnings) != 0 {
		t.Errorf("evidence %q warnings %v", r.Evidence[0].Payload, r.Warnings)
	}
	if _, ok := r.Fields["_internal"]; ok {
		t.Error("_internal was kept")
	}
	var keys []string
	for _, x := range r.Indicators {
		keys = append(keys, x.Key())
	}
	got := strings.Join(keys, " ")
	if got != "ip:198.51.100.7 email:bounce@scam.test url:https://scam.test/colis" {
		t.Errorf("indicators = %q", got)
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name string
		doc  []byte
		code string
		path string
	}{
		{"not JSON", []byte(`{"xarf_version": "4.2.0",`), CodeMalformedJSON, "$"},
		{"array", []byte(`[1]`), CodeNotObject, "$"},
		{"no version", edit(t, spam, func(m map[string]any) { delete(m, "xarf_version") }), CodeMissingVersion, "$.xarf_version"},
		{"version 5", edit(t, spam, func(m map[string]any) { m["xarf_version"] = "5.0.0" }), CodeUnsupportedVersion, "$.xarf_version"},
		{"no sender", edit(t, spam, func(m map[string]any) { delete(m, "sender") }), CodeRequired, "$.sender"},
		{"contact not an address", edit(t, spam, func(m map[string]any) { m["reporter"].(map[string]any)["contact"] = "nobody" }), CodeBadFormat, "$.reporter.contact"},
		{"extra contact field", edit(t, spam, func(m map[string]any) { m["reporter"].(map[string]any)["type"] = "automated" }), CodeUnknownField, "$.reporter.type"},
		{"unknown category", edit(t, spam, func(m map[string]any) { m["category"] = "spam" }), CodeUnknownCategory, "$.category"},
		{"type of another category", edit(t, spam, func(m map[string]any) { m["type"] = "ddos" }), CodeUnknownType, "$.type"},
		{"no protocol", edit(t, spam, func(m map[string]any) { delete(m, "protocol") }), CodeRequired, "$.protocol"},
		{"smtp without smtp_from", edit(t, spam, func(m map[string]any) { delete(m, "smtp_from") }), CodeRequired, "$.smtp_from"},
		{"protocol not in enum", edit(t, spam, func(m map[string]any) { m["protocol"] = "pigeon" }), CodeNotInEnum, "$.protocol"},
		{"port out of range", edit(t, spam, func(m map[string]any) { m["source_port"] = 70000 }), CodeOutOfRange, "$.source_port"},
		{"bad base64", edit(t, spam, func(m map[string]any) { m["evidence"].([]any)[0].(map[string]any)["payload"] = "@@" }), CodeBadBase64, "$.evidence[0].payload"},
		{"bad tag", edit(t, spam, func(m map[string]any) { m["tags"] = []any{"Campaign"} }), CodePattern, "$.tags[0]"},
		{"confidence", edit(t, spam, func(m map[string]any) { m["confidence"] = 2 }), CodeOutOfRange, "$.confidence"},
		{"string for integer", edit(t, spam, func(m map[string]any) { m["recipient_count"] = "12" }), CodeWrongType, "$.recipient_count"},
		{"x-arf 0.2 e-mail", []byte("From: abuse@x.test\nX-ARF: yes\n\nbody"), CodeUnsupportedVersion, "$"},
		{"v3 unmapped", []byte(`{"Version":"3.0.0","ReporterInfo":{"ReporterOrg":"A","ReporterOrgEmail":"a@a.test"},"Report":{"ReportClass":"Activity","ReportType":"Teapot","Date":"2026-03-03T10:00:00Z"}}`), CodeV3UnmappedType, "$.Report.ReportType"},
		{"deep", []byte(strings.Repeat("[", 100) + strings.Repeat("]", 100)), CodeMalformedJSON, "$"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.doc)
			var pe *ProblemError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ProblemError", err)
			}
			if !errors.Is(err, guichet.ErrInvalid) {
				t.Error("does not wrap ErrInvalid")
			}
			for _, p := range pe.Problems {
				if p.Code == c.code && p.Path == c.path {
					return
				}
			}
			t.Errorf("problems %+v lack %s at %s", pe.Problems, c.code, c.path)
		})
	}
}

func TestHashMismatchWarns(t *testing.T) {
	r, err := Parse(edit(t, spam, func(m map[string]any) {
		m["evidence"].([]any)[0].(map[string]any)["hash"] = "md5:00"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || r.Warnings[0].Code != CodeHashMismatch || r.Warnings[0].Path != "$.evidence[0].hash" {
		t.Errorf("warnings = %+v", r.Warnings)
	}
}

func TestParseV3(t *testing.T) {
	doc := []byte(`{"Version": "3.0.0",
	 "ReporterInfo": {"ReporterOrg": "CERT", "ReporterOrgEmail": "cert@cert.test"},
	 "Report": {"ReportClass": "Activity", "ReportType": "Spam", "Date": "2026-03-03T10:00:00Z",
	   "SourceIp": "203.0.113.9", "SourcePort": 25,
	   "Samples": [{"ContentType": "message/rfc822", "Data": "From: x"}],
	   "AdditionalInfo": {"Protocol": "SMTP", "SMTPFrom": "bounce@scam.test", "Subject": "Votre colis", "DetectionMethod": "spamtrap"}}}`)
	r, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if r.LegacyVersion != "3" || r.XARFVersion != V4Version || r.Category != "messaging" || r.Type != "spam" {
		t.Errorf("converted = %+v", r)
	}
	if r.Reporter.Domain != "cert.test" || r.Sender != r.Reporter || r.SourceIdentifier != "203.0.113.9" || r.SourcePort != 25 {
		t.Errorf("reporter %+v sender %+v source %s:%d", r.Reporter, r.Sender, r.SourceIdentifier, r.SourcePort)
	}
	if r.Fields["smtp_from"] != "bounce@scam.test" || r.Fields["protocol"] != "smtp" || r.EvidenceSource != "spamtrap" {
		t.Errorf("fields = %v", r.Fields)
	}
	if string(r.Evidence[0].Payload) != "From: x" {
		t.Errorf("payload %q", r.Evidence[0].Payload)
	}
	again, _ := Parse(doc)
	if again.ReportID != r.ReportID || !uuidRe.MatchString(r.ReportID) {
		t.Errorf("report ids %s / %s: want the same UUID for the same document", r.ReportID, again.ReportID)
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"SMTPFrom": "smtp_from", "DestinationIP": "destination_ip", "C2Server": "c2_server", "FirstSeen": "first_seen", "Protocol": "protocol"} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPathological(t *testing.T) {
	big := append([]byte(`{"xarf_version":"4.2.0","description":"`), bytes.Repeat([]byte("a"), 50<<20)...)
	huge := edit(t, spam, func(m map[string]any) {
		m["evidence"] = []any{map[string]any{"content_type": "text/plain", "payload": strings.Repeat("QUFB", 2<<20)}}
	})
	cases := []struct {
		name string
		doc  []byte
		code string
	}{
		{"50 MB", big, CodeTooLarge},
		{"deep nesting", []byte(strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)), CodeMalformedJSON},
		{"6 MB evidence item", huge, CodeEvidenceTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Parse(c.doc)
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var pe *ProblemError
			if !errors.As(err, &pe) || pe.Code() != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
			// A hang check, not a speed goal: shared CI machines under -race
			// are slow and noisy; a quadratic walk of such input takes minutes.
			if took > 30*time.Second {
				t.Errorf("took %v", took)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*MaxDocumentBytes {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}
