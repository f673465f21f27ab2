package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"golang.org/x/text/unicode/norm"
)

// Machine intake: reports sent by partners (spam observatories, mail
// providers, operators) through the API, one at a time or in batches,
// each with its source. The same message reported many times becomes one
// report with a counter and the list of its sources (deduplication).

// MaxBatch is the most reports one batch holds.
const MaxBatch = 10000

// Source is where one report of a partner came from.
type Source struct {
	PartnerID string
	// Channel is how it came: "api", "arf", "xarf", "sms".
	Channel string
	// ExternalID is the sender's own identifier of the report, if any.
	ExternalID string
	ReceivedAt time.Time
}

// BatchItem is one report of a batch as the partner sent it.
type BatchItem struct {
	Input Input
	// ContentKey, when set, is the canonical content's key computed by a
	// machine-intake converter (an ARF message's canonical form); when
	// empty, ContentKey(Input) is used. Reports with the same key are one
	// report.
	ContentKey string
	Source     Source
}

// BatchResult is what became of one item: filed (Ref), joined with a
// report of the same content (Duplicate, Ref is that report's), or
// refused (Err, a *guichet.ValidationError).
type BatchResult struct {
	Ref       string
	Duplicate bool
	// Count is how many times the report's content was reported, this
	// one included.
	Count int
	Err   error
}

// ContentKey is the canonical content of a typed report, as a key:
// SHA-256 of its category, the set of the canonical keys of its valid
// values (sorted, each once), and its text — the text of any SMS given
// and the description — in Unicode NFKC, lower case, with runs of white
// space as one space. Invalid values count by their text as typed,
// normalised the same way. Two reports with the same key say the same
// thing: the second is the first reported again. Who reported it and
// when (victim, email, seen on, place) are not content.
func ContentKey(in Input) string { return contentKey(in, Harmonise(in.Seen)) }

// contentKey is ContentKey of in, whose values harmonised are seen.
func contentKey(in Input, seen []Seen) string {
	var keys []string
	for _, v := range seen {
		if v.Key != "" {
			keys = append(keys, v.Key)
		} else {
			keys = append(keys, "raw:"+v.Channel+":"+normText(v.Input))
		}
	}
	var texts []string
	for _, v := range in.Seen {
		if v.Channel == "sms" {
			texts = append(texts, normText(v.Value))
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	slices.Sort(texts)
	h := sha256.New()
	fmt.Fprintf(h, "guichet/report-content/v1\x00%s\x00", in.Category)
	for _, k := range keys {
		fmt.Fprintf(h, "k%d:%s\x00", len(k), k)
	}
	for _, t := range texts {
		fmt.Fprintf(h, "t%d:%s\x00", len(t), t)
	}
	d := normText(in.Description)
	fmt.Fprintf(h, "d%d:%s", len(d), d)
	return "v1:" + hex.EncodeToString(h.Sum(nil))
}

// normText is s in NFKC, lower case, its white space runs one space.
func normText(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// BatchEntry is one new report of a batch as the store writes it.
type BatchEntry struct {
	// Sub is the report, written when its ContentKey is new.
	Sub Submission
	// ContentKey: reports with the same key are one (see ContentKey).
	ContentKey string
	Source     Source
	// Remint returns another reference for Sub, when the one it holds is
	// taken already. The store MUST then rewrite Sub.Case.Ref with it.
	Remint func() (string, error)
}

// BatchFiled is what the store did with one entry.
type BatchFiled struct {
	CaseID string
	Ref    string
	// Duplicate: a report with the entry's content existed already (or
	// came earlier in the batch); the entry's source was added to it and
	// its count raised.
	Duplicate bool
	Count     int
}

// Idempotency is a batch's Idempotency-Key, stored with the batch in its
// transaction.
type Idempotency struct {
	// Scope is whose key it is (a partner's ID): keys of different scopes
	// never collide.
	Scope, Key string
	// Digest is SHA-256 of the request.
	Digest []byte
	// Answer encodes the answer from what the store did, to be stored.
	Answer func([]BatchFiled) ([]byte, error)
	At     time.Time
}

// IdemKey is the Idempotency-Key of a batch as the API received it.
type IdemKey struct {
	Scope, Key string
	Digest     []byte
	// Answer encodes the answer to the batch from the results of every
	// item, to be stored with the key.
	Answer func([]BatchResult) ([]byte, error)
}

// ReplayError is a batch whose Idempotency-Key was used already: Digest
// and Answer are those stored with it. It wraps guichet.ErrConflict.
type ReplayError struct {
	Digest []byte
	Answer []byte
}

func (e *ReplayError) Error() string { return "idempotency key used already" }

// Unwrap makes errors.Is(err, guichet.ErrConflict) true.
func (e *ReplayError) Unwrap() error { return guichet.ErrConflict }

// Batch is a batch of reports as the store writes it.
type Batch struct {
	Entries []BatchEntry
	// Idem, when set, is stored in the same transaction; a key of the
	// same scope stored already fails with a *ReplayError and writes
	// nothing.
	Idem *Idempotency
}

// Change is one report a partner sent (or is a source of) that changed.
type Change struct {
	Ref string
	// Cursor is where the next page starts, after this change.
	Cursor int64
}

// BatchStore is what machine intake needs from storage.
type BatchStore interface {
	// SubmitReports writes a batch in one transaction: each entry whose
	// ContentKey is new (or empty) as SubmitReport writes a report, with
	// its content's count 1 and its source; each entry whose ContentKey a
	// report holds already (written before, or earlier in the batch)
	// only adds its source to that report and raises its count. It
	// returns what it did with each entry, in order. A reference taken
	// already is replaced by Remint's.
	SubmitReports(ctx context.Context, b Batch) ([]BatchFiled, error)
	// IdempotentAnswer returns the digest and answer stored with key of
	// scope (guichet.ErrNotFound if none).
	IdempotentAnswer(ctx context.Context, scope, key string) (digest, answer []byte, err error)
	// ReportSources returns the sources of a report, oldest first, and
	// how many times its content was reported (0 and no source for a
	// report not sent by machine intake).
	ReportSources(ctx context.Context, caseID string) ([]Source, int, error)
	// PartnerChanges returns up to limit reports partnerID is a source
	// of that changed (a case event recorded) after cursor, in the order
	// of their latest change; 0 starts from the beginning.
	PartnerChanges(ctx context.Context, partnerID string, cursor int64, limit int) ([]Change, error)
}

// SubmitBatch files a batch of partner reports as Submit files each —
// validated, harmonised, sealed, routed by the rules, linked into
// campaigns, with their events — in one transaction; reports of the same
// content (see ContentKey and BatchItem.ContentKey) join into one.
// Invalid items are refused alone (their Err); the others are filed.
// With idem, a retried batch (same key) is not stored twice: it fails with
// a *ReplayError holding what was stored. Reports are received in the
// normal lane; no tracking code is given (partners read theirs through
// the API).
func (s *Service) SubmitBatch(ctx context.Context, items []BatchItem, key *IdemKey) ([]BatchResult, error) {
	if len(items) > MaxBatch {
		return nil, fmt.Errorf("report: batch of %d, more than %d: %w", len(items), MaxBatch, guichet.ErrInvalid)
	}
	now := s.d.Clock.Now()
	rules, err := s.currentRules(ctx)
	if err != nil {
		return nil, fmt.Errorf("report: rules: %w", err)
	}
	out := make([]BatchResult, len(items))
	// First, in order: what is refused, and every random draw (so that a
	// deterministic source gives the same batch whatever the workers do).
	type job struct {
		item  int
		in    Input
		at    time.Time
		src   Source
		draws draws
	}
	jobs := make([]job, 0, len(items))
	remint := s.reminter(now.Year())
	for i := range items {
		it := &items[i]
		in := it.Input
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		at := now
		if !in.At.IsZero() && in.At.Before(now) {
			at = in.At.UTC().Truncate(time.Microsecond)
		}
		if len(in.Files) > 0 {
			var v guichet.ValidationError
			v.Add("files", "report.err.files_off")
			out[i].Err = &v
			continue
		}
		if v := Validate(&in, at); v != nil {
			out[i].Err = v
			continue
		}
		if it.Source.PartnerID == "" {
			return nil, fmt.Errorf("report: batch item %d: no partner: %w", i, guichet.ErrInvalid)
		}
		in.Lane = LaneNormal
		src := it.Source
		if src.ReceivedAt.IsZero() {
			src.ReceivedAt = now
		}
		d, err := s.draw(at)
		if err != nil {
			return nil, fmt.Errorf("report: batch item %d: %w", i, err)
		}
		jobs = append(jobs, job{item: i, in: in, at: at, src: src, draws: d})
	}
	// Then, on every core: harmonise, seal and route each report.
	entries := make([]BatchEntry, len(jobs))
	index := make([]int, len(jobs)) // entry → item
	errs := make([]error, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Go(func() {
			for {
				j := int(next.Add(1)) - 1
				if j >= len(jobs) || ctx.Err() != nil {
					return
				}
				jb := &jobs[j]
				seen := Harmonise(jb.in.Seen)
				key := items[jb.item].ContentKey
				if key == "" {
					key = contentKey(jb.in, seen)
				}
				sub, err := s.prepared(ctx, rules, &jb.in, seen, jb.at, jb.draws)
				if err != nil {
					errs[j] = fmt.Errorf("report: batch item %d: %w", jb.item, err)
					continue
				}
				entries[j] = BatchEntry{Sub: sub, ContentKey: key, Source: jb.src, Remint: remint}
				index[j] = jb.item
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var idem *Idempotency
	if key != nil {
		idem = &Idempotency{Scope: key.Scope, Key: key.Key, Digest: key.Digest, At: now, Answer: func(filed []BatchFiled) ([]byte, error) {
			for j, f := range filed {
				out[index[j]] = BatchResult{Ref: f.Ref, Duplicate: f.Duplicate, Count: f.Count}
			}
			return key.Answer(out)
		}}
	}
	var filed []BatchFiled
	switch {
	case idem == nil && len(entries) == 0:
		// Every item refused: nothing to write.
	case idem == nil && len(entries) <= maxGroup:
		// A few reports (one POST of one report): written with those
		// filed at the same moment (see commit.go).
		filed, err = s.commit.submit(ctx, entries)
	default:
		filed, err = s.d.Store.SubmitReports(ctx, Batch{Entries: entries, Idem: idem})
	}
	if err != nil {
		var re *ReplayError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("report: batch: %w", err)
	}
	for j, f := range filed {
		out[index[j]] = BatchResult{Ref: f.Ref, Duplicate: f.Duplicate, Count: f.Count}
	}
	s.d.Logger.DebugContext(ctx, "report batch filed", "items", len(items), "filed", len(filed))
	return out, nil
}

// draws are the random values of one partner report, drawn in order.
type draws struct {
	id, ref string
	track   caseref.Code
	salt    []byte
}

// draw draws the ID, reference (of year at), tracking code and ledger
// salt of a new partner report.
func (s *Service) draw(at time.Time) (draws, error) {
	track, err := caseref.NewCode(s.d.Rand)
	if err != nil {
		return draws{}, err
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, salt); err != nil {
		return draws{}, err
	}
	ref, err := caseref.New(caseref.Report, at.Year(), s.d.Rand)
	if err != nil {
		return draws{}, err
	}
	return draws{id: s.d.IDs.New(), ref: ref.String(), track: track, salt: salt}, nil
}

// prepared builds the submission of a valid partner report received at
// at, with the values d drawn for it (the store draws another reference
// if it is taken). It is safe for concurrent use.
func (s *Service) prepared(ctx context.Context, rules []Rule, in *Input, seen []Seen, at time.Time, d draws) (Submission, error) {
	acct := &Account{Description: strings.TrimSpace(in.Description), Email: strings.TrimSpace(in.Email), Victim: in.Victim, Lang: in.Lang}
	personal, digest, err := Kind.Seal(s.d.Vault, d.id, nil, acct)
	if err != nil {
		return Submission{}, err
	}
	facts, routes := s.route(ctx, rules, in, seen, at)
	return s.submission(d.id, d.ref, in, casefile.ActorPartner, facts, seen, routes, personal, digest, d.track, d.salt, at)
}

// PartnerView is what a partner reads of a report it sent.
type PartnerView struct {
	Ref       string
	Status    casefile.Status
	Category  Category
	Submitted time.Time
	Updated   time.Time
	// Routes are where it went, why, and what came of each.
	Routes []Route
	// Joined: closed as a duplicate of an earlier report of its
	// campaign; JoinedRoutes are that report's routes (see View).
	Joined       bool
	JoinedRoutes []Route
	// Count is how many times its content was reported; Sources are
	// those of this partner only.
	Count   int
	Sources []Source
}

// PartnerReport returns report ref as partner partnerID may read it: only
// a report it is a source of; any other (or none) is guichet.ErrNotFound.
func (s *Service) PartnerReport(ctx context.Context, partnerID, ref string) (*PartnerView, error) {
	canon, err := caseref.Parse(ref)
	if err != nil || canon.Kind != caseref.Report {
		return nil, fmt.Errorf("report %q: %w", ref, guichet.ErrNotFound)
	}
	c, _, err := s.d.Store.CaseByRef(ctx, canon.String())
	if err != nil {
		return nil, err
	}
	srcs, count, err := s.d.Store.ReportSources(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	mine := slices.DeleteFunc(srcs, func(x Source) bool { return x.PartnerID != partnerID })
	if len(mine) == 0 {
		return nil, fmt.Errorf("report %s: partner %s is no source: %w", c.Ref, partnerID, guichet.ErrNotFound)
	}
	v, err := s.View(ctx, c.Ref)
	if err != nil {
		return nil, err
	}
	return &PartnerView{
		Ref: c.Ref, Status: v.Case.Status, Category: Category(c.Category), Submitted: c.SubmittedAt, Updated: c.UpdatedAt,
		Routes: v.Routes, Joined: v.Joined, JoinedRoutes: v.JoinedRoutes, Count: count, Sources: mine,
	}, nil
}

// MaxChanges is the most changes one page lists.
const MaxChanges = 500

// PartnerChanges lists the reports partner partnerID sent (or is a source
// of) that changed after cursor, a page of at most limit (1..MaxChanges),
// and the cursor of the next page (the same cursor when none changed).
func (s *Service) PartnerChanges(ctx context.Context, partnerID string, cursor int64, limit int) ([]*PartnerView, int64, error) {
	if limit <= 0 || limit > MaxChanges || cursor < 0 {
		return nil, cursor, fmt.Errorf("report: changes: limit %d, cursor %d: %w", limit, cursor, guichet.ErrInvalid)
	}
	chs, err := s.d.Store.PartnerChanges(ctx, partnerID, cursor, limit)
	if err != nil {
		return nil, cursor, err
	}
	out := make([]*PartnerView, 0, len(chs))
	next := cursor
	for _, ch := range chs {
		v, err := s.PartnerReport(ctx, partnerID, ch.Ref)
		if errors.Is(err, guichet.ErrNotFound) {
			next = ch.Cursor // erased since
			continue
		}
		if err != nil {
			return nil, cursor, err
		}
		out = append(out, v)
		next = ch.Cursor
	}
	return out, next, nil
}

// IdempotentAnswer returns the request digest and the answer stored with
// the Idempotency-Key key of scope; guichet.ErrNotFound when none is.
func (s *Service) IdempotentAnswer(ctx context.Context, scope, key string) (digest, answer []byte, err error) {
	return s.d.Store.IdempotentAnswer(ctx, scope, key)
}
