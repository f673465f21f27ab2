// Package intake turns machine reports — ARF feedback reports (read by
// internal/arf), X-ARF reports (internal/xarf) and 33700-style SMS-spam
// forwards — into Items: the report.Input that report.Service.Submit
// files like a report typed into the public form, where it came from, and
// a ContentKey that says which items are the same message reported many
// times, so that the partner API can collapse them into one report with a
// counter.
//
// The package reads what it is given and stores nothing: it does no I/O
// beyond its readers, holds no state and logs nothing. It never puts the
// recipient of a reported message (the person who complained, the victim)
// into an Item: not among the values, not in the description, not in the
// ContentKey's material.
//
// Every refusal is typed: an *arf.ProblemError or *xarf.ProblemError from
// the parsers, or a *ProblemError of this package; all wrap
// guichet.ErrInvalid.
package intake

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// Channel is the feed an item came through.
type Channel string

// The channels of machine intake.
const (
	ChannelARF  Channel = "arf"
	ChannelXARF Channel = "xarf"
	ChannelSMS  Channel = "sms"
)

// Disposition says what the pipeline does with an item.
type Disposition string

const (
	// File: a report of an offence, to be filed with
	// report.Service.Submit (after deduplication on ContentKey).
	File Disposition = "file"
	// Count: not a report of an offence (an ARF "not-spam" or "opt-out"
	// feedback). It MUST NOT be filed; the partner API counts it for the
	// sending partner and answers it as accepted. Its Input has no
	// category, so that Submit refuses it if it is filed by mistake; its
	// values are kept so that a reader can weigh them (a "not-spam" names
	// a sender the recipient trusts).
	Count Disposition = "count"
)

// Source is where an item came from. It holds no personal data of the
// recipient.
type Source struct {
	Channel Channel
	// ID is the sender's own identifier of the report when it gives one:
	// an X-ARF report_id, an ARF Original-Envelope-Id, an SMS forward's id;
	// empty otherwise.
	ID string
	// Received is when the reported message was received or the report
	// made, as the sender says: an ARF Arrival-Date, an X-ARF timestamp,
	// an SMS forward's received_at. Zero when the sender does not say.
	Received time.Time
	// Reporter names the reporting organisation or system as it names
	// itself: the ARF Reporting-MTA (or User-Agent), the X-ARF reporter's
	// org, the SMS forward's operator.
	Reporter string
	// Type is the feed's own type of the report: "abuse" (an ARF
	// Feedback-Type), "content/phishing" (an X-ARF category/type),
	// "sms_spam".
	Type string
	// Incidents is how many incidents the item stands for (an ARF
	// Incidents field); 1 when the sender does not say.
	Incidents int
	// SenderKind is, for an SMS, what its sender is (a number, a short
	// code, an alphanumeric sender ID); empty for other channels.
	SenderKind SenderKind
	// Quirks lists, as stable codes, what a lenient reader forgave or a
	// converter assumed ("arf.quirk.no_version", "xarf.v3", …).
	Quirks []string
}

// Item is what one machine report becomes.
type Item struct {
	// Input is the report to file. When Disposition is File, it passes
	// report.Validate.
	Input       report.Input
	Source      Source
	Disposition Disposition
	// Why is, for Disposition Count, a stable code saying why the item is
	// not filed ("intake.not_spam", "intake.opt_out"); empty otherwise.
	Why string
	// ContentKey identifies the canonical content of the reported
	// message, so that the same message reported many times — one spam
	// sent to ten thousand recipients, forwarded by each — gives one key,
	// and two different messages two keys. It is "<channel>.v1:" and the
	// hexadecimal SHA-256 of the material the channel's converter
	// documents (FromARF, FromXARF, FromSMS); it never depends on who
	// received or reported the message, nor when. Empty when the item
	// holds nothing to compare (an ARF report without the reported
	// message, its headers or a reported URI): such an item MUST NOT be
	// merged with another.
	ContentKey string
	// Dropped counts the values found beyond what one report holds
	// (report.MaxSeen, report.MaxValueLen): found, not filed.
	Dropped int
}

// Filed reports whether the item is to be filed.
func (it Item) Filed() bool { return it.Disposition == File }

// The codes of the problems this package reports.
const (
	CodeNoValue     = "intake.no_value"    // nothing the report could be filed on
	CodeBadJSON     = "intake.bad_json"    // an SMS forward that is not the documented JSON
	CodeRequired    = "intake.required"    // a required field is missing
	CodeBadSender   = "intake.bad_sender"  // an SMS sender that is no number, short code or sender ID
	CodeTooLong     = "intake.too_long"    // a field longer than allowed
	CodeBadTime     = "intake.bad_time"    // a time that is not RFC 3339, or in the future
	CodeBatchTooBig = "intake.batch_large" // a batch of more than MaxBatch forwards
)

// ProblemError is why an item could not be made: a stable Code, the Field
// at fault ("sender", "$[3].text") when there is one, a Message in English
// for people that never quotes the content, and, in a batch or an mbox,
// the item's 1-based Index. It wraps guichet.ErrInvalid.
type ProblemError struct {
	Code    string
	Field   string
	Message string
	Index   int
}

func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("intake: ")
	if e.Index > 0 {
		fmt.Fprintf(&b, "item %d: ", e.Index)
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	fmt.Fprintf(&b, "%s (%s)", e.Message, e.Code)
	return b.String()
}

// Unwrap makes errors.Is(err, guichet.ErrInvalid) true.
func (e *ProblemError) Unwrap() error { return guichet.ErrInvalid }

func problem(code, field, format string, args ...any) *ProblemError {
	return &ProblemError{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// values collects the Seen values of an item: each once, at most
// report.MaxSeen, each at most report.MaxValueLen bytes; the rest counted
// as dropped.
type values struct {
	seen    []report.SeenInput
	keys    map[string]bool
	dropped int
}

// add adds indicator x under the report channel its kind belongs to.
// Domains and IP addresses go under "url" (the report's channels are the
// form's, which has neither): the key is then the URL of the host's root,
// the same as a report of a page at that address. Invalid values are kept
// (flagged by report.Harmonise), but once each.
func (v *values) add(x indicator.Indicator) {
	ch := channelOf(x.Kind)
	if ch == "" || strings.TrimSpace(x.Input) == "" {
		return
	}
	k := x.Key()
	if k == "" {
		k = "invalid:" + string(x.Kind) + ":" + x.Input
	}
	if v.keys == nil {
		v.keys = map[string]bool{}
	}
	if v.keys[k] {
		return
	}
	v.keys[k] = true
	value := x.Input
	if x.Valid && (x.Kind == indicator.KindDomain || x.Kind == indicator.KindIP) {
		value = x.Canonical
		if x.Kind == indicator.KindIP && strings.Contains(value, ":") {
			value = "[" + value + "]"
		}
	}
	if len(v.seen) >= report.MaxSeen || len(value) > report.MaxValueLen {
		v.dropped++
		return
	}
	v.seen = append(v.seen, report.SeenInput{Channel: ch, Value: value})
}

// addRaw adds a value typed by channel (an SMS's text, its sender).
func (v *values) addRaw(channel, value string) {
	if len(v.seen) >= report.MaxSeen {
		v.dropped++
		return
	}
	v.seen = append(v.seen, report.SeenInput{Channel: channel, Value: value})
}

func channelOf(k indicator.Kind) string {
	switch k {
	case indicator.KindURL, indicator.KindDomain, indicator.KindIP:
		return "url"
	case indicator.KindEmail:
		return "email"
	case indicator.KindPhone:
		return "phone"
	case indicator.KindIBAN:
		return "iban"
	case indicator.KindBitcoin, indicator.KindEthereum:
		return "crypto"
	}
	return ""
}

// check makes a filed item's input one report.Validate accepts at now, or
// returns the problem: a seen-on time in the future (a sender's clock
// astray) is dropped, as not said, and noted as the quirk
// "intake.seen_on_future"; nothing to file it on is CodeNoValue.
func check(it *Item, now time.Time) error {
	if it.Input.SeenOn.After(now.Add(time.Hour)) {
		it.Input.SeenOn = time.Time{}
		it.Source.Quirks = append(slices.Clip(it.Source.Quirks), "intake.seen_on_future")
	}
	if it.Disposition != File {
		return nil
	}
	if v := report.Validate(&it.Input, now); v != nil {
		if _, ok := v.For("seen"); ok {
			return problem(CodeNoValue, "", "the report names no link, address, number or host to file it on")
		}
		return problem(CodeNoValue, v.Fields[0].Field, "the converted report is refused (%s)", v.Fields[0].Key)
	}
	return nil
}

// clipRunes cuts s to at most n runes, marking the cut with "…".
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// oneLine makes s one line of single spaces, without control characters.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == ' ' || r == 0x85 || r == 0x2028 || r == 0x2029
	}), " ")
}
