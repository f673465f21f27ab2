package intake_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/report"
)

var parcel = intake.Campaign{
	Subject: "%s, votre colis est bloqué",
	Link:    "https://colis-suivi.example.com/paiement",
	Phone:   "01 23 45 67 89",
	From:    "Service Colis <suivi@colis-suivi.example.com>",
	Start:   time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
}

func convertARF(t testing.TB, msg string) intake.Item {
	t.Helper()
	r, err := arf.Parse(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	it, err := intake.FromARF(r, smsNow)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func seenValues(it intake.Item) []string {
	var out []string
	for _, s := range it.Input.Seen {
		out = append(out, s.Channel+"="+s.Value)
	}
	return out
}

// checkNoRecipient fails when copy i's recipient — address, local part,
// first or last name — is among the values or in the description.
func checkNoRecipient(t *testing.T, i int, it intake.Item) {
	t.Helper()
	msg := parcel.Copy(i)
	_, rest, _ := strings.Cut(msg, "Original-Rcpt-To: <")
	addr, _, _ := strings.Cut(rest, ">")
	_, rest, _ = strings.Cut(msg, "\nTo: \"")
	name, _, _ := strings.Cut(rest, "\"")
	local, _, _ := strings.Cut(addr, "@")
	words := append(strings.Fields(name), addr, local)
	all := strings.ToLower(strings.Join(append(seenValues(it), it.Input.Description, it.Source.ID, it.Source.Reporter), "\n"))
	for _, w := range words {
		if strings.Contains(all, strings.ToLower(w)) {
			t.Errorf("copy %d: the recipient's %q is in the item:\n%s", i, w, all)
		}
	}
	if addr == "" || name == "" {
		t.Fatalf("copy %d: the fixture names no recipient", i)
	}
}

// TestARFDifferentMessages: what makes two spams different gives two keys.
func TestARFDifferentMessages(t *testing.T) {
	base := convertARF(t, parcel.Copy(1)).ContentKey
	variants := map[string]intake.Campaign{}
	v := parcel
	v.Subject = "Dernier rappel : votre colis"
	variants["subject"] = v
	v = parcel
	v.Link = "https://colis-relais.example.net/paiement"
	variants["link host"] = v
	v = parcel
	v.Link = "https://colis-suivi.example.com/frais"
	variants["link path"] = v
	v = parcel
	v.Phone = "01 98 76 54 32"
	variants["phone"] = v
	v = parcel
	v.From = "Service Colis <contact@livraison.example.org>"
	variants["from"] = v
	seen := map[string]string{base: "base"}
	for name, c := range variants {
		k := convertARF(t, c.Copy(1)).ContentKey
		if other, dup := seen[k]; dup {
			t.Errorf("%s: same key as %s", name, other)
		}
		seen[k] = name
	}
	// The same variant twice, to other recipients: one key.
	v = parcel
	v.Phone = "01 98 76 54 32"
	if a, b := convertARF(t, v.Copy(3)).ContentKey, convertARF(t, v.Copy(4444)).ContentKey; a != b {
		t.Errorf("two copies of a variant: %s ≠ %s", a, b)
	}
}

// arfOf is a minimal feedback report of the given type and extra fields.
func arfOf(ft, fields, original string) string {
	return "From: fbl@example.org\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n" +
		"--b\nContent-Type: text/plain\n\nA report.\n\n" +
		"--b\nContent-Type: message/feedback-report\n\nFeedback-Type: " + ft + "\nUser-Agent: T/1\nVersion: 1\n" + fields + "\n" +
		"--b\nContent-Type: message/rfc822\n\n" + original + "\n--b--\n"
}

const plainSpam = "From: Promo <promo@offre.example.com>\nTo: victime@example.fr\nSubject: Gagnez\n\nCliquez http://gain.example.com/x\n"

func TestARFFeedbackTypes(t *testing.T) {
	for _, tc := range []struct {
		ft   string
		cat  report.Category
		disp intake.Disposition
		why  string
		lane report.Lane
	}{
		{"abuse", report.CatSpam, intake.File, "", report.LaneNormal},
		{"fraud", report.CatPhishing, intake.File, "", report.LaneNormal},
		{"virus", report.CatOther, intake.File, "", report.LaneNormal},
		{"other", report.CatOther, intake.File, "", report.LaneNormal},
		{"auth-failure", report.CatPhishing, intake.File, "", report.LaneReview},
		{"not-spam", "", intake.Count, "intake.not_spam", report.LaneNormal},
		{"opt-out", "", intake.Count, "intake.opt_out", report.LaneNormal},
	} {
		it := convertARF(t, arfOf(tc.ft, "Source-IP: 192.0.2.7\n", plainSpam))
		if it.Input.Category != tc.cat || it.Disposition != tc.disp || it.Why != tc.why || it.Input.Lane != tc.lane {
			t.Errorf("%s: category %q disposition %q why %q lane %q", tc.ft, it.Input.Category, it.Disposition, it.Why, it.Input.Lane)
		}
		if it.Filed() != (tc.disp == intake.File) {
			t.Errorf("%s: Filed %v", tc.ft, it.Filed())
		}
		if !it.Filed() && report.Validate(&it.Input, time.Now()) == nil {
			t.Errorf("%s: a counted item's input passes validation: it could be filed by mistake", tc.ft)
		}
		if !strings.Contains(it.Input.Description, "("+tc.ft+")") {
			t.Errorf("%s: description %q", tc.ft, it.Input.Description)
		}
	}
}

// TestARFBodyDecoded: links in quoted-printable and base64 parts, text and
// HTML, become values; the recipient named in the body does not.
func TestARFBodyDecoded(t *testing.T) {
	orig := "From: <x@spam.example.com>\nTo: Lucie Fabre <lucie.fabre@example.fr>\nSubject: Lucie, offre\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=a\n\n" +
		"--a\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nVoir https://qp.example=\n.com/offre=3Fa et =C3=A9crire =C3=A0 lucie.fabre@example.fr\n" +
		"--a\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\nPGEgaHJlZj0iaHR0cHM6Ly9iNjQuZXhhbXBsZS5vcmcvcGFnZSI+aWNpPC9hPg==\n--a--\n"
	it := convertARF(t, arfOf("fraud", "Original-Rcpt-To: lucie.fabre@example.fr\n", orig))
	vals := strings.Join(seenValues(it), " ")
	for _, want := range []string{"url=https://qp.example.com/offre?a", "url=https://b64.example.org/page", "email=x@spam.example.com"} {
		if !strings.Contains(vals, want) {
			t.Errorf("values %s lack %s", vals, want)
		}
	}
	all := strings.ToLower(vals + " " + it.Input.Description)
	for _, w := range []string{"lucie", "fabre"} {
		if strings.Contains(all, w) {
			t.Errorf("%q in %s", w, all)
		}
	}
	if !strings.Contains(it.Input.Description, "[destinataire], offre") {
		t.Errorf("description %q", it.Input.Description)
	}
}

// TestARFNothingToFile: a report with no original, no reported URI and no
// Source-IP names nothing: a typed problem, not an item.
func TestARFNothingToFile(t *testing.T) {
	msg := "From: fbl@example.org\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\n\n--b\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n--b--\n"
	r, err := arf.Parse(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	_, err = intake.FromARF(r, smsNow)
	var pe *intake.ProblemError
	if !errors.As(err, &pe) || pe.Code != intake.CodeNoValue || !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("err %v", err)
	}
}

// TestARFMboxProblems: a broken message in an mbox is refused with its
// index; those around it are converted.
func TestARFMboxProblems(t *testing.T) {
	var b bytes.Buffer
	parcel.WriteMbox(&b, 0, 1)
	b.WriteString("From x Mon Dec  1 08:00:00 2026\nSubject: not a report\n\nhello\n\n")
	b.WriteString("From x Mon Dec  1 08:00:00 2026\n" + arfOf("abuse", "", "Subject: nothing\n\nno link") + "\n")
	parcel.WriteMbox(&b, 1, 1)
	res := intake.ReadARF(arf.Options{}, &b, smsNow)
	if len(res) != 4 {
		t.Fatalf("%d results", len(res))
	}
	var ape *arf.ProblemError
	var ipe *intake.ProblemError
	if res[0].Err != nil || res[3].Err != nil {
		t.Errorf("good messages: %v, %v", res[0].Err, res[3].Err)
	}
	if !errors.As(res[1].Err, &ape) || ape.Index != 2 || ape.Code != arf.CodeNotMultipartReport {
		t.Errorf("message 2: %v", res[1].Err)
	}
	if !errors.As(res[2].Err, &ipe) || ipe.Index != 3 || ipe.Code != intake.CodeNoValue {
		t.Errorf("message 3: %v", res[2].Err)
	}
	if res[0].Item.ContentKey != res[3].Item.ContentKey {
		t.Error("two copies, two keys")
	}
}

// TestARFTooManyValues: values beyond report.MaxSeen are counted as
// dropped, and the item still files.
func TestARFTooManyValues(t *testing.T) {
	var body strings.Builder
	for i := range 30 {
		body.WriteString("https://site" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ".example.com/p\n")
	}
	it := convertARF(t, arfOf("abuse", "", "Subject: many\n\n"+body.String()))
	if len(it.Input.Seen) != report.MaxSeen || it.Dropped != 30-report.MaxSeen {
		t.Errorf("%d values, %d dropped", len(it.Input.Seen), it.Dropped)
	}
}

// TestARFFutureArrival: a sender's clock astray (an Arrival-Date days
// ahead) does not refuse the report: the seen-on time is dropped, noted.
func TestARFFutureArrival(t *testing.T) {
	r, err := arf.Parse(strings.NewReader(arfOf("abuse", "Arrival-Date: Thu, 10 Dec 2026 08:00:00 +0000\n", plainSpam)))
	if err != nil {
		t.Fatal(err)
	}
	it, err := intake.FromARF(r, smsNow)
	if err != nil {
		t.Fatal(err)
	}
	if !it.Input.SeenOn.IsZero() || !slices.Contains(it.Source.Quirks, "intake.seen_on_future") {
		t.Errorf("seen on %v, quirks %v", it.Input.SeenOn, it.Source.Quirks)
	}
	if v := report.Validate(&it.Input, smsNow); v != nil {
		t.Errorf("%+v", v.Fields)
	}
}
