package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/api"
	"github.com/guichet/guichet/internal/partner"
	"github.com/guichet/guichet/internal/problem"
)

// feedbackReport is an ARF message written for these tests: feedback
// fields, the enclosed message (as message/rfc822 unless part says
// otherwise), every line ended by eol.
func feedbackReport(eol, fields, part, original string) string {
	if part == "" {
		part = "message/rfc822"
	}
	s := "From: fbl@isp.example\nTo: abuse@guichet.example\nSubject: FW: Votre colis\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/report; report-type=feedback-report;\n boundary=\"b1\"\n\n" +
		"--b1\nContent-Type: text/plain; charset=us-ascii\n\nA complaint about a message from 198.51.100.7.\n\n" +
		"--b1\nContent-Type: message/feedback-report\n\n" + fields + "\n" +
		"--b1\nContent-Type: " + part + "\n\n" + original + "\n--b1--\n"
	return strings.ReplaceAll(s, "\n", eol)
}

func arfFields(typ string) string {
	return "Feedback-Type: " + typ + "\nUser-Agent: TestFBL/2.0\nVersion: 1\nOriginal-Mail-From: <bounce@colis-bloque.example>\n" +
		"Original-Rcpt-To: <victime@isp.example>\nArrival-Date: Fri, 13 Mar 2026 10:00:00 +0100\nSource-IP: 198.51.100.7 (mail.colis-bloque.example)\n"
}

// spam is the enclosed message; link tells one spam from another.
func spam(link string) string {
	return "Received: from mail.colis-bloque.example ([198.51.100.7]) by mx.isp.example; Fri, 13 Mar 2026 09:59:00 +0100\n" +
		"From: \"La Poste\" <noreply@colis-bloque.example>\nTo: victime@isp.example\nSubject: Votre colis est bloque\n" +
		"Message-ID: <abc@colis-bloque.example>\nDate: Fri, 13 Mar 2026 09:58:00 +0100\nContent-Type: text/plain; charset=utf-8\n\n" +
		"Payez 1,99 EUR sur " + link + " ou appelez le 01 23 45 67 89.\n"
}

func mbox(msgs ...string) []byte {
	var b bytes.Buffer
	for _, m := range msgs {
		b.WriteString("From fbl@isp.example Fri Mar 13 10:00:00 2026\n")
		b.WriteString(strings.ReplaceAll(m, "\r\n", "\n"))
		b.WriteString("\n")
	}
	return b.Bytes()
}

func (e *env) feed(path, token, ctype string, body []byte, headers ...string) api.BatchAnswer {
	e.t.Helper()
	r := e.do("POST", path, token, ctype, body, headers...)
	wantStatus(e.t, r, http.StatusOK)
	var ans api.BatchAnswer
	r.json(e.t, &ans)
	if ans.Received != len(ans.Items) || ans.Filed+ans.Duplicates+ans.Counted+ans.Refused != ans.Received {
		e.t.Fatalf("answer totals %+v", ans)
	}
	for i, it := range ans.Items {
		if it.Index != i {
			e.t.Fatalf("item %d has index %d", i, it.Index)
		}
	}
	return ans
}

func statuses(ans api.BatchAnswer) string {
	var s []string
	for _, it := range ans.Items {
		s = append(s, it.Status)
	}
	return strings.Join(s, ",")
}

// wantRefused checks item i was refused as invalid-fields naming field
// with the parser's code.
func wantRefused(t *testing.T, ans api.BatchAnswer, i int, field, code string) {
	t.Helper()
	it := ans.Items[i]
	if it.Status != "refused" || it.Problem == nil {
		t.Fatalf("item %d: %+v, want refused", i, it)
	}
	p := it.Problem
	if p.Type != problem.PathPrefix+"invalid-fields" || p.Status != http.StatusUnprocessableEntity {
		t.Errorf("item %d: problem %+v, want invalid-fields", i, p)
	}
	if !slices.ContainsFunc(p.Errors, func(f problem.FieldError) bool { return f.Field == field && f.Key == code }) {
		t.Errorf("item %d: errors %+v, want %s on %s", i, p.Errors, code, field)
	}
}

// TestARFFeed: one message (message/rfc822, or the multipart/report body
// with its boundary in the Content-Type) and mboxes of many; messy ARF is
// read; copies of one spam collapse; opt-out and not-spam are counted, not
// filed; broken messages are refused one by one, the good ones filed.
func TestARFFeed(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Mail Co", 1000)

	one := feedbackReport("\r\n", arfFields("abuse"), "", spam("https://colis-bloque.example/p?id=1"))
	ans := e.feed("/api/v1/arf", tok, "message/rfc822", []byte(one))
	if statuses(ans) != "filed" || ans.Items[0].Count != 1 {
		t.Fatalf("one message: %+v", ans)
	}
	ref := ans.Items[0].Ref
	g := e.do("GET", ans.Items[0].StatusURL, tok, "", nil)
	wantStatus(t, g, http.StatusOK)
	var out api.ReportOut
	g.json(t, &out)
	if out.Category != "spam" || len(out.Sources) != 1 || out.Sources[0].Channel != "arf" {
		t.Errorf("read back %+v", out)
	}
	if strings.Contains(string(g.body), "victime") {
		t.Errorf("the recipient shows in the partner's view: %s", g.body)
	}

	// The raw multipart/report: the message's body, its header in the
	// request's. Another copy of the same spam (another tracking id, bare
	// LF line ends): a duplicate.
	head, body, _ := strings.Cut(feedbackReport("\n", arfFields("abuse"), "", spam("https://colis-bloque.example/p?id=2")), "\n\n")
	_ = head
	ans = e.feed("/api/v1/arf", tok, `multipart/report; report-type=feedback-report; boundary="b1"`, []byte(body))
	if statuses(ans) != "duplicate" || ans.Items[0].Ref != ref || ans.Items[0].Count != 2 {
		t.Fatalf("the raw report: %+v, want a duplicate of %s", ans, ref)
	}

	// An mbox: messy but readable messages, counted ones, broken ones.
	noFeedbackPart := "From: fbl@isp.example\nSubject: FW: spam\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\n\n" +
		"--b1\nContent-Type: text/plain\n\nA complaint.\n\n--b1\nContent-Type: message/rfc822\n\n" + spam("https://x.example/") + "\n--b1--\n"
	draft := strings.Replace(arfFields("fraud"), "Version: 1\n", "Version: 0.1\n", 1)
	msgs := []string{
		feedbackReport("\n", arfFields("abuse"), "", spam("https://colis-bloque.example/p?id=3")),              // 0 a copy: duplicate
		feedbackReport("\r\n", arfFields("fraud"), "", spam("https://autre-colis.example/x")),                  // 1 CRLF: filed
		feedbackReport("\n", arfFields("abuse"), "text/rfc822-headers", headersOf(spam("https://h.example/"))), // 2 headers only: filed
		feedbackReport("\n", draft, "", spam("https://draft.example/")),                                        // 3 ARF 0.1: filed
		feedbackReport("\n", arfFields("opt-out"), "", spam("https://colis-bloque.example/p")),                 // 4 counted
		feedbackReport("\n", arfFields("not-spam"), "", spam("https://lettre.example/")),                       // 5 counted
		noFeedbackPart, // 6
		feedbackReport("\n", strings.Replace(arfFields("abuse"), "Feedback-Type: abuse\n", "", 1), "", spam("https://y.example/")), // 7
		feedbackReport("\n", arfFields("spam-ish"), "", spam("https://z.example/")),                                                // 8
		"From: a@b.example\nSubject: hello\n\nnot a report\n",                                                                      // 9
		feedbackReport("\n", arfFields("abuse"), "", "From: x@y.example\nSubject: rien\n\nAucun lien ici.\n"),                      // 10
	}
	ans = e.feed("/api/v1/arf", tok, "application/mbox", mbox(msgs...))
	want := "duplicate,filed,filed,filed,counted,counted,refused,refused,refused,refused,filed"
	if statuses(ans) != want {
		for _, it := range ans.Items {
			t.Logf("%d %s %v %+v", it.Index, it.Status, it.Quirks, it.Problem)
		}
		t.Fatalf("mbox: %s, want %s", statuses(ans), want)
	}
	if ans.Items[0].Ref != ref || ans.Items[0].Count != 3 {
		t.Errorf("copy: %+v", ans.Items[0])
	}
	quirks := func(i int, q string) {
		t.Helper()
		if !slices.Contains(ans.Items[i].Quirks, q) {
			t.Errorf("item %d: quirks %v lack %s", i, ans.Items[i].Quirks, q)
		}
	}
	quirks(2, "arf.quirk.rfc822_headers")
	quirks(3, "arf.quirk.draft_0_1")
	if it := ans.Items[4]; it.Why != "intake.opt_out" || it.Ref != "" {
		t.Errorf("opt-out: %+v", it)
	}
	if it := ans.Items[5]; it.Why != "intake.not_spam" || it.Ref != "" {
		t.Errorf("not-spam: %+v", it)
	}
	wantRefused(t, ans, 6, "message/feedback-report", "arf.missing_feedback_part")
	wantRefused(t, ans, 7, "Feedback-Type", "arf.missing_feedback_type")
	wantRefused(t, ans, 8, "Feedback-Type", "arf.unknown_feedback_type")
	wantRefused(t, ans, 9, "Content-Type", "arf.not_multipart_report")
	if ans.Filed != 4 || ans.Duplicates != 1 || ans.Counted != 2 || ans.Refused != 4 {
		t.Errorf("totals %+v", ans)
	}
	// Nothing counted or refused was stored: the partner reads five
	// reports (the first, items 1, 2, 3 and 10).
	l := e.do("GET", "/api/v1/reports", tok, "", nil)
	wantStatus(t, l, http.StatusOK)
	var list api.ReportList
	l.json(t, &list)
	if len(list.Reports) != 5 {
		t.Errorf("%d reports stored, want 5", len(list.Reports))
	}

	// Bare CR line ends (one message: an mbox is a stream of LF lines).
	ans = e.feed("/api/v1/arf", tok, "message/rfc822", []byte(feedbackReport("\r", arfFields("virus"), "", spam("https://cr.example/"))))
	if statuses(ans) != "filed" || !slices.Contains(ans.Items[0].Quirks, "arf.quirk.bare_cr") {
		t.Errorf("bare CR: %+v", ans)
	}
	// Missing parts: no original message, no human-readable part. Two
	// such reports of one Source-IP hold nothing to compare: neither
	// joins the other.
	bare := "From: fbl@isp.example\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=\"b1\"\n\n" +
		"--b1\nContent-Type: message/feedback-report\n\n" + arfFields("abuse") + "\n--b1--\n"
	ans = e.feed("/api/v1/arf", tok, "application/mbox", mbox(bare, bare))
	if statuses(ans) != "filed,filed" || ans.Items[0].Ref == ans.Items[1].Ref || !slices.Contains(ans.Items[0].Quirks, "arf.quirk.no_original") {
		t.Errorf("reports without the original: %+v", ans)
	}
	wantType(t, e.do("POST", "/api/v1/arf", tok, "application/json", []byte(one)), http.StatusUnsupportedMediaType, "unsupported-media-type")
	wantType(t, e.do("POST", "/api/v1/arf", tok, "application/mbox", []byte("  \n")), http.StatusBadRequest, "invalid")
	// A single message that is no report: refused as item 0, 200.
	ans = e.feed("/api/v1/arf", tok, "message/rfc822", []byte("Subject: x\n\nhello\n"))
	wantRefused(t, ans, 0, "Content-Type", "arf.not_multipart_report")
}

// headersOf is the header block of a message.
func headersOf(msg string) string {
	h, _, _ := strings.Cut(msg, "\n\n")
	return h + "\n"
}

// TestARFFeedIdempotent: an mbox retried with its key is stored once.
func TestARFFeedIdempotent(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Mail Co", 100)
	body := mbox(feedbackReport("\n", arfFields("abuse"), "", spam("https://colis-bloque.example/p")),
		feedbackReport("\n", arfFields("opt-out"), "", spam("https://colis-bloque.example/p")))
	r2 := e.retried("/api/v1/arf", tok, "application/mbox", body, "fbl-2026-03-14")
	var ans api.BatchAnswer
	r2.json(t, &ans)
	g := e.do("GET", ans.Items[0].StatusURL, tok, "", nil)
	var out api.ReportOut
	g.json(t, &out)
	if out.Count != 1 {
		t.Errorf("count %d after a retry, want 1", out.Count)
	}
	wantType(t, e.do("POST", "/api/v1/arf", tok, "application/mbox", body[:len(body)/2], "Idempotency-Key", "fbl-2026-03-14"),
		http.StatusUnprocessableEntity, "idempotency-key-reused")
}

// xarfReport is an X-ARF v4 content/phishing report of url.
func xarfReport(id, url string) map[string]any {
	return map[string]any{
		"xarf_version": "4.0.0", "report_id": id, "timestamp": "2026-03-14T08:00:00Z",
		"reporter":          map[string]any{"org": "Abuse Desk", "contact": "abuse@desk.example", "domain": "desk.example"},
		"sender":            map[string]any{"org": "Abuse Desk", "contact": "abuse@desk.example", "domain": "desk.example"},
		"source_identifier": "203.0.113.9", "category": "content", "type": "phishing", "url": url,
		"evidence_source": "user_complaint",
	}
}

// TestXARFFeed: one object, an array, NDJSON; v3 converted; a schema
// violation refused with its JSON path, the others filed.
func TestXARFFeed(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Abuse Desk", 1000)
	one := xarfReport("5f0e3b52-2f1a-4c53-9d2a-0b7c1f6a1e01", "https://banque-verif.example/login")
	ans := e.feed("/api/v1/xarf", tok, "application/json", mustJSON(one))
	if statuses(ans) != "filed" {
		t.Fatalf("one: %+v", ans)
	}
	g := e.do("GET", ans.Items[0].StatusURL, tok, "", nil)
	var out api.ReportOut
	g.json(t, &out)
	if out.Category != "phishing" || out.Sources[0].Channel != "xarf" || out.Sources[0].ExternalID != "5f0e3b52-2f1a-4c53-9d2a-0b7c1f6a1e01" {
		t.Errorf("read back %+v", out)
	}

	noURL := xarfReport("5f0e3b52-2f1a-4c53-9d2a-0b7c1f6a1e03", "")
	delete(noURL, "url")
	v3 := map[string]any{
		"Version": "3", "ReporterInfo": map[string]any{"ReporterOrg": "Old Desk", "ReporterOrgEmail": "abuse@old.example"},
		"Report": map[string]any{"ReportClass": "Content", "ReportType": "Phishing", "Date": "2026-03-14T07:00:00Z",
			"Source": map[string]any{"URL": "https://vieux-phish.example/", "IP": "203.0.113.10"}},
	}
	arr := mustJSON([]any{
		xarfReport("5f0e3b52-2f1a-4c53-9d2a-0b7c1f6a1e02", "https://banque-verif.example/login"), // the same page: duplicate
		noURL,
		v3,
		map[string]any{"hello": "world"},
	})
	ans = e.feed("/api/v1/xarf", tok, "application/json", arr)
	if got := statuses(ans); got != "duplicate,refused,filed,refused" {
		t.Fatalf("array: %s", got)
	}
	wantRefused(t, ans, 1, "$.url", "xarf.required")
	wantRefused(t, ans, 3, "$.xarf_version", "xarf.missing_version")
	if !slices.Contains(ans.Items[2].Quirks, "xarf.v3") {
		t.Errorf("v3 item without its quirk: %+v", ans.Items[2])
	}

	nd := ndjson(xarfReport("5f0e3b52-2f1a-4c53-9d2a-0b7c1f6a1e04", "https://autre-phish.example/"), `{"xarf_version":`, "")
	ans = e.feed("/api/v1/xarf", tok, "application/x-ndjson", nd)
	if statuses(ans) != "filed,refused" {
		t.Fatalf("ndjson: %s", statuses(ans))
	}
	wantRefused(t, ans, 1, "$", "xarf.malformed_json")
	// One document that is no JSON: refused as its item.
	ans = e.feed("/api/v1/xarf", tok, "application/json", []byte("From: a@b.example\nX-ARF: YES\n\nbody\n"))
	wantRefused(t, ans, 0, "$", "xarf.unsupported_version")
	wantType(t, e.do("POST", "/api/v1/xarf", tok, "application/json", []byte(`[{}`)), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/xarf", tok, "text/plain", []byte(`{}`)), http.StatusUnsupportedMediaType, "unsupported-media-type")
}

// TestSMSFeed: forwards as an array or NDJSON; the same spam forwarded by
// two subscribers is one report; bad forwards are refused by field.
func TestSMSFeed(t *testing.T) {
	e := newEnv(t)
	_, tok := e.partner("Opérateur", 1000)
	fwd := func(id, sender, text string) map[string]any {
		return map[string]any{"id": id, "sender": sender, "text": text, "received_at": "2026-03-14T08:12:00+01:00", "operator": "Orange"}
	}
	text := "Votre colis est bloqué, payez 1,99 EUR sur https://colis-bloque.example/p?c=1"
	arr := mustJSON([]any{
		fwd("op-1", "+33 6 12 34 56 78", text),
		fwd("op-2", "06 12 34 56 78", strings.Replace(text, "c=1", "c=2", 1)), // the same spam
		fwd("op-3", "AMELI", "Votre carte Vitale expire, renouvelez-la sur https://ameli-renouv.example/"),
		fwd("op-4", "!!!", text),
		map[string]any{"sender": "+33612345678", "text": text, "operator": "Orange"},
		map[string]any{"sender": "+33612345678", "text": text, "operator": "Orange", "received_at": "2026-03-14T08:12:00Z", "subscriber": "+33699999999"},
		fwd("op-7", "+33612345678", text+" (2999-01-01)"),
	})
	arr = bytes.Replace(arr, []byte(`"op-7","operator":"Orange","received_at":"2026-03-14T08:12:00+01:00"`), []byte(`"op-7","operator":"Orange","received_at":"2999-01-01T00:00:00Z"`), 1)
	ans := e.feed("/api/v1/sms", tok, "application/json", arr)
	if statuses(ans) != "filed,duplicate,filed,refused,refused,refused,refused" {
		for _, it := range ans.Items {
			t.Logf("%d %s %+v", it.Index, it.Status, it.Problem)
		}
		t.Fatalf("sms: %s", statuses(ans))
	}
	if ans.Items[1].Ref != ans.Items[0].Ref || ans.Items[1].Count != 2 {
		t.Errorf("duplicate %+v of %+v", ans.Items[1], ans.Items[0])
	}
	wantRefused(t, ans, 3, "sender", "intake.bad_sender")
	wantRefused(t, ans, 4, "received_at", "intake.required")
	wantRefused(t, ans, 5, "subscriber", "intake.bad_json")
	wantRefused(t, ans, 6, "received_at", "intake.bad_time")
	g := e.do("GET", ans.Items[0].StatusURL, tok, "", nil)
	var out api.ReportOut
	g.json(t, &out)
	if out.Count != 2 || len(out.Sources) != 2 || out.Sources[0].Channel != "sms" || out.Sources[1].ExternalID != "op-2" {
		t.Errorf("read back %+v", out)
	}
	ans = e.feed("/api/v1/sms", tok, "application/x-ndjson", ndjson(fwd("op-8", "38015", "Code de connexion 123456, ne le donnez à personne"), "{"))
	if statuses(ans) != "filed,refused" {
		t.Errorf("ndjson: %s", statuses(ans))
	}
	wantType(t, e.do("POST", "/api/v1/sms", tok, "application/json", mustJSON(fwd("x", "+33612345678", text))), http.StatusBadRequest, "invalid")
	wantType(t, e.do("POST", "/api/v1/sms", tok, "application/json", []byte(`[]`)), http.StatusBadRequest, "invalid")
}

// TestFeedsRefuse: every feed route refuses a missing token, a token
// without reports:write, a cookie, a spent rate and a body too large.
func TestFeedsRefuse(t *testing.T) {
	e := newEnv(t)
	_, ro := e.partner("Lecteur", 100, partner.ScopeReportsRead)
	for _, rt := range []struct{ path, ctype string }{
		{"/api/v1/arf", "application/mbox"}, {"/api/v1/xarf", "application/x-ndjson"}, {"/api/v1/sms", "application/x-ndjson"},
	} {
		_, tok := e.partner("P "+rt.path, 1)
		body := []byte("{}\n")
		wantType(t, e.do("POST", rt.path, "", rt.ctype, body), http.StatusUnauthorized, "unauthenticated")
		wantType(t, e.do("POST", rt.path, ro, rt.ctype, body), http.StatusForbidden, "forbidden")
		wantType(t, e.do("POST", rt.path, tok, rt.ctype, body, "Cookie", "a=b"), http.StatusBadRequest, "invalid")
		e.do("POST", rt.path, tok, rt.ctype, body)
		r := e.do("POST", rt.path, tok, rt.ctype, body)
		wantType(t, r, http.StatusTooManyRequests, "rate-limited")
		_, big := e.partner("Gros "+rt.path, 100)
		huge := bytes.Repeat([]byte("x\n"), 3<<20)
		wantType(t, e.do("POST", rt.path, big, rt.ctype, huge), http.StatusRequestEntityTooLarge, "too-large")
		wantType(t, e.do("POST", rt.path, big, rt.ctype, body, "Idempotency-Key", "a b"), http.StatusBadRequest, "invalid")
		wantType(t, e.do("POST", rt.path, big, "text/csv", body), http.StatusUnsupportedMediaType, "unsupported-media-type")
		// A key used again with another body.
		wantStatus(t, e.do("POST", rt.path, big, rt.ctype, body, "Idempotency-Key", "k-"+rt.path), http.StatusOK)
		wantType(t, e.do("POST", rt.path, big, rt.ctype, append(body, body...), "Idempotency-Key", "k-"+rt.path), http.StatusUnprocessableEntity, "idempotency-key-reused")
	}
	// More than report.MaxBatch forwards: refused whole.
	_, tok := e.partner("Lot", 100)
	var b bytes.Buffer
	for i := range 10001 {
		fmt.Fprintf(&b, "{\"sender\":\"+33612345678\",\"text\":\"t %d\",\"operator\":\"o\",\"received_at\":\"2026-03-14T08:00:00Z\"}\n", i)
	}
	wantType(t, e.do("POST", "/api/v1/sms", tok, "application/x-ndjson", b.Bytes()), http.StatusBadRequest, "invalid")
}
