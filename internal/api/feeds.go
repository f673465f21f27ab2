package api

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/problem"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/xarf"
)

// Machine feeds: ARF feedback reports, X-ARF reports and SMS-spam
// forwards, each converted by internal/intake and filed through the same
// batch path as /api/v1/reports/batch (fileBatch): one transaction, the
// Idempotency-Key, deduplication on the converter's content key, an
// answer item by item. An item a parser or converter refuses is refused
// alone, as an invalid-fields problem whose errors name the field at fault
// and carry the parser's stable code as key ("arf.missing_feedback_type",
// "xarf.required", "intake.bad_sender").

// The media types of the ARF route.
const (
	MediaRFC822 = "message/rfc822"   // one message, an RFC 5965 report
	MediaReport = "multipart/report" // the report's body, its boundary in the Content-Type
	MediaMbox   = "application/mbox" // many messages (RFC 4155)
)

// postARF files ARF feedback reports: one message, or an mbox of up to
// report.MaxBatch.
func (s *Server) postARF(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != MediaRFC822 && mt != MediaReport && mt != MediaMbox) {
		return problem.Explain(fmt.Errorf("api: arf: media type %q: %w", r.Header.Get("Content-Type"), problem.ErrMediaType), "api.err.media_type_arf")
	}
	ctype := r.Header.Get("Content-Type")
	return s.fileBatch(w, r, string(intake.ChannelARF), func(body []byte, mt string, _ map[string]string) ([]entry, error) {
		now := s.d.Clock.Now()
		switch mt {
		case MediaMbox:
			chunks, n := mboxChunks(body, runtime.GOMAXPROCS(0))
			if n > report.MaxBatch {
				return nil, problem.Explain(fmt.Errorf("api: arf: mbox of %d: %w", n, guichet.ErrInvalid), "api.err.batch_size", report.MaxBatch)
			}
			// Each run of messages parsed on its own core, the
			// answers kept in the mbox's order.
			runs := make([][]entry, len(chunks))
			errs := make([]error, len(chunks))
			var wg sync.WaitGroup
			for i, c := range chunks {
				wg.Go(func() {
					for res := range intake.ARFMbox(arf.Options{}, bytes.NewReader(c), now) {
						if res.Err != nil && res.Index == 0 {
							errs[i] = res.Err // the body could not be read: no message's fault
							return
						}
						runs[i] = append(runs[i], arfEntry(res.Item, res.Err, now))
					}
				})
			}
			wg.Wait()
			var out []entry
			for i := range runs {
				if errs[i] != nil {
					return nil, errs[i]
				}
				out = append(out, runs[i]...)
			}
			return out, nil
		case MediaReport:
			// The message's body as sent: give it back its header.
			msg := make([]byte, 0, len(body)+len(ctype)+40)
			msg = append(msg, "MIME-Version: 1.0\r\nContent-Type: "...)
			msg = append(msg, ctype...)
			msg = append(msg, "\r\n\r\n"...)
			body = append(msg, body...)
		}
		rep, err := arf.Options{}.ParseBytes(body)
		var it intake.Item
		if err == nil {
			it, err = intake.FromARF(rep, now)
		}
		return []entry{arfEntry(it, err, now)}, nil
	})
}

// mboxChunks cuts an mbox into at most n runs of whole messages, of
// about the same size, and counts its messages. It cuts only before a
// "From " line that follows a blank line (or starts the body): where the
// mbox reader (arf.Options.Mbox) starts a message, so that the runs read
// one after the other give what the whole gives.
func mboxChunks(body []byte, n int) ([][]byte, int) {
	var starts []int
	blank := true
	for off := 0; off < len(body); {
		end := bytes.IndexByte(body[off:], '\n')
		if end < 0 {
			end = len(body)
		} else {
			end += off + 1
		}
		line := body[off:end]
		if blank && bytes.HasPrefix(line, []byte("From ")) {
			starts = append(starts, off)
		}
		blank = len(bytes.TrimRight(line, "\r\n")) == 0
		off = end
	}
	count := len(starts)
	if len(starts) == 0 || starts[0] != 0 {
		count++ // a body without a "From " line first is one message
	}
	var chunks [][]byte
	from := 0
	for k := 1; k < n; k++ {
		i, _ := slices.BinarySearch(starts, k*len(body)/n)
		if i < len(starts) && starts[i] > from {
			chunks = append(chunks, body[from:starts[i]])
			from = starts[i]
		}
	}
	return append(chunks, body[from:]), count
}

// arfEntry is the entry of one ARF message.
func arfEntry(it intake.Item, err error, now time.Time) entry {
	if err != nil {
		var ape *arf.ProblemError
		if errors.As(err, &ape) {
			return entry{err: refusal(arfField(ape.Code), ape.Code, err)}
		}
		return entry{err: intakeRefusal(err, "message")}
	}
	return itemEntry(it, now)
}

// arfField names what an ARF problem is about: the header field or the
// part at fault, or the message as a whole.
func arfField(code string) string {
	switch code {
	case arf.CodeMalformedHeader, arf.CodeHeaderTooLarge:
		return "header"
	case arf.CodeNotMultipartReport, arf.CodeNotFeedbackReport, arf.CodeMissingBoundary:
		return "Content-Type"
	case arf.CodeMissingFeedback:
		return "message/feedback-report"
	case arf.CodeMissingType, arf.CodeUnknownType:
		return "Feedback-Type"
	case arf.CodeBadSourceIP:
		return "Source-IP"
	case arf.CodeBadEncoding:
		return "Content-Transfer-Encoding"
	case arf.CodeBadMbox:
		return "mbox"
	}
	return "message"
}

// postXARF files X-ARF reports: one v4 (or v3) JSON object, a JSON array
// of them, or NDJSON.
func (s *Server) postXARF(w http.ResponseWriter, r *http.Request) error {
	if err := wantJSON(r, true); err != nil {
		return err
	}
	return s.fileBatch(w, r, string(intake.ChannelXARF), func(body []byte, mt string, _ map[string]string) ([]entry, error) {
		var raws []json.RawMessage
		switch trimmed := bytes.TrimSpace(body); {
		case mt == "application/x-ndjson":
			var err error
			if raws, err = splitBatch(body, true, xarf.MaxDocumentBytes); err != nil {
				return nil, err
			}
		case bytes.HasPrefix(trimmed, []byte("[")):
			var err error
			if raws, err = splitBatch(body, false, 0); err != nil {
				return nil, err
			}
		default:
			// One document: whatever it holds, the X-ARF reader says
			// precisely what is wrong with it.
			raws = []json.RawMessage{body}
		}
		now := s.d.Clock.Now()
		out := make([]entry, len(raws))
		for i, raw := range raws {
			rep, err := xarf.Parse(raw)
			if err != nil {
				var xpe *xarf.ProblemError
				if errors.As(err, &xpe) {
					var v guichet.ValidationError
					for _, p := range xpe.Problems {
						v.Add(p.Path, p.Code)
					}
					out[i] = entry{err: fmt.Errorf("api: x-arf item %d: %w", i, &v)}
				} else {
					out[i] = entry{err: intakeRefusal(err, "$")}
				}
				continue
			}
			it, err := intake.FromXARF(rep, now)
			if err != nil {
				out[i] = entry{err: intakeRefusal(err, "$")}
				continue
			}
			out[i] = itemEntry(it, now)
		}
		return out, nil
	})
}

// postSMS files SMS-spam forwards: a JSON array of them, or NDJSON.
func (s *Server) postSMS(w http.ResponseWriter, r *http.Request) error {
	if err := wantJSON(r, true); err != nil {
		return err
	}
	return s.fileBatch(w, r, string(intake.ChannelSMS), func(body []byte, mt string, _ map[string]string) ([]entry, error) {
		ndjson := mt == "application/x-ndjson"
		if !ndjson && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
			return nil, problem.Explain(fmt.Errorf("api: sms: not an array: %w", guichet.ErrInvalid), "api.err.json", "a JSON array of forwards (or NDJSON)")
		}
		raws, err := splitBatch(body, ndjson, MaxReportBody)
		if err != nil {
			return nil, err
		}
		now := s.d.Clock.Now()
		out := make([]entry, len(raws))
		for i, raw := range raws {
			f, err := intake.DecodeSMS(raw)
			var it intake.Item
			if err == nil {
				it, err = intake.FromSMS(f, now)
			}
			if err != nil {
				out[i] = entry{err: intakeRefusal(err, "")}
				continue
			}
			out[i] = itemEntry(it, now)
		}
		return out, nil
	})
}

// itemEntry is the entry of a converted item: counted when the converter
// says it reports no offence, to file otherwise, the converter's content
// key deduplicating it (a key of its own when the converter gives none)
// and its source the feed's own.
func itemEntry(it intake.Item, now time.Time) entry {
	e := entry{quirks: it.Source.Quirks, dropped: it.Dropped}
	if !it.Filed() {
		e.why = it.Why
		return e
	}
	received := it.Source.Received.UTC().Truncate(time.Microsecond)
	if received.After(now) {
		received = time.Time{} // a sender's clock astray: received now
	}
	key := it.ContentKey
	if key == "" {
		// Nothing to compare (an ARF report of a Source-IP alone): the
		// item MUST NOT join another, so its key is its own.
		key = string(it.Source.Channel) + ".unique:" + rand.Text()
	}
	e.item = report.BatchItem{Input: it.Input, ContentKey: key, Source: report.Source{
		Channel: string(it.Source.Channel), ExternalID: it.Source.ID, ReceivedAt: received,
	}}
	return e
}

// intakeRefusal is the refusal of an item a converter refused (an
// *intake.ProblemError: its field, or field when it names none), or err
// as it is.
func intakeRefusal(err error, field string) error {
	var ipe *intake.ProblemError
	if !errors.As(err, &ipe) {
		return err
	}
	if ipe.Field != "" {
		field = ipe.Field
	}
	if field == "" {
		field = "message"
	}
	return refusal(field, ipe.Code, err)
}

// refusal is an invalid-fields error naming field with the stable code.
func refusal(field, code string, err error) error {
	var v guichet.ValidationError
	v.Add(field, code)
	return fmt.Errorf("%v: %w", err, &v)
}
