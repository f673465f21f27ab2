package api

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/report"
)

// ReportIn is one report as a partner sends it: the public form's fields.
// Field errors name these members ("seen.0.value" is the value of the
// first element of seen), as report.Validate does.
type ReportIn struct {
	Category    string   `json:"category"`
	Seen        []SeenIn `json:"seen"`
	SeenOn      string   `json:"seen_on,omitempty"`
	Place       string   `json:"place,omitempty"`
	Abroad      bool     `json:"abroad,omitempty"`
	Description string   `json:"description,omitempty"`
	Victim      string   `json:"victim,omitempty"`
	Email       string   `json:"email,omitempty"`
	Lang        string   `json:"lang,omitempty"`
	ExternalID  string   `json:"external_id,omitempty"`
	ReceivedAt  string   `json:"received_at,omitempty"`
}

// SeenIn is one value of where it was seen: typed (Channel given) or raw
// (Channel empty: the channel is guessed from the value; text that is no
// single indicator is read as the text of a message, whose URLs, numbers
// and addresses are extracted).
type SeenIn struct {
	Channel  string `json:"channel,omitempty"`
	Value    string `json:"value"`
	Platform string `json:"platform,omitempty"`
}

// MaxExternalID bounds a partner's own identifier of a report.
const MaxExternalID = 200

// Input converts in into a report input and its source fields; field
// errors come as a *guichet.ValidationError.
func (in *ReportIn) Input(now time.Time) (report.Input, string, time.Time, error) {
	var v guichet.ValidationError
	out := report.Input{
		Category: report.Category(in.Category), Place: in.Place, Abroad: in.Abroad, Description: in.Description,
		Victim: report.Victim(in.Victim), Email: in.Email, Lang: in.Lang, Lane: report.LaneNormal,
	}
	for _, s := range in.Seen {
		ch := s.Channel
		if ch == "" {
			ch = guessChannel(s.Value)
		}
		out.Seen = append(out.Seen, report.SeenInput{Channel: ch, Value: s.Value, Platform: s.Platform})
	}
	if in.SeenOn != "" {
		t, ok := parseDate(in.SeenOn)
		if !ok {
			v.Add("seen_on", "api.err.date")
		}
		out.SeenOn = t
	}
	var received time.Time
	if in.ReceivedAt != "" {
		t, err := time.Parse(time.RFC3339, in.ReceivedAt)
		if err != nil || t.After(now.Add(time.Hour)) {
			v.Add("received_at", "api.err.date")
		}
		received = t.UTC().Truncate(time.Microsecond)
		if received.Before(now) {
			out.At = received
		}
	}
	if len(in.ExternalID) > MaxExternalID {
		v.Add("external_id", "api.err.external_id", MaxExternalID)
	}
	if rv := report.Validate(&out, now); rv != nil {
		v.Fields = append(v.Fields, rv.Fields...)
	}
	if err := v.Err(); err != nil {
		return report.Input{}, "", time.Time{}, err
	}
	return out, in.ExternalID, received, nil
}

func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err == nil
}

// guessChannel is the form's channel of a raw value.
func guessChannel(v string) string {
	switch indicator.Guess(strings.TrimSpace(v)) {
	case indicator.KindURL, indicator.KindDomain, indicator.KindIP:
		return "url"
	case indicator.KindPhone:
		return "phone"
	case indicator.KindEmail:
		return "email"
	case indicator.KindIBAN:
		return "iban"
	case indicator.KindBitcoin, indicator.KindEthereum:
		return "crypto"
	}
	return "sms"
}

// Filed is the answer to one report sent.
type Filed struct {
	Ref string `json:"ref"`
	// StatusURL is where the partner reads what became of it.
	StatusURL string `json:"status_url"`
	// Duplicate: the same content was reported before; this report was
	// added to that one as a source.
	Duplicate bool `json:"duplicate"`
	Count     int  `json:"count"`
}

func statusURL(ref string) string { return "/api/v1/reports/" + ref }

// postReport files one report: 201 when new, 200 when it joined a report
// of the same content.
func (s *Server) postReport(w http.ResponseWriter, r *http.Request) error {
	if err := wantJSON(r, false); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	item, err := s.decodeItem(body)
	if err != nil {
		return err
	}
	item.Source.PartnerID = callerOf(r.Context()).Partner.ID
	res, err := s.d.Reports.SubmitBatch(r.Context(), []report.BatchItem{item}, nil)
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	status := http.StatusCreated
	if res[0].Duplicate {
		status = http.StatusOK
	}
	w.Header().Set("Location", statusURL(res[0].Ref))
	return writeJSON(w, status, Filed{Ref: res[0].Ref, StatusURL: statusURL(res[0].Ref), Duplicate: res[0].Duplicate, Count: res[0].Count})
}

// decodeItem reads one report (its source's partner left to set).
func (s *Server) decodeItem(body []byte) (report.BatchItem, error) {
	var in ReportIn
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return report.BatchItem{}, problem.Explain(fmt.Errorf("api: report: %v: %w", err, guichet.ErrInvalid), "api.err.json", jsonProblem(err))
	}
	if dec.More() {
		return report.BatchItem{}, problem.Explain(fmt.Errorf("api: report: trailing data: %w", guichet.ErrInvalid), "api.err.json", "trailing data")
	}
	now := s.d.Clock.Now()
	input, ext, received, err := in.Input(now)
	if err != nil {
		return report.BatchItem{}, err
	}
	return report.BatchItem{Input: input, Source: report.Source{Channel: "api", ExternalID: ext, ReceivedAt: received}}, nil
}

// jsonProblem says what is wrong with a JSON body without quoting it.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return "member " + te.Field + " must be " + te.Type.String()
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown member " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "unreadable"
}

// wantJSON checks the body's media type: application/json, or for a
// batch also application/x-ndjson (it reports which).
func wantJSON(r *http.Request, ndjsonOK bool) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && (mt == "application/json" || (ndjsonOK && mt == "application/x-ndjson")) {
		return nil
	}
	return problem.Explain(fmt.Errorf("api: media type %q: %w", r.Header.Get("Content-Type"), problem.ErrMediaType), "api.err.media_type")
}

// BatchItemResult is what became of one item of a batch or a feed.
type BatchItemResult struct {
	// Index is the item's 0-based position in the request: in the JSON
	// array, among the non-empty NDJSON lines, or among the messages of
	// an mbox.
	Index int `json:"index"`
	// Status is "filed", "duplicate", "counted" (a feed's item that
	// reports no offence: accepted, not filed) or "refused".
	Status    string `json:"status"`
	Ref       string `json:"ref,omitempty"`
	StatusURL string `json:"status_url,omitempty"`
	Count     int    `json:"count,omitempty"`
	// Why is, for a counted item, the stable code of why it was not
	// filed ("intake.not_spam", "intake.opt_out").
	Why string `json:"why,omitempty"`
	// Detail says, for a counted item, what was done with it, in the
	// request's language.
	Detail string `json:"detail,omitempty"`
	// Quirks lists, for a feed's item, what a lenient reader forgave or
	// a converter assumed, as stable codes ("arf.quirk.bare_lf", "xarf.v3").
	Quirks []string `json:"quirks,omitempty"`
	// Dropped counts the values found in a feed's item beyond what one
	// report holds: found, not filed.
	Dropped int `json:"dropped,omitempty"`
	// Problem says why an item was refused.
	Problem *problem.Details `json:"problem,omitempty"`
}

// BatchAnswer is the answer to a batch or a feed.
type BatchAnswer struct {
	Received   int `json:"received"`
	Filed      int `json:"filed"`
	Duplicates int `json:"duplicates"`
	// Counted is how many items of a feed were accepted and not filed
	// (see BatchItemResult.Why).
	Counted int               `json:"counted,omitempty"`
	Refused int               `json:"refused"`
	Items   []BatchItemResult `json:"items"`
}

// postBatch files up to report.MaxBatch reports in one transaction.
func (s *Server) postBatch(w http.ResponseWriter, r *http.Request) error {
	if err := wantJSON(r, true); err != nil {
		return err
	}
	return s.fileBatch(w, r, "api", func(body []byte, mt string, _ map[string]string) ([]entry, error) {
		raws, err := splitBatch(body, mt == "application/x-ndjson", MaxReportBody)
		if err != nil {
			return nil, err
		}
		out := make([]entry, len(raws))
		for i, raw := range raws {
			out[i].item, out[i].err = s.decodeItem(raw)
		}
		return out, nil
	})
}

// entry is one item of a request as its route decoded it: a report to
// file (item), an item to count and not file (why), or a refusal (err).
type entry struct {
	item    report.BatchItem
	err     error
	why     string
	quirks  []string
	dropped int
}

// decoder reads a request's body (of media type mt with params) into its
// entries; an error refuses the whole request.
type decoder func(body []byte, mt string, params map[string]string) ([]entry, error)

// fileBatch is what every batch route does around its decoder: the
// Idempotency-Key (a retry answered from what was stored, without
// decoding), the bounds of a batch, the calling partner as every item's
// source (channel names the route's channel unless the decoder set one),
// the items filed in one report.Service.SubmitBatch, and the answer item
// by item.
func (s *Server) fileBatch(w http.ResponseWriter, r *http.Request, channel string, decode decoder) error {
	c := callerOf(r.Context())
	key := r.Header.Get("Idempotency-Key")
	if len(r.Header.Values("Idempotency-Key")) > 1 || (key != "" && !validKey(key)) {
		return problem.Explain(fmt.Errorf("api: idempotency key: %w", guichet.ErrInvalid), "api.err.idempotency_key")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	sum := sha256.New()
	sum.Write([]byte(mt + "\n"))
	sum.Write(body)
	digest := sum.Sum(nil)
	if key != "" {
		// A retry answered without reading the batch again.
		d, answer, err := s.d.Reports.IdempotentAnswer(r.Context(), c.Partner.ID, key)
		switch {
		case err == nil:
			return replay(w, digest, d, answer)
		case !errors.Is(err, guichet.ErrNotFound):
			return err
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return problem.Explain(fmt.Errorf("api: empty body: %w", guichet.ErrInvalid), "api.err.empty")
	}
	entries, err := decode(body, mt, params)
	if err != nil {
		return err
	}
	if len(entries) == 0 || len(entries) > report.MaxBatch {
		return problem.Explain(fmt.Errorf("api: batch of %d: %w", len(entries), guichet.ErrInvalid), "api.err.batch_size", report.MaxBatch)
	}
	items := make([]report.BatchItem, 0, len(entries))
	pos := make([]int, 0, len(entries)) // item → entry index
	ans := BatchAnswer{Received: len(entries), Items: make([]BatchItemResult, len(entries))}
	refuse := func(i int, err error) {
		d := s.d.Problems.Details(r, err)
		d.Instance = ""
		ans.Items[i] = BatchItemResult{Index: i, Status: "refused", Quirks: entries[i].quirks, Problem: &d}
	}
	for i, e := range entries {
		switch {
		case e.err != nil:
			refuse(i, e.err)
		case e.why != "":
			ans.Items[i] = BatchItemResult{Index: i, Status: "counted", Why: e.why, Detail: s.message(r, "api.counted."+e.why), Quirks: e.quirks}
		default:
			it := e.item
			it.Source.PartnerID = c.Partner.ID
			if it.Source.Channel == "" {
				it.Source.Channel = channel
			}
			items = append(items, it)
			pos = append(pos, i)
		}
	}
	fill := func(res []report.BatchResult) {
		for j, x := range res {
			i := pos[j]
			switch {
			case x.Err != nil:
				refuse(i, x.Err)
				continue
			case x.Duplicate:
				ans.Items[i] = BatchItemResult{Index: i, Status: "duplicate"}
			default:
				ans.Items[i] = BatchItemResult{Index: i, Status: "filed"}
			}
			it := &ans.Items[i]
			it.Ref, it.StatusURL, it.Count = x.Ref, statusURL(x.Ref), x.Count
			it.Quirks, it.Dropped = entries[i].quirks, entries[i].dropped
		}
		ans.Filed, ans.Duplicates, ans.Counted, ans.Refused = 0, 0, 0, 0
		for _, it := range ans.Items {
			switch it.Status {
			case "filed":
				ans.Filed++
			case "duplicate":
				ans.Duplicates++
			case "counted":
				ans.Counted++
			default:
				ans.Refused++
			}
		}
	}
	var idem *report.IdemKey
	if key != "" {
		idem = &report.IdemKey{Scope: c.Partner.ID, Key: key, Digest: digest, Answer: func(res []report.BatchResult) ([]byte, error) {
			fill(res)
			return json.Marshal(ans)
		}}
	}
	res, err := s.d.Reports.SubmitBatch(r.Context(), items, idem)
	var re *report.ReplayError
	if errors.As(err, &re) {
		return replay(w, digest, re.Digest, re.Answer)
	}
	if err != nil {
		return err
	}
	fill(res)
	s.d.Logger.InfoContext(r.Context(), "api batch", "partner", c.Partner.ID, "channel", channel, "received", ans.Received, "filed", ans.Filed,
		"duplicates", ans.Duplicates, "counted", ans.Counted, "refused", ans.Refused)
	return writeJSON(w, http.StatusOK, ans)
}

// message is the catalogue's message of key in the request's language,
// or "" without catalogues.
func (s *Server) message(r *http.Request, key string) string {
	if s.d.Problems.Messages == nil {
		return ""
	}
	return s.d.Problems.Messages(r).T(key)
}

// replay answers a batch already stored under its key: the same answer
// when the request is the same, a key-reused problem otherwise.
func replay(w http.ResponseWriter, digest, stored, answer []byte) error {
	if !bytes.Equal(digest, stored) {
		return problem.Explain(fmt.Errorf("api: idempotency key: %w", problem.ErrKeyReused), "api.err.key_reused")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(answer, '\n'))
	return nil
}

// validKey: 1 to 200 visible ASCII characters.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 200 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] <= ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// splitBatch returns the items of a batch: the elements of a JSON array,
// or the non-empty lines of NDJSON, each at most maxLine bytes. An item
// that is no JSON is refused alone (by the route's decoder), except in a
// JSON array, whose syntax is whole.
func splitBatch(body []byte, ndjson bool, maxLine int) ([]json.RawMessage, error) {
	if !ndjson {
		var raws []json.RawMessage
		if err := json.Unmarshal(body, &raws); err != nil {
			return nil, problem.Explain(fmt.Errorf("api: batch: %v: %w", err, guichet.ErrInvalid), "api.err.json", jsonProblem(err))
		}
		return raws, nil
	}
	var raws []json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		raws = append(raws, json.RawMessage(bytes.Clone(line)))
		if len(raws) > report.MaxBatch {
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, problem.Explain(fmt.Errorf("api: batch: %v: %w", err, guichet.ErrInvalid), "api.err.json", "a line is too long")
	}
	return raws, nil
}

// RouteOut is where a report went and what came of it.
type RouteOut struct {
	Service string `json:"service"`
	// Status is "sent", "withdrawn" or "done".
	Status string `json:"status"`
	// Reason is why, in French and English.
	ReasonFR string `json:"reason_fr,omitempty"`
	ReasonEN string `json:"reason_en,omitempty"`
	// Rule is the routing rule that sent it, if a rule did ("id@version").
	Rule    string    `json:"rule,omitempty"`
	Outcome string    `json:"outcome,omitempty"`
	At      time.Time `json:"at"`
}

// SourceOut is one time the calling partner sent the report.
type SourceOut struct {
	Channel    string    `json:"channel"`
	ExternalID string    `json:"external_id,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
}

// ReportOut is what a partner reads of a report it sent.
type ReportOut struct {
	Ref         string    `json:"ref"`
	StatusURL   string    `json:"status_url"`
	Status      string    `json:"status"`
	Category    string    `json:"category"`
	SubmittedAt time.Time `json:"submitted_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Count is how many times its content was reported, by anyone.
	Count  int        `json:"count"`
	Routes []RouteOut `json:"routes"`
	// Joined: closed as a duplicate of an earlier report of its campaign,
	// whose routes JoinedRoutes are.
	Joined       bool        `json:"joined"`
	JoinedRoutes []RouteOut  `json:"joined_routes,omitempty"`
	Sources      []SourceOut `json:"sources"`
}

func routesOut(rs []report.Route) []RouteOut {
	out := []RouteOut{}
	for _, x := range rs {
		o := RouteOut{Service: x.Service, Status: string(x.Status), ReasonFR: x.WhyFR, ReasonEN: x.WhyEN, Outcome: string(x.Outcome), At: x.At.UTC()}
		if x.RuleID != "" {
			o.Rule = x.RuleID + "@" + strconv.Itoa(x.RuleVersion)
		}
		out = append(out, o)
	}
	return out
}

func reportOut(v *report.PartnerView) ReportOut {
	o := ReportOut{
		Ref: v.Ref, StatusURL: statusURL(v.Ref), Status: string(v.Status), Category: string(v.Category),
		SubmittedAt: v.Submitted.UTC(), UpdatedAt: v.Updated.UTC(), Count: v.Count, Routes: routesOut(v.Routes),
		Joined: v.Joined, Sources: []SourceOut{},
	}
	if v.Joined {
		o.JoinedRoutes = routesOut(v.JoinedRoutes)
	}
	for _, x := range v.Sources {
		o.Sources = append(o.Sources, SourceOut{Channel: x.Channel, ExternalID: x.ExternalID, ReceivedAt: x.ReceivedAt.UTC()})
	}
	return o
}

// getReport shows a report the calling partner sent (404 otherwise).
func (s *Server) getReport(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	v, err := s.d.Reports.PartnerReport(r.Context(), c.Partner.ID, r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, reportOut(v))
}

// ReportList is a page of the reports a partner sent that changed.
type ReportList struct {
	Reports []ReportOut `json:"reports"`
	// Next is the cursor of the next page (pass it as since).
	Next string `json:"next"`
}

// DefaultPage is how many reports a page lists unless limit says.
const DefaultPage = 100

// listReports lists the reports the calling partner sent that changed
// since the cursor.
func (s *Server) listReports(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r.Context())
	q := r.URL.Query()
	var (
		cursor int64
		limit  = DefaultPage
		err    error
	)
	bad := func() error {
		return problem.Explain(fmt.Errorf("api: list: since %q limit %q: %w", q.Get("since"), q.Get("limit"), guichet.ErrInvalid), "api.err.cursor", report.MaxChanges)
	}
	if v := q.Get("since"); v != "" {
		if cursor, err = strconv.ParseInt(v, 10, 64); err != nil || cursor < 0 {
			return bad()
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > report.MaxChanges {
			return bad()
		}
	}
	views, next, err := s.d.Reports.PartnerChanges(r.Context(), c.Partner.ID, cursor, limit)
	if err != nil {
		return err
	}
	out := ReportList{Reports: []ReportOut{}, Next: strconv.FormatInt(next, 10)}
	for _, v := range views {
		out.Reports = append(out.Reports, reportOut(v))
	}
	return writeJSON(w, http.StatusOK, out)
}
