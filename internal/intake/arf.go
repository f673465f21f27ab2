package intake

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// ARFCategory maps each ARF feedback type to the report category it is
// filed under, and says whether it is filed at all:
//
//	abuse        → spam      unsolicited mail a recipient complained of
//	fraud        → phishing  RFC 5965: "some kind of fraud or phishing activity"
//	virus        → other     the report categories have no malware one
//	other        → other
//	auth-failure → phishing  a message that failed SPF/DKIM/DMARC: mail that
//	                         claims a domain it may not use (spoofing); filed
//	                         in the review lane, no person having judged it
//	not-spam     → counted, not filed (Why "intake.not_spam"): the recipient
//	                         says the message is wanted
//	opt-out      → counted, not filed (Why "intake.opt_out"): a request to
//	                         the sender to stop, not a report of an offence
func ARFCategory(t arf.FeedbackType) (report.Category, Disposition, string) {
	switch t {
	case arf.Abuse:
		return report.CatSpam, File, ""
	case arf.Fraud, arf.AuthFailure:
		return report.CatPhishing, File, ""
	case arf.Virus, arf.Other:
		return report.CatOther, File, ""
	case arf.NotSpam:
		return "", Count, "intake.not_spam"
	case arf.OptOut:
		return "", Count, "intake.opt_out"
	}
	return report.CatOther, File, ""
}

// FromARF converts one parsed feedback report received at now.
//
// Values (Input.Seen), each once, at most report.MaxSeen: the original
// message's Reply-To, From and Return-Path addresses and the envelope
// sender, the Reported-Uri and Reported-Domain values, what its body's
// text and HTML parts name (links, addresses, numbers), then the
// Source-IP. The recipients — Original-Rcpt-To and the original's To —
// are never among them, even when the body names them.
//
// The description is a short summary for the analyst: the feedback type,
// the reporting system, the incident count, the subject with the
// recipients' names and addresses removed. It never holds the body.
//
// The ContentKey digests, each part in canonical form (see canonText):
// the From address (digit runs in its local part made "#"), the subject,
// the body's text, and the keys of the values other than the Source-IP
// and the envelope sender (links as their stems); not the Source-IP, the
// envelope sender (Return-Path, Original-Mail-From: often one per copy),
// the dates, the Message-ID, the Received chain or the recipients, which
// differ between copies of one message.
func FromARF(r *arf.Report, now time.Time) (Item, error) {
	cat, disp, why := ARFCategory(r.FeedbackType)
	rcpt := newRecipients(append([]string{r.Original.To}, r.OriginalRcptTo...)...)
	it := Item{
		Disposition: disp,
		Why:         why,
		Source: Source{
			Channel:   ChannelARF,
			Received:  r.ArrivalTime,
			Reporter:  firstOf(r.ReportingMTA, r.UserAgent),
			Type:      string(r.FeedbackType),
			Incidents: max(r.Incidents, 1),
			Quirks:    r.Quirks,
		},
	}
	if len(r.OriginalEnvIDs) > 0 {
		it.Source.ID = clipRunes(oneLine(r.OriginalEnvIDs[0]), 200)
	}
	it.Source.Reporter = clipRunes(oneLine(it.Source.Reporter), 200)

	var v values
	m := newMaterial(ChannelARF)
	addMail := func(a string, inKey bool) {
		if addr := mailAddress(a); addr != "" && !rcpt.has(addr) {
			x := indicator.Normalize(indicator.KindEmail, addr)
			v.add(x)
			if inKey {
				m.key(keyOf(x))
			}
		}
	}
	addMail(r.Original.ReplyTo, true)
	addMail(r.Original.From, true)
	// The envelope sender is often one of its own per copy (VERP:
	// bounce-4711@…): a value, not part of the content.
	addMail(r.Original.ReturnPath, false)
	addMail(r.OriginalMailFrom, false)
	for _, u := range r.ReportedURIs {
		var x indicator.Indicator
		if len(u) > 7 && strings.EqualFold(u[:7], "mailto:") {
			a, _, _ := strings.Cut(u[7:], "?")
			if rcpt.has(a) {
				continue
			}
			x = indicator.Normalize(indicator.KindEmail, a)
		} else {
			x = indicator.Normalize(indicator.KindURL, u)
		}
		v.add(x)
		m.key(keyOf(x))
	}
	for _, d := range r.ReportedDomains {
		x := indicator.Normalize(indicator.KindDomain, d)
		v.add(x)
		m.key(keyOf(x))
	}
	for _, x := range r.Original.Found {
		if x.Kind == indicator.KindEmail && rcpt.has(x.Input) {
			continue
		}
		v.add(x)
		m.key(keyOf(x))
	}
	if r.SourceIP.IsValid() {
		v.add(indicator.Normalize(indicator.KindIP, r.SourceIP.String()))
	}

	from := ""
	if a := mailAddress(r.Original.From); a != "" {
		from = hashDigits(strings.ToLower(a))
	}
	m.part("from", from)
	m.part("subject", canonText(r.Original.Subject, nil, rcpt))
	m.part("body", canonText(r.Original.Text, r.Original.Found, rcpt))
	it.ContentKey = m.sum(ChannelARF)

	seenOn := r.ArrivalTime
	if seenOn.IsZero() {
		seenOn = r.Original.DateTime
	}
	lane := report.LaneNormal
	if r.FeedbackType == arf.AuthFailure {
		lane = report.LaneReview
	}
	it.Input = report.Input{
		Category:    cat,
		Seen:        v.seen,
		SeenOn:      seenOn,
		Description: arfSummary(r, rcpt),
		Lane:        lane,
	}
	it.Dropped = v.dropped
	if err := check(&it, now); err != nil {
		return Item{}, err
	}
	return it, nil
}

// arfSummary is the analyst's summary of a feedback report, in French
// (the desk's language), without the body nor the recipients.
func arfSummary(r *arf.Report, rcpt recipients) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Signalement automatique ARF (%s)", r.FeedbackType)
	if s := firstOf(r.UserAgent, r.ReportingMTA); s != "" {
		fmt.Fprintf(&b, ", émis par %s", clipRunes(oneLine(s), 100))
	}
	if r.Incidents > 1 {
		fmt.Fprintf(&b, ", %d incidents", r.Incidents)
	}
	b.WriteString(".")
	if s := redact(r.Original.Subject, rcpt); s != "" {
		fmt.Fprintf(&b, " Objet\u202f: «\u202f%s\u202f».", clipRunes(s, 200))
	}
	if r.Auth.AuthFailure != "" {
		fmt.Fprintf(&b, " Échec d’authentification\u202f: %s.", clipRunes(oneLine(r.Auth.AuthFailure), 40))
	}
	if r.Original.HeadersOnly {
		b.WriteString(" En-têtes seuls, sans le corps du message.")
	}
	return b.String()
}

// redact is s on one line with the recipients' addresses and names
// replaced by "[destinataire]", matched without regard to case.
func redact(s string, rcpt recipients) string {
	s = oneLine(s)
	lower := strings.ToLower(s)
	for _, x := range rcpt {
		if !strings.Contains(lower, x) {
			continue
		}
		s = regexp.MustCompile("(?i)"+regexp.QuoteMeta(x)).ReplaceAllLiteralString(s, "[destinataire]")
	}
	return s
}

// ARFResult is one message of an mbox: its item, or why it gave none.
type ARFResult struct {
	// Index is the message's 1-based position in the mbox.
	Index int
	Item  Item
	// Err is an *arf.ProblemError (parsing) or a *ProblemError
	// (conversion), its Index set; or the stream's read error, last.
	Err error
}

// ARFMbox reads an mbox of feedback reports (or one report) with the
// parser's options o and converts each message as received at now, going on after a refused
// one. Each message is parsed, converted and yielded before the next is
// read: memory does not grow with the number of messages.
func ARFMbox(o arf.Options, r io.Reader, now time.Time) iter.Seq[ARFResult] {
	return func(yield func(ARFResult) bool) {
		i := 0
		for rep, err := range o.Mbox(r) {
			i++
			res := ARFResult{Index: i}
			var ape *arf.ProblemError
			switch {
			case err != nil && errors.As(err, &ape):
				res.Err = err
			case err != nil:
				res.Index, res.Err = 0, err
			default:
				res.Item, res.Err = FromARF(rep, now)
				var pe *ProblemError
				if errors.As(res.Err, &pe) {
					pe.Index = i
				}
			}
			if !yield(res) {
				return
			}
		}
	}
}

// ReadARF reads a whole mbox (see ARFMbox) into results, one a message.
func ReadARF(o arf.Options, r io.Reader, now time.Time) []ARFResult {
	var out []ARFResult
	for res := range ARFMbox(o, r, now) {
		out = append(out, res)
	}
	return out
}

// mailAddress is the address of a From-like value, or "".
func mailAddress(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "<>" {
		return ""
	}
	if a, err := mail.ParseAddress(v); err == nil {
		return a.Address
	}
	for _, x := range indicator.Extract(v) {
		if x.Kind == indicator.KindEmail {
			return x.Input
		}
	}
	return ""
}

func firstOf(s ...string) string {
	for _, x := range s {
		if strings.TrimSpace(x) != "" {
			return strings.TrimSpace(x)
		}
	}
	return ""
}
