package arf

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// fixture builds a feedback report written for these tests (no corpus
// file is copied). eol is the line end used throughout.
func fixture(eol string, fields, original string) string {
	s := `From: fbl@isp.test
To: abuse@sender.test
Subject: FW: Votre colis
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
 boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

A complaint about a message from 198.51.100.7.

--b1
Content-Type: message/feedback-report

` + fields + `
--b1
Content-Type: message/rfc822

` + original + `
--b1--
`
	return strings.ReplaceAll(s, "\n", eol)
}

const fields = `Feedback-Type: fraud
User-Agent: TestFBL/2.0
Version: 1
Original-Mail-From: <bounce@scam.test>
Original-Rcpt-To: <victim@isp.test>
Arrival-Date: Tue, 3 Mar 2026 10:00:00 +0100
Source-IP: 198.51.100.7 (mail.scam.test)
Incidents: 3
Reported-Domain: scam.test
Reported-Uri: http://scam.test/colis?id=1
Reported-Uri: mailto:pay@scam.test?subject=x
`

const original = `Received: from mail.scam.test (mail.scam.test [198.51.100.7])
 by mx.isp.test; Tue, 3 Mar 2026 09:59:00 +0100
From: "La Poste" <noreply@scam.test>
Reply-To: pay@scam.test
Subject: =?utf-8?q?Votre_colis_est_bloqu=C3=A9?=
Message-ID: <abc@scam.test>
Date: Tue, 3 Mar 2026 09:58:00 +0100
Content-Type: text/plain; charset=utf-8

Payez 1,99 EUR sur https://scam.test/pay ou appelez le 06 12 34 56 78.
`

func TestParseFixture(t *testing.T) {
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		t.Run(fmt.Sprintf("%q", eol), func(t *testing.T) {
			r, err := Parse(strings.NewReader(fixture(eol, fields, original)))
			if err != nil {
				t.Fatal(err)
			}
			if r.FeedbackType != Fraud || r.Version != "1" || r.UserAgent != "TestFBL/2.0" {
				t.Errorf("type/version/agent = %q %q %q", r.FeedbackType, r.Version, r.UserAgent)
			}
			if r.SourceIP.String() != "198.51.100.7" {
				t.Errorf("SourceIP = %v, want the address without its comment", r.SourceIP)
			}
			if r.Incidents != 3 {
				t.Errorf("Incidents = %d", r.Incidents)
			}
			if !r.ArrivalTime.Equal(time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("ArrivalTime = %v", r.ArrivalTime)
			}
			if r.Original.Subject != "Votre colis est bloqué" {
				t.Errorf("Subject = %q", r.Original.Subject)
			}
			if len(r.Original.Received) != 1 || r.Original.MessageID != "<abc@scam.test>" {
				t.Errorf("Received = %q, Message-ID = %q", r.Original.Received, r.Original.MessageID)
			}
			if !strings.Contains(r.HumanReadable, "198.51.100.7") {
				t.Errorf("HumanReadable = %q", r.HumanReadable)
			}
			var keys []string
			for _, x := range r.Indicators() {
				keys = append(keys, x.Key())
			}
			got := strings.Join(keys, " ")
			for _, want := range []string{"ip:198.51.100.7", "domain:scam.test", "url:http://scam.test/colis?id=1",
				"email:pay@scam.test", "email:bounce@scam.test", "email:noreply@scam.test", "url:https://scam.test/pay", "phone:+33612345678"} {
				if !strings.Contains(" "+got+" ", " "+want+" ") {
					t.Errorf("indicators %q lack %q", got, want)
				}
			}
			if strings.Contains(got, "victim") {
				t.Errorf("the complainant's address is among the indicators: %q", got)
			}
			if eol == "\r" && !hasQuirk(r, "arf.quirk.bare_cr") {
				t.Errorf("quirks = %v, want bare_cr noted", r.Quirks)
			}
		})
	}
}

func hasQuirk(r *Report, q string) bool {
	for _, x := range r.Quirks {
		if x == q {
			return true
		}
	}
	return false
}

func TestLenientQuirks(t *testing.T) {
	t.Run("boundary right after Feedback-Type, no closing boundary", func(t *testing.T) {
		s := fixture("\r\n", "User-Agent: X/1\nVersion: 1\nSource-IP: [2001:db8::1]\nFeedback-Type: abuse", original)
		s = strings.TrimSuffix(s, "--b1--\r\n")
		r, err := Parse(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		if r.FeedbackType != Abuse || r.SourceIP.String() != "2001:db8::1" || !hasQuirk(r, "arf.quirk.feedback_type_last") {
			t.Errorf("got %q %v %v", r.FeedbackType, r.SourceIP, r.Quirks)
		}
	})
	t.Run("text/rfc822-headers", func(t *testing.T) {
		s := strings.Replace(fixture("\n", fields, original), "Content-Type: message/rfc822", "Content-Type: text/rfc822-headers", 1)
		r, err := Parse(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Original.HeadersOnly || r.Original.From == "" || len(r.Original.Found) != 0 {
			t.Errorf("original = %+v", r.Original)
		}
	})
	t.Run("blank line after Received", func(t *testing.T) {
		orig := strings.Replace(original, "+0100\nFrom:", "+0100\n\nFrom:", 1)
		r, err := Parse(strings.NewReader(fixture("\n", fields, orig)))
		if err != nil {
			t.Fatal(err)
		}
		if r.Original.Subject == "" || !hasQuirk(r, "arf.quirk.blank_line_in_header") {
			t.Errorf("subject %q quirks %v", r.Original.Subject, r.Quirks)
		}
	})
	t.Run("ARF 0.1", func(t *testing.T) {
		f := strings.Replace(strings.Replace(fields, "Version: 1", "Version: 0.1", 1), "Arrival-Date", "Received-Date", 1)
		r, err := Parse(strings.NewReader(fixture("\n", f, original)))
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != "0.1" || r.ArrivalTime.IsZero() || !hasQuirk(r, "arf.quirk.draft_0_1") {
			t.Errorf("version %q arrival %v quirks %v", r.Version, r.ArrivalTime, r.Quirks)
		}
	})
	t.Run("feedback part as text/plain", func(t *testing.T) {
		s := strings.Replace(fixture("\n", fields, original), "Content-Type: message/feedback-report", "Content-Type: text/plain", 1)
		r, err := Parse(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		if r.FeedbackType != Fraud || !hasQuirk(r, "arf.quirk.feedback_part_type") {
			t.Errorf("type %q quirks %v", r.FeedbackType, r.Quirks)
		}
	})
	t.Run("auth-failure", func(t *testing.T) {
		f := "Feedback-Type: auth-failure\nUser-Agent: D/1\nVersion: 1\nAuth-Failure: dmarc\nDKIM-Domain: bank.test\nDKIM-Selector: s1\nIdentity-Alignment: dkim\nSource-Port: 2525\n"
		r, err := Parse(strings.NewReader(fixture("\n", f, original)))
		if err != nil {
			t.Fatal(err)
		}
		if r.Auth.AuthFailure != "dmarc" || r.Auth.DKIMDomain != "bank.test" || r.Auth.DKIMSelector != "s1" || r.Auth.IdentityAlignment != "dkim" || r.SourcePort != 2525 {
			t.Errorf("auth = %+v port %d", r.Auth, r.SourcePort)
		}
	})
}

func TestRefusals(t *testing.T) {
	base := fixture("\n", fields, original)
	cases := []struct {
		name, in, code string
	}{
		{"empty", " \n", CodeEmpty},
		{"plain message", "From: a@b.test\nSubject: hi\n\nhello\n", CodeNotMultipartReport},
		{"delivery status", strings.Replace(base, "report-type=feedback-report", "report-type=delivery-status", 1), CodeNotFeedbackReport},
		{"no boundary", strings.Replace(base, `boundary="b1"`, "", 1), CodeMissingBoundary},
		{"no feedback part", strings.Replace(strings.Replace(base, "message/feedback-report", "text/plain", 1), "Feedback-Type: fraud", "X: y", 1), CodeMissingFeedback},
		{"no feedback type", strings.Replace(base, "Feedback-Type: fraud", "X-Type: fraud", 1), CodeMissingType},
		{"unknown type", strings.Replace(base, "Feedback-Type: fraud", "Feedback-Type: spam", 1), CodeUnknownType},
		{"bad ip", strings.Replace(base, "Source-IP: 198.51.100.7", "Source-IP: 999.1.1.1", 1), CodeBadSourceIP},
		{"no header", "\n\nbody", CodeMalformedHeader},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.in))
			var pe *ProblemError
			if !errors.As(err, &pe) || pe.Code != c.code {
				t.Fatalf("err = %v, want code %s", err, c.code)
			}
			if !errors.Is(err, guichet.ErrInvalid) || pe.Message == "" {
				t.Errorf("err %v does not wrap ErrInvalid or has no message", err)
			}
		})
	}
}

func TestMbox(t *testing.T) {
	one := fixture("\n", fields, original)
	bad := "From: a@b.test\n\nno report\n"
	mbox := "From fbl@isp.test Tue Mar  3 10:00:00 2026\n" + one + "\n" +
		"From fbl@isp.test Tue Mar  3 10:00:01 2026\n" + bad + "\n" +
		"From fbl@isp.test Tue Mar  3 10:00:02 2026\n" + strings.Replace(one, "Payez", ">From here, payez", 1)
	var ok, refused []int
	i := 0
	for r, err := range ReadMbox(strings.NewReader(mbox)) {
		i++
		var pe *ProblemError
		switch {
		case err == nil && r != nil:
			ok = append(ok, i)
		case errors.As(err, &pe):
			if pe.Index != i || pe.Code != CodeNotMultipartReport {
				t.Errorf("message %d: %v", i, err)
			}
			refused = append(refused, i)
		default:
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if fmt.Sprint(ok, refused) != "[1 3] [2]" {
		t.Errorf("parsed %v refused %v, want [1 3] [2]", ok, refused)
	}
	// Not an mbox: one message.
	n := 0
	for _, err := range ReadMbox(strings.NewReader(one)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("a bare message gave %d reports", n)
	}
}

// TestPathological checks that hostile inputs are refused quickly and
// without holding much more memory than the limit.
func TestPathological(t *testing.T) {
	var many strings.Builder
	many.WriteString("Content-Type: multipart/report; report-type=feedback-report; boundary=x\n\n")
	for range 10000 {
		many.WriteString("--x\nContent-Type: text/plain\n\nhi\n")
	}
	deep := "Content-Type: multipart/report; report-type=feedback-report; boundary=top\n\n--top\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n--top\nContent-Type: message/rfc822\n\n"
	for i := range 50 {
		deep += fmt.Sprintf("Content-Type: multipart/mixed; boundary=d%d\n\n--d%d\n", i, i)
	}
	deep += "Content-Type: text/plain\n\nbottom\n"
	cases := []struct {
		name string
		in   []byte
		code string
	}{
		{"50 MB body", append([]byte("Content-Type: multipart/report; boundary=x\n\n"), bytes.Repeat([]byte("A"), 50<<20)...), CodeTooLarge},
		{"10,000 parts", []byte(many.String()), CodeTooManyParts},
		{"deep nesting", []byte(deep), CodeTooDeep},
		{"huge header line", append([]byte("Subject: "), bytes.Repeat([]byte("x"), 5<<20)...), CodeHeaderTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Parse(bytes.NewReader(c.in))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			var pe *ProblemError
			if !errors.As(err, &pe) || pe.Code != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
			// A hang check, not a speed goal: shared CI machines under -race
			// are slow and noisy; a quadratic walk of such input takes minutes.
			if took > 30*time.Second {
				t.Errorf("took %v", took)
			}
			// Allocation is bounded by a small multiple of the message
			// limit (read once, line ends normalised once).
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 6*DefaultMaxMessageBytes {
				t.Errorf("allocated %d MB", alloc>>20)
			}
		})
	}
}
