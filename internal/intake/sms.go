package intake

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// SMS is one SMS-spam forward as the partner API takes it (33700-style:
// a subscriber forwards a spam to their operator, who sends it on). Its
// JSON shape is:
//
//	{
//	  "id":          "op-2026-000123",             optional, ≤ 200 characters: the operator's own id
//	  "sender":      "+33612345678",               required: the number, short code ("38015")
//	                                               or alphanumeric sender ID ("AMELI") it came from
//	  "text":        "Votre colis est bloqué …",   required, ≤ 2,000 characters
//	  "received_at": "2026-12-03T09:12:00+01:00",  required, RFC 3339: when the subscriber received it
//	  "reported_at": "2026-12-03T09:20:00+01:00",  optional, RFC 3339: when they forwarded it
//	  "operator":    "Orange"                      required, ≤ 200 characters: the reporting operator
//	}
//
// Any other field is refused: in particular the subscriber's own number is
// not taken (it is the victim's personal data, and a report needs it not).
// A national number ("06 12 34 56 78") is read as French.
type SMS struct {
	ID         string    `json:"id,omitempty"`
	Sender     string    `json:"sender"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
	ReportedAt time.Time `json:"reported_at,omitzero"`
	Operator   string    `json:"operator"`
}

// SenderKind is what an SMS sender is.
type SenderKind string

// The kinds of SMS senders. Short codes and alphanumeric sender IDs are
// real senders (a bank's "38015", "AMELI"): they are kept, flagged, not
// dropped; the report pipeline has no key for them (report.Harmonise
// keeps them as invalid phone values), but the ContentKey holds them.
const (
	SenderNumber       SenderKind = "number"         // a number the numbering plan allocates
	SenderShortCode    SenderKind = "short_code"     // 3 to 8 digits
	SenderAlphanumeric SenderKind = "alphanumeric"   // 1 to 11 letters, digits, spaces or . - _ & ' with a letter
	SenderUnknown      SenderKind = "unknown_number" // digits that are neither: kept as given
)

// CanonicalSender reads an SMS sender: a phone number in E.164 form
// ("+33612345678", by internal/indicator, national numbers read as
// French), a short code ("short:38015"), an alphanumeric sender ID in
// upper case with single spaces ("alpha:AMELI"), or other digits
// ("digits:0099123"). ok is false for anything else (empty, control
// characters, longer than 32 bytes, symbols).
func CanonicalSender(s string) (canonical string, kind SenderKind, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 || !utf8.ValidString(s) {
		return "", "", false
	}
	if x := indicator.Normalize(indicator.KindPhone, s); x.Valid {
		return x.Canonical, SenderNumber, true
	}
	digits := strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, s)
	plus := strings.HasPrefix(digits, "+")
	if allDigits(strings.TrimPrefix(digits, "+")) && len(strings.TrimPrefix(digits, "+")) > 0 {
		d := strings.TrimPrefix(digits, "+")
		if !plus && len(d) >= 3 && len(d) <= 8 {
			return "short:" + d, SenderShortCode, true
		}
		if plus {
			d = "+" + d
		}
		return "digits:" + d, SenderUnknown, true
	}
	letter := false
	for _, r := range s {
		switch {
		case r < 0x80 && unicode.IsLetter(r):
			letter = true
		case r < 0x80 && (unicode.IsDigit(r) || strings.ContainsRune(" .-_&'", r)):
		default:
			return "", "", false
		}
	}
	if !letter || utf8.RuneCountInString(s) > 11 {
		return "", "", false
	}
	return "alpha:" + strings.ToUpper(strings.Join(strings.Fields(s), " ")), SenderAlphanumeric, true
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// FromSMS converts one forward; now bounds its times (a received_at more
// than an hour after now is refused).
//
// Values (Input.Seen): the sender under "phone" (as given; a short code or
// sender ID is kept and flagged invalid by report.Harmonise) and the text
// under "sms" (report.Harmonise indexes the links and numbers in it).
//
// The ContentKey digests the sender's canonical form (CanonicalSender)
// and the text's canonical form (canonText: links as their stems, runs of
// four digits or more as "#"), with the keys of the links and numbers the
// text names; not the id, the times or the operator.
func FromSMS(s SMS, now time.Time) (Item, error) {
	canon, kind, ok := CanonicalSender(s.Sender)
	switch {
	case strings.TrimSpace(s.Sender) == "":
		return Item{}, problem(CodeRequired, "sender", "the sender is required")
	case !ok:
		return Item{}, problem(CodeBadSender, "sender", "the sender is not a phone number, a short code or an alphanumeric sender ID")
	case strings.TrimSpace(s.Text) == "":
		return Item{}, problem(CodeRequired, "text", "the text is required")
	case utf8.RuneCountInString(s.Text) > report.MaxSMSLen:
		return Item{}, problem(CodeTooLong, "text", "the text is longer than %d characters", report.MaxSMSLen)
	case !utf8.ValidString(s.Text):
		return Item{}, problem(CodeBadJSON, "text", "the text is not valid UTF-8")
	case strings.TrimSpace(s.Operator) == "":
		return Item{}, problem(CodeRequired, "operator", "the operator is required")
	case utf8.RuneCountInString(s.Operator) > 200:
		return Item{}, problem(CodeTooLong, "operator", "the operator is longer than 200 characters")
	case utf8.RuneCountInString(s.ID) > 200:
		return Item{}, problem(CodeTooLong, "id", "the id is longer than 200 characters")
	case s.ReceivedAt.IsZero():
		return Item{}, problem(CodeRequired, "received_at", "received_at is required")
	case s.ReceivedAt.After(now.Add(time.Hour)):
		return Item{}, problem(CodeBadTime, "received_at", "received_at is in the future")
	}
	m := newMaterial(ChannelSMS)
	m.part("sender", canon)
	found := indicator.Extract(s.Text)
	m.part("text", canonText(s.Text, found, nil))
	for _, x := range found {
		m.key(keyOf(x))
	}
	var v values
	v.addRaw("phone", strings.TrimSpace(s.Sender))
	v.addRaw("sms", s.Text)
	it := Item{
		Disposition: File,
		ContentKey:  m.sum(ChannelSMS),
		Source: Source{
			Channel:    ChannelSMS,
			ID:         oneLine(s.ID),
			Received:   s.ReceivedAt,
			Reporter:   oneLine(s.Operator),
			Type:       "sms_spam",
			Incidents:  1,
			SenderKind: kind,
		},
		Input: report.Input{
			Category:    report.CatSpam,
			Seen:        v.seen,
			SeenOn:      s.ReceivedAt,
			Description: fmt.Sprintf("Signalement automatique de SMS indésirable, transmis par %s.", clipRunes(oneLine(s.Operator), 100)),
			Lane:        report.LaneNormal,
		},
	}
	if err := check(&it, now); err != nil {
		return Item{}, err
	}
	return it, nil
}

// MaxBatch is the most forwards one batch holds.
const MaxBatch = 10000

// MaxBatchBytes is the largest batch read.
const MaxBatchBytes = 64 << 20

// SMSResult is one forward of a batch: its item, or why it gave none.
type SMSResult struct {
	// Index is the forward's 1-based position in the batch.
	Index int
	Item  Item
	// Err is a *ProblemError, its Index set.
	Err error
}

// ReadSMS reads a batch of forwards — a JSON array of SMS objects, or
// NDJSON (one object a line) — and converts each, a broken one not failing
// the others. The error is for the batch as a whole (not JSON, more than
// MaxBatch forwards or MaxBatchBytes bytes, a read error), with no result.
func ReadSMS(r io.Reader, now time.Time) ([]SMSResult, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBatchBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBatchBytes {
		return nil, problem(CodeBatchTooBig, "", "the batch is larger than %d bytes", MaxBatchBytes)
	}
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(b)
	if bytes.HasPrefix(trimmed, []byte("[")) {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, problem(CodeBadJSON, "", "the batch is not a JSON array of objects")
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 64<<10), MaxBatchBytes)
		for sc.Scan() {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			raws = append(raws, json.RawMessage(bytes.Clone(line)))
			if len(raws) > MaxBatch {
				break
			}
		}
		if err := sc.Err(); err != nil {
			return nil, problem(CodeBadJSON, "", "the batch is not NDJSON")
		}
	}
	if len(raws) == 0 {
		return nil, problem(CodeRequired, "", "the batch holds no forward")
	}
	if len(raws) > MaxBatch {
		return nil, problem(CodeBatchTooBig, "", "the batch holds more than %d forwards", MaxBatch)
	}
	out := make([]SMSResult, len(raws))
	for i, raw := range raws {
		out[i] = SMSResult{Index: i + 1}
		s, err := DecodeSMS(raw)
		if err == nil {
			out[i].Item, err = FromSMS(s, now)
		}
		var pe *ProblemError
		if errors.As(err, &pe) {
			pe.Index = i + 1
		}
		out[i].Err = err
	}
	return out, nil
}

// DecodeSMS reads one forward's JSON object, refusing unknown fields and
// times that are not RFC 3339.
func DecodeSMS(b []byte) (SMS, error) {
	var raw struct {
		ID         *string `json:"id"`
		Sender     *string `json:"sender"`
		Text       *string `json:"text"`
		ReceivedAt *string `json:"received_at"`
		ReportedAt *string `json:"reported_at"`
		Operator   *string `json:"operator"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field != "":
			return SMS{}, problem(CodeBadJSON, ute.Field, "the field must be a string")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return SMS{}, problem(CodeBadJSON, clipRunes(name, 64), "the field is not part of an SMS forward")
		}
		return SMS{}, problem(CodeBadJSON, "", "the forward is not a JSON object")
	}
	if dec.More() {
		return SMS{}, problem(CodeBadJSON, "", "the forward holds more than one JSON value")
	}
	val := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	s := SMS{ID: val(raw.ID), Sender: val(raw.Sender), Text: val(raw.Text), Operator: val(raw.Operator)}
	for _, t := range []struct {
		name string
		in   *string
		out  *time.Time
	}{{"received_at", raw.ReceivedAt, &s.ReceivedAt}, {"reported_at", raw.ReportedAt, &s.ReportedAt}} {
		if t.in == nil || *t.in == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, *t.in)
		if err != nil {
			return SMS{}, problem(CodeBadTime, t.name, "the time is not RFC 3339")
		}
		*t.out = v
	}
	return s, nil
}
