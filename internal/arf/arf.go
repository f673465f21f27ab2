// Package arf reads abuse reports in the Abuse Reporting Format (RFC 5965,
// with the authentication-failure fields of RFC 6591 and the pre-RFC
// "ARF 0.1" draft): a multipart/report message whose report-type is
// feedback-report, with a human-readable part, a message/feedback-report
// part of fields and the reported message or its headers.
//
// The reader is lenient where real feedback loops are messy — CRLF, bare
// CR or bare LF line ends; a boundary right after the last field; no
// closing boundary; text/rfc822-headers in place of message/rfc822; the
// feedback part sent as text/plain; a comment after the Source-IP; a blank
// line inside the reported message's header (RFC 5965 Appendix B.2) — and
// records each quirk it forgave in Report.Quirks. What it cannot
// understand it refuses with a *ProblemError carrying a stable code.
//
// Parsing is bounded: the size of a message, of each header block, the
// number of MIME parts and the depth of nesting are limited by Options;
// no input makes it panic, loop or grow memory beyond a small multiple of
// Options.MaxMessageBytes.
package arf

import (
	"bytes"
	"io"
	"net/mail"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/indicator"
)

// Options bounds what one message may cost. A zero field takes its
// default.
type Options struct {
	// MaxMessageBytes is the largest message read (default 10 MiB).
	MaxMessageBytes int64
	// MaxParts is the most MIME parts, nested ones included (default 200).
	MaxParts int
	// MaxHeaderBytes is the longest header block, a message's or a
	// part's (default 256 KiB).
	MaxHeaderBytes int
	// MaxDepth is the deepest nesting of multipart entities and enclosed
	// messages (default 8).
	MaxDepth int
	// MaxScanBytes is how much of the reported message's body text is
	// searched for links, addresses and numbers (default 1 MiB).
	MaxScanBytes int
}

// The defaults of Options.
const (
	DefaultMaxMessageBytes = 10 << 20
	DefaultMaxParts        = 200
	DefaultMaxHeaderBytes  = 256 << 10
	DefaultMaxDepth        = 8
	DefaultMaxScanBytes    = 1 << 20
)

func (o Options) withDefaults() Options {
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxScanBytes <= 0 {
		o.MaxScanBytes = DefaultMaxScanBytes
	}
	return o
}

// FeedbackType is the kind of feedback a report gives.
type FeedbackType string

// The feedback types of the IANA registry (RFC 5965, RFC 6591).
const (
	Abuse       FeedbackType = "abuse"
	Fraud       FeedbackType = "fraud"
	Virus       FeedbackType = "virus"
	Other       FeedbackType = "other"
	NotSpam     FeedbackType = "not-spam"
	AuthFailure FeedbackType = "auth-failure"
	OptOut      FeedbackType = "opt-out"
)

// FeedbackTypes lists the known feedback types.
var FeedbackTypes = []FeedbackType{Abuse, Fraud, Virus, Other, NotSpam, AuthFailure, OptOut}

// AuthFailureFields are the fields of an authentication-failure report
// (RFC 6591 and its DMARC update); empty for other types.
type AuthFailureFields struct {
	AuthFailure       string // "adsp", "bodyhash", "revoked", "signature", "spf", "dmarc"
	DeliveryResult    string
	DKIMDomain        string
	DKIMIdentity      string
	DKIMSelector      string
	DKIMCanonHeader   string
	DKIMCanonBody     string
	SPFDNS            string
	IdentityAlignment string
}

// Original is what the report shows of the reported message. From the
// headers only the fields listed are kept; of the body, what was found in
// it and its decoded text (Text).
type Original struct {
	// HeadersOnly is true when only the headers were enclosed
	// (text/rfc822-headers).
	HeadersOnly bool
	From        string
	// To is the To field as written: the recipients, the people who
	// complained. It is personal data: callers MUST NOT store, log or
	// index it; it is given so that they can remove the recipients from
	// what they digest.
	To         string
	ReturnPath string
	ReplyTo    string
	Subject    string // RFC 2047 words decoded
	MessageID  string
	Date       string
	// DateTime is Date parsed, zero when it does not parse.
	DateTime time.Time
	// Received is the Received chain, most recent first, each unfolded.
	Received []string
	// Found lists the links, e-mail addresses and phone numbers found in
	// the text parts of the body, harmonised, each once.
	Found []indicator.Indicator
	// Text is the decoded text of the body's text parts (transfer
	// encodings undone, HTML tags replaced by the links they hold), at
	// most Options.MaxScanBytes: what Found was searched in. It may hold
	// the recipients' personal data (a name in a greeting): callers MUST
	// NOT store or log it; it is given to be digested (see
	// internal/intake's ContentKey). Empty when only headers were
	// enclosed.
	Text string
}

// Report is one feedback report.
type Report struct {
	FeedbackType FeedbackType
	// Version is the Version field ("1", or "0.1" for the draft format);
	// empty when missing (a quirk).
	Version   string
	UserAgent string
	// SourceIP is the Source-IP with comments and brackets removed;
	// invalid (zero) when the field is absent.
	SourceIP   netip.Addr
	SourcePort int
	// ArrivalDate is Arrival-Date (or the draft's Received-Date) as
	// written, and ArrivalTime parsed (zero when it does not parse).
	ArrivalDate      string
	ArrivalTime      time.Time
	ReportingMTA     string
	ReportedDomains  []string
	ReportedURIs     []string
	OriginalEnvIDs   []string
	OriginalMailFrom string
	// OriginalRcptTo are the recipients of the reported message: the
	// people who complained. They are personal data and are never among
	// the indicators.
	OriginalRcptTo        []string
	RemovalRecipient      []string
	AuthenticationResults []string
	// Incidents is the Incidents count, 1 when absent.
	Incidents int
	Auth      AuthFailureFields
	// HumanReadable is the first part's text, decoded.
	HumanReadable string
	Original      Original
	// Quirks lists, as stable codes ("arf.quirk.no_version"), what the
	// lenient reader forgave.
	Quirks []string
}

// Parse reads one feedback report with the default Options.
func Parse(r io.Reader) (*Report, error) { return Options{}.Parse(r) }

// Parse reads one feedback report. Every refusal is a *ProblemError.
func (o Options) Parse(r io.Reader) (*Report, error) {
	o = o.withDefaults()
	b, err := io.ReadAll(io.LimitReader(r, o.MaxMessageBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > o.MaxMessageBytes {
		return nil, problem(CodeTooLarge, "the message is larger than %d bytes", o.MaxMessageBytes)
	}
	return o.parseBytes(b)
}

// ParseBytes reads one feedback report held in b.
func (o Options) ParseBytes(b []byte) (*Report, error) {
	o = o.withDefaults()
	if int64(len(b)) > o.MaxMessageBytes {
		return nil, problem(CodeTooLarge, "the message is larger than %d bytes", o.MaxMessageBytes)
	}
	return o.parseBytes(b)
}

type parser struct {
	o     Options
	parts int
	rep   *Report
}

func (p *parser) quirk(code string) {
	for _, q := range p.rep.Quirks {
		if q == code {
			return
		}
	}
	p.rep.Quirks = append(p.rep.Quirks, code)
}

func (o Options) parseBytes(b []byte) (*Report, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, problem(CodeEmpty, "the message is empty")
	}
	p := &parser{o: o, rep: &Report{Incidents: 1}}
	if bytes.Contains(bytes.ReplaceAll(b, []byte("\r\n"), nil), []byte("\r")) {
		p.quirk("arf.quirk.bare_cr")
	}
	b = normalizeEOL(b)
	// An mbox "From " line before the header is not a field.
	if bytes.HasPrefix(b, []byte("From ")) {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	h, body, err := splitHeader(b, o.MaxHeaderBytes)
	if err != nil {
		return nil, err
	}
	if len(h) == 0 {
		return nil, problem(CodeMalformedHeader, "the message has no header fields")
	}
	ct, params := mediaType(h.Get("Content-Type"))
	if !strings.HasPrefix(ct, "multipart/") {
		return nil, problem(CodeNotMultipartReport, "the message is %s, not multipart/report", safeType(ct))
	}
	if ct != "multipart/report" {
		p.quirk("arf.quirk.not_multipart_report")
	}
	if rt, ok := params["report-type"]; ok && !strings.EqualFold(rt, "feedback-report") {
		return nil, problem(CodeNotFeedbackReport, "the report type is %q, not feedback-report", clip(rt))
	} else if !ok && ct == "multipart/report" {
		p.quirk("arf.quirk.no_report_type")
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, problem(CodeMissingBoundary, "the multipart message has no boundary parameter")
	}
	parts, err := splitMultipart(body, boundary, o.MaxHeaderBytes, &p.parts, o.MaxParts)
	if err != nil {
		return nil, err
	}
	if err := p.read(parts); err != nil {
		return nil, err
	}
	return p.rep, nil
}

// read finds the three parts of the report among parts and reads them.
func (p *parser) read(parts []part) error {
	feedback, original := -1, -1
	human := -1
	for i, pt := range parts {
		ct, _ := mediaType(pt.Header.Get("Content-Type"))
		switch {
		case ct == "message/feedback-report" && feedback < 0:
			feedback = i
		case (ct == "message/rfc822" || ct == "text/rfc822-headers" || ct == "message/rfc822-headers") && original < 0 && feedback >= 0:
			original = i
		case ct == "text/plain" && human < 0 && feedback < 0:
			human = i
		}
	}
	if feedback < 0 {
		// A feedback part sent as text/plain: its body starts with the
		// report's fields.
		for i, pt := range parts {
			if hasFeedbackType(pt.Body) {
				feedback = i
				p.quirk("arf.quirk.feedback_part_type")
				break
			}
		}
	}
	if feedback < 0 {
		return problem(CodeMissingFeedback, "no message/feedback-report part was found among %d parts", len(parts))
	}
	if human == feedback {
		human = -1
	}
	if original < 0 {
		// The part after the fields, whatever its type.
		if feedback+1 < len(parts) {
			original = feedback + 1
			p.quirk("arf.quirk.original_part_type")
		} else {
			p.quirk("arf.quirk.no_original")
		}
	}
	if human >= 0 {
		text, err := decodeBody(parts[human].Header, parts[human].Body)
		if err != nil {
			return err
		}
		p.rep.HumanReadable = strings.TrimSpace(string(text))
	} else {
		p.quirk("arf.quirk.no_human_part")
	}
	fb, err := decodeBody(parts[feedback].Header, parts[feedback].Body)
	if err != nil {
		return err
	}
	if err := p.readFields(fb); err != nil {
		return err
	}
	if original >= 0 {
		pt := parts[original]
		ct, _ := mediaType(pt.Header.Get("Content-Type"))
		if ct == "text/rfc822-headers" {
			p.quirk("arf.quirk.rfc822_headers")
		}
		body, err := decodeBody(pt.Header, pt.Body)
		if err != nil {
			return err
		}
		if err := p.readOriginal(normalizeEOL(body), strings.HasSuffix(ct, "-headers")); err != nil {
			return err
		}
	}
	return nil
}

func hasFeedbackType(b []byte) bool {
	h, _, err := splitHeader(b, 64<<10)
	return err == nil && h.Get("Feedback-Type") != ""
}

// readFields reads the machine-readable part.
func (p *parser) readFields(b []byte) error {
	// The SpamExperts quirk: the fields may have been given a part
	// header of their own and no blank line; take the block either way.
	h := parseFields(bytes.TrimSpace(normalizeEOL(b)))
	if len(h) > 1 && strings.EqualFold(h[len(h)-1].Name, "Feedback-Type") {
		p.quirk("arf.quirk.feedback_type_last")
	}
	r := p.rep
	ft := strings.ToLower(strings.TrimSpace(stripComments(h.Get("Feedback-Type"))))
	if ft == "" {
		return problem(CodeMissingType, "the feedback part has no Feedback-Type field")
	}
	known := false
	for _, k := range FeedbackTypes {
		if FeedbackType(ft) == k {
			known = true
		}
	}
	if !known {
		return problem(CodeUnknownType, "the Feedback-Type %q is not a registered type", clip(ft))
	}
	r.FeedbackType = FeedbackType(ft)
	r.Version = h.Get("Version")
	switch r.Version {
	case "":
		p.quirk("arf.quirk.no_version")
	case "0.1":
		p.quirk("arf.quirk.draft_0_1")
	}
	r.UserAgent = h.Get("User-Agent")
	if r.UserAgent == "" {
		p.quirk("arf.quirk.no_user_agent")
	}
	if v := h.Get("Source-IP"); v != "" {
		ip, ok := parseSourceIP(v)
		if !ok {
			return problem(CodeBadSourceIP, "the Source-IP field is not an IP address")
		}
		r.SourceIP = ip
	}
	if v := h.Get("Source-Port"); v != "" {
		if n, err := strconv.Atoi(stripComments(v)); err == nil && n > 0 && n < 65536 {
			r.SourcePort = n
		} else {
			p.quirk("arf.quirk.bad_source_port")
		}
	}
	r.ArrivalDate = h.Get("Arrival-Date")
	if r.ArrivalDate == "" {
		if r.ArrivalDate = h.Get("Received-Date"); r.ArrivalDate != "" {
			p.quirk("arf.quirk.received_date")
		}
	}
	if r.ArrivalDate != "" {
		if t, err := mail.ParseDate(r.ArrivalDate); err == nil {
			r.ArrivalTime = t
		}
	}
	r.ReportingMTA = h.Get("Reporting-MTA")
	r.ReportedDomains = h.Values("Reported-Domain")
	r.ReportedURIs = h.Values("Reported-Uri")
	r.OriginalEnvIDs = h.Values("Original-Envelope-Id")
	r.OriginalMailFrom = h.Get("Original-Mail-From")
	r.OriginalRcptTo = h.Values("Original-Rcpt-To")
	r.RemovalRecipient = h.Values("Removal-Recipient")
	r.AuthenticationResults = h.Values("Authentication-Results")
	if v := h.Get("Incidents"); v != "" {
		if n, err := strconv.Atoi(stripComments(v)); err == nil && n > 0 {
			r.Incidents = n
		} else {
			p.quirk("arf.quirk.bad_incidents")
		}
	}
	r.Auth = AuthFailureFields{
		AuthFailure:       strings.ToLower(h.Get("Auth-Failure")),
		DeliveryResult:    strings.ToLower(h.Get("Delivery-Result")),
		DKIMDomain:        h.Get("DKIM-Domain"),
		DKIMIdentity:      h.Get("DKIM-Identity"),
		DKIMSelector:      h.Get("DKIM-Selector"),
		DKIMCanonHeader:   h.Get("DKIM-Canonicalized-Header"),
		DKIMCanonBody:     h.Get("DKIM-Canonicalized-Body"),
		SPFDNS:            h.Get("SPF-DNS"),
		IdentityAlignment: h.Get("Identity-Alignment"),
	}
	return nil
}

// stripComments removes RFC 5322 comments "(…)", nested ones included.
func stripComments(v string) string {
	var b strings.Builder
	depth := 0
	for _, c := range v {
		switch {
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(c)
		}
	}
	return strings.TrimSpace(b.String())
}

// parseSourceIP reads "192.0.2.1", "192.0.2.1 (mx.example)",
// "[2001:db8::1]", "IPv6:2001:db8::1".
func parseSourceIP(v string) (netip.Addr, bool) {
	v = stripComments(v)
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	if len(v) > 5 && strings.EqualFold(v[:5], "ipv6:") {
		v = v[5:]
	}
	v = strings.TrimRight(v, ";,")
	ip, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap(), true
}

// readOriginal reads the reported message or its headers.
func (p *parser) readOriginal(b []byte, headersOnly bool) error {
	o := &p.rep.Original
	o.HeadersOnly = headersOnly
	h, body, err := splitHeader(b, p.o.MaxHeaderBytes)
	if err != nil {
		return err
	}
	// RFC 5965 B.2: a blank line after the first fields, and the rest of
	// the header as the first "paragraph" of the body.
	if !headersOnly && len(body) > 0 {
		if i := bytes.Index(body, []byte("\n\n")); i > 0 && looksLikeHeader(body[:i+1]) && h.Get("Subject") == "" {
			more, rest, err := splitHeader(body, p.o.MaxHeaderBytes)
			if err != nil {
				return err
			}
			h = append(h, more...)
			body = rest
			p.quirk("arf.quirk.blank_line_in_header")
		}
	}
	o.From = decodeWords(h.Get("From"))
	o.To = decodeWords(h.Get("To"))
	o.ReturnPath = h.Get("Return-Path")
	o.ReplyTo = decodeWords(h.Get("Reply-To"))
	o.Subject = decodeWords(h.Get("Subject"))
	o.MessageID = h.Get("Message-ID")
	o.Date = h.Get("Date")
	if t, err := mail.ParseDate(o.Date); err == nil {
		o.DateTime = t
	}
	o.Received = h.Values("Received")
	if headersOnly {
		return nil
	}
	var text strings.Builder
	if err := p.collectText(h, body, 1, &text); err != nil {
		return err
	}
	o.Text = plainText(text.String())
	o.Found = indicator.Extract(o.Text)
	return nil
}

// collectText appends the text/* parts of an entity to text, up to
// MaxScanBytes, descending into multiparts and enclosed messages.
func (p *parser) collectText(h header, body []byte, depth int, text *strings.Builder) error {
	if depth > p.o.MaxDepth {
		return problem(CodeTooDeep, "MIME parts are nested deeper than %d levels", p.o.MaxDepth)
	}
	ct, params := mediaType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		if params["boundary"] == "" {
			return nil
		}
		parts, err := splitMultipart(body, params["boundary"], p.o.MaxHeaderBytes, &p.parts, p.o.MaxParts)
		if err != nil {
			return err
		}
		for _, pt := range parts {
			if err := p.collectText(pt.Header, pt.Body, depth+1, text); err != nil {
				return err
			}
		}
	case ct == "message/rfc822":
		inner, err := decodeBody(h, body)
		if err != nil {
			return nil
		}
		ih, ib, err := splitHeader(normalizeEOL(inner), p.o.MaxHeaderBytes)
		if err != nil {
			return err
		}
		return p.collectText(ih, ib, depth+1, text)
	case strings.HasPrefix(ct, "text/"):
		if text.Len() >= p.o.MaxScanBytes {
			return nil
		}
		d, err := decodeBody(h, body)
		if err != nil {
			// The text of a spam is evidence, not the report: a bad
			// encoding there does not refuse the report.
			p.quirk("arf.quirk.bad_body_encoding")
			return nil
		}
		if room := p.o.MaxScanBytes - text.Len(); len(d) > room {
			d = d[:room]
		}
		text.Write(d)
		text.WriteByte('\n')
	}
	return nil
}

// maxTag is the longest HTML tag plainText reads, in bytes between the
// angle brackets: a longer "<…>" is text.
const maxTag = 1000

// plainText is text with its HTML tags ("<" then at most maxTag bytes
// other than "<" and ">", then ">") replaced by the link targets they hold
// (href, src, action), in which indicator.Extract, the extractor the
// report form uses, finds links, addresses and numbers. It scans by hand:
// the regular expression it replaces, <[^<>]{0,1000}>, took half of a
// report's parsing time.
func plainText(text string) string {
	if strings.IndexByte(text, '<') < 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	i := 0
	for {
		j := strings.IndexByte(text[i:], '<')
		if j < 0 {
			b.WriteString(text[i:])
			return b.String()
		}
		j += i
		end := -1
		for k := j + 1; k < len(text) && k <= j+1+maxTag; k++ {
			if text[k] == '>' {
				end = k
				break
			}
			if text[k] == '<' {
				break
			}
		}
		if end < 0 {
			b.WriteString(text[i : j+1])
			i = j + 1
			continue
		}
		b.WriteString(text[i:j])
		tag := text[j : end+1]
		if !hasLinkAttr(tag) {
			b.WriteString(" ")
			i = end + 1
			continue
		}
		for _, m := range attrURL.FindAllStringSubmatch(tag, -1) {
			b.WriteString(" ")
			b.WriteString(m[1])
			b.WriteString(" ")
		}
		b.WriteString(" ")
		i = end + 1
	}
}

// hasLinkAttr reports whether tag may hold an href, src or action
// attribute (any case): most tags of a message hold none, and are not
// searched with attrURL.
func hasLinkAttr(tag string) bool {
	for i := 0; i+3 <= len(tag); i++ {
		switch tag[i] | 0x20 {
		case 'h', 's', 'a':
			w := strings.ToLower(tag[i:min(i+6, len(tag))])
			if strings.HasPrefix(w, "href") || strings.HasPrefix(w, "src") || strings.HasPrefix(w, "action") {
				return true
			}
		}
	}
	return false
}

var attrURL = regexp.MustCompile(`(?i)(?:href|src|action)\s*=\s*["']?([^"'\s>]+)`)

// Indicators returns what the report points at, harmonised, each once, in
// a stable order: the Source-IP, the reported domains and URIs, the
// envelope sender, the original message's From, Reply-To and Return-Path
// addresses, then what was found in its body. The recipients (the people
// who complained) are never included.
func (r *Report) Indicators() []indicator.Indicator {
	var out []indicator.Indicator
	seen := map[string]bool{}
	add := func(x indicator.Indicator) {
		if k := x.Key(); k != "" && !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	if r.SourceIP.IsValid() {
		add(indicator.Normalize(indicator.KindIP, r.SourceIP.String()))
	}
	for _, d := range r.ReportedDomains {
		add(indicator.Normalize(indicator.KindDomain, d))
	}
	for _, u := range r.ReportedURIs {
		if len(u) > 7 && strings.EqualFold(u[:7], "mailto:") {
			a, _, _ := strings.Cut(u[7:], "?")
			add(indicator.Normalize(indicator.KindEmail, a))
			continue
		}
		add(indicator.Normalize(indicator.KindURL, u))
	}
	for _, a := range []string{r.OriginalMailFrom, r.Original.From, r.Original.ReplyTo, r.Original.ReturnPath} {
		if addr := address(a); addr != "" {
			add(indicator.Normalize(indicator.KindEmail, addr))
		}
	}
	for _, x := range r.Original.Found {
		add(x)
	}
	return out
}

// address returns the address of a From-like value, or "".
func address(v string) string {
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

// safeType and clip keep refused values short in messages.
func safeType(t string) string {
	if t == "" {
		return "of no type"
	}
	return clip(t)
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
