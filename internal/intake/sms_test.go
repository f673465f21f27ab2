package intake_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/report"
)

var smsNow = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func TestCanonicalSender(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
		kind      intake.SenderKind
		ok        bool
	}{
		{"+33 6 12 34 56 78", "+33612345678", intake.SenderNumber, true},
		{"06 12 34 56 78", "+33612345678", intake.SenderNumber, true},
		{"0033612345678", "+33612345678", intake.SenderNumber, true},
		{"38015", "short:38015", intake.SenderShortCode, true},
		{"36 179", "short:36179", intake.SenderShortCode, true},
		{"AMELI", "alpha:AMELI", intake.SenderAlphanumeric, true},
		{"  La Poste ", "alpha:LA POSTE", intake.SenderAlphanumeric, true},
		{"Info-Colis2", "alpha:INFO-COLIS2", intake.SenderAlphanumeric, true},
		{"+999 123", "digits:+999123", intake.SenderUnknown, true},
		{"", "", "", false},
		{"TwelveLetter", "", "", false},
		{"Ämeli", "", "", false},
		{"a\x00b", "", "", false},
		{"<script>", "", "", false},
	} {
		c, k, ok := intake.CanonicalSender(tc.in)
		if c != tc.canon || k != tc.kind || ok != tc.ok {
			t.Errorf("%q: %q %q %v, want %q %q %v", tc.in, c, k, ok, tc.canon, tc.kind, tc.ok)
		}
	}
}

func sms(sender, text string) intake.SMS {
	return intake.SMS{ID: "op-1", Sender: sender, Text: text, ReceivedAt: smsNow.Add(-time.Hour), Operator: "Orange"}
}

func TestFromSMS(t *testing.T) {
	text := "Votre colis n° 8812345 est bloqué. Réglez 1,99 EUR : https://colis-suivi.example.com/p?c=8812345"
	it, err := intake.FromSMS(sms("06 12 34 56 78", text), smsNow)
	if err != nil {
		t.Fatal(err)
	}
	if it.Input.Category != report.CatSpam || !it.Filed() || it.Source.Channel != intake.ChannelSMS || it.Source.Reporter != "Orange" ||
		it.Source.ID != "op-1" || it.Source.SenderKind != intake.SenderNumber || !it.Source.Received.Equal(smsNow.Add(-time.Hour)) {
		t.Errorf("%+v", it)
	}
	seen := report.Harmonise(it.Input.Seen)
	keys := map[string]bool{}
	for _, s := range seen {
		keys[s.Key] = true
	}
	if !keys["phone:+33612345678"] || !keys["url:https://colis-suivi.example.com/p?c=8812345"] {
		t.Errorf("keys %v", keys)
	}
	// The same spam to another subscriber (another tracking number, written
	// in national or international form, at another time, forwarded by
	// another operator): one key.
	other := sms("+33612345678", strings.ReplaceAll(text, "8812345", "9900411"))
	other.ReceivedAt, other.Operator, other.ID = smsNow.Add(-5*time.Hour), "Free", "f-77"
	it2, err := intake.FromSMS(other, smsNow)
	if err != nil {
		t.Fatal(err)
	}
	if it.ContentKey != it2.ContentKey {
		t.Error("one spam, two subscribers: two keys")
	}
	// Another sender, another text, another link: another key each.
	for _, o := range []intake.SMS{
		sms("07 11 22 33 44", text),
		sms("06 12 34 56 78", "Votre compte CPF expire : https://cpf-droits.example.net/"),
		sms("06 12 34 56 78", strings.ReplaceAll(text, "colis-suivi.example.com", "colis-relais.example.org")),
	} {
		x, err := intake.FromSMS(o, smsNow)
		if err != nil {
			t.Fatal(err)
		}
		if x.ContentKey == it.ContentKey {
			t.Errorf("%+v: the same key", o)
		}
	}
}

// TestSMSSenderKept: a short code or a sender ID is kept as a value,
// flagged invalid by the pipeline's harmonisation, not dropped; the
// report files.
func TestSMSSenderKept(t *testing.T) {
	for _, sender := range []string{"38015", "AMELI"} {
		it, err := intake.FromSMS(sms(sender, "Remboursement en attente : https://ameli-remb.example.com/"), smsNow)
		if err != nil {
			t.Fatal(err)
		}
		seen := report.Harmonise(it.Input.Seen)
		if len(seen) < 2 || seen[0].Channel != "phone" || seen[0].Input != sender || seen[0].Valid || seen[0].Reason == "" {
			t.Errorf("%s: %+v", sender, seen)
		}
		if it.Source.SenderKind == intake.SenderNumber {
			t.Errorf("%s: kind %s", sender, it.Source.SenderKind)
		}
	}
	a, _ := intake.FromSMS(sms("38015", "x https://a.example.com/"), smsNow)
	b, _ := intake.FromSMS(sms("38016", "x https://a.example.com/"), smsNow)
	if a.ContentKey == b.ContentKey {
		t.Error("two short codes, one key")
	}
}

func TestSMSProblems(t *testing.T) {
	long := strings.Repeat("é", report.MaxSMSLen+1)
	for _, tc := range []struct {
		s           intake.SMS
		code, field string
	}{
		{sms("", "x"), intake.CodeRequired, "sender"},
		{sms("$$$", "x"), intake.CodeBadSender, "sender"},
		{sms("AMELI", " "), intake.CodeRequired, "text"},
		{sms("AMELI", long), intake.CodeTooLong, "text"},
		{intake.SMS{Sender: "AMELI", Text: "x", ReceivedAt: smsNow}, intake.CodeRequired, "operator"},
		{intake.SMS{Sender: "AMELI", Text: "x", Operator: "SFR"}, intake.CodeRequired, "received_at"},
		{intake.SMS{Sender: "AMELI", Text: "x", Operator: "SFR", ReceivedAt: smsNow.Add(2 * time.Hour)}, intake.CodeBadTime, "received_at"},
	} {
		_, err := intake.FromSMS(tc.s, smsNow)
		var pe *intake.ProblemError
		if !errors.As(err, &pe) || pe.Code != tc.code || pe.Field != tc.field || !errors.Is(err, guichet.ErrInvalid) {
			t.Errorf("%+v: %v, want %s at %s", tc.s, err, tc.code, tc.field)
		}
	}
}

// TestReadSMS: a batch as a JSON array or as NDJSON; a bad forward is
// refused with its index and field, the others converted.
func TestReadSMS(t *testing.T) {
	good := `{"id":"o-1","sender":"0612345678","text":"Colis : https://c.example.com/x","received_at":"2026-12-03T09:12:00+01:00","operator":"Orange"}`
	lines := []string{
		good,
		`{"sender":"0612345678","text":"x","received_at":"2026-12-03T09:12:00Z","operator":"Orange","subscriber":"0699999999"}`,
		`{"sender":"0612345678","text":"x","received_at":"hier","operator":"Orange"}`,
		`{"sender":612345678,"text":"x","received_at":"2026-12-03T09:12:00Z","operator":"Orange"}`,
		`[1]`,
		strings.Replace(good, "o-1", "o-2", 1),
	}
	want := []struct{ code, field string }{{}, {intake.CodeBadJSON, "subscriber"}, {intake.CodeBadTime, "received_at"}, {intake.CodeBadJSON, "sender"}, {intake.CodeBadJSON, ""}, {}}
	for name, body := range map[string]string{"ndjson": strings.Join(lines, "\n") + "\n", "array": "[" + strings.Join(lines, ",\n") + "]"} {
		res, err := intake.ReadSMS(strings.NewReader(body), smsNow)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res) != len(lines) {
			t.Fatalf("%s: %d results", name, len(res))
		}
		for i, r := range res {
			if r.Index != i+1 {
				t.Errorf("%s %d: index %d", name, i, r.Index)
			}
			if want[i].code == "" {
				if r.Err != nil || r.Item.ContentKey == "" {
					t.Errorf("%s %d: %v", name, i, r.Err)
				}
				continue
			}
			var pe *intake.ProblemError
			if !errors.As(r.Err, &pe) || pe.Code != want[i].code || pe.Field != want[i].field || pe.Index != i+1 {
				t.Errorf("%s %d: %v, want %s at %q", name, i, r.Err, want[i].code, want[i].field)
			}
		}
		if res[0].Item.ContentKey != res[5].Item.ContentKey {
			t.Errorf("%s: one spam, two keys", name)
		}
	}
	for _, body := range []string{"", "  \n", "[", "[1,", fmt.Sprintf("[%s]", strings.TrimSuffix(strings.Repeat(good+",", intake.MaxBatch+1), ","))} {
		_, err := intake.ReadSMS(strings.NewReader(body), smsNow)
		var pe *intake.ProblemError
		if !errors.As(err, &pe) {
			t.Errorf("%.40q: %v", body, err)
		}
	}
	// In NDJSON a broken line is that forward's problem, not the batch's.
	res, err := intake.ReadSMS(strings.NewReader("{not json\n"+good+"\n"), smsNow)
	var pe *intake.ProblemError
	if err != nil || len(res) != 2 || !errors.As(res[0].Err, &pe) || pe.Code != intake.CodeBadJSON || res[1].Err != nil {
		t.Errorf("ndjson with a broken line: %v %+v", err, res)
	}
}
