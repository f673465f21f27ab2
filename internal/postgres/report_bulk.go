package postgres

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

// A batch of partner reports is written set-based: each table takes its
// rows by COPY, the batch's content keys, references and index keys are
// looked up in one statement each (arrays), and the batch is linked into
// campaigns in one pass (report.LinkBatch): a batch costs a few dozen
// round trips whatever its size, where a statement per row cost about 30
// round trips a report.

// remintAttempts bounds how many references one entry draws.
const remintAttempts = 8

// SubmitReports writes a batch of partner reports in one transaction (see
// report.BatchStore). A transaction-scoped advisory lock on each content
// key serialises the batches holding it across nodes, so that two
// batches never both file the same content as new.
func (s *Store) SubmitReports(ctx context.Context, b report.Batch) ([]report.BatchFiled, error) {
	var out []report.BatchFiled
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		if b.Idem != nil {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 14))`, b.Idem.Scope+" "+b.Idem.Key); err != nil {
				return classify(err)
			}
			var digest, answer []byte
			err := tx.QueryRow(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = $1 AND key = $2`, b.Idem.Scope, b.Idem.Key).Scan(&digest, &answer)
			if err == nil {
				return &report.ReplayError{Digest: digest, Answer: answer}
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return classify(err)
			}
		}
		var err error
		if out, err = s.submitBatchTx(ctx, tx, b.Entries); err != nil {
			return err
		}
		if b.Idem != nil {
			answer, err := b.Idem.Answer(out)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO api_idempotency (scope, key, digest, answer, created_at) VALUES ($1, $2, $3, $4, $5)`,
				b.Idem.Scope, b.Idem.Key, b.Idem.Digest, answer, dbTime(b.Idem.At)); err != nil {
				return fmt.Errorf("idempotency key: %w", classify(err))
			}
		}
		return nil
	})
	if err != nil {
		var re *report.ReplayError
		if errors.As(err, &re) {
			return nil, re
		}
		return nil, fmt.Errorf("postgres: submit %d reports: %w", len(b.Entries), err)
	}
	return out, nil
}

// content is what a batch knows of one content key.
type content struct {
	caseID, ref string
	count       int
	lastAt      time.Time
	stored      bool // a report written before the batch holds it
	entry       int  // else the entry that files it
}

func (s *Store) submitBatchTx(ctx context.Context, tx pgx.Tx, entries []report.BatchEntry) ([]report.BatchFiled, error) {
	out := make([]report.BatchFiled, len(entries))
	byKey := map[string]*content{}
	var ckeys []string
	for _, e := range entries {
		if e.ContentKey != "" {
			ckeys = append(ckeys, e.ContentKey)
		}
	}
	// One round trip: lock the content keys in a fixed order (no
	// deadlock between batches sharing keys), read those stored, and
	// which of the entries' references cases hold.
	slices.Sort(ckeys)
	ckeys = slices.Compact(ckeys)
	refs := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Sub.Case.Ref != "" {
			refs = append(refs, e.Sub.Case.Ref)
		}
	}
	pb := &pgx.Batch{}
	if len(ckeys) > 0 {
		pb.Queue(`SELECT pg_advisory_xact_lock(hashtextextended(k, 15)) FROM unnest($1::text[]) AS k`, ckeys)
		pb.Queue(`SELECT r.content_key, r.case_id, c.ref, r.count, r.last_at
			FROM report_content r JOIN cases c ON c.id = r.case_id WHERE r.content_key = ANY($1)`, ckeys)
	}
	pb.Queue(`SELECT ref FROM cases WHERE ref = ANY($1)`, refs)
	taken := map[string]bool{}
	err := func() error {
		br := tx.SendBatch(ctx, pb)
		defer br.Close()
		if len(ckeys) > 0 {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("content keys: %w", classify(err))
			}
			rows, err := br.Query()
			if err != nil {
				return fmt.Errorf("content keys: %w", classify(err))
			}
			for rows.Next() {
				var (
					k string
					c content
					n int64
				)
				if err := rows.Scan(&k, &c.caseID, &c.ref, &n, tm(&c.lastAt)); err != nil {
					rows.Close()
					return fmt.Errorf("content keys: %w", err)
				}
				c.count, c.stored = int(n), true
				byKey[k] = &c
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("content keys: %w", classify(err))
			}
		}
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("references: %w", classify(err))
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("references: %w", classify(err))
		}
		for _, r := range found {
			taken[r] = true
		}
		return classify(br.Close())
	}()
	if err != nil {
		return nil, err
	}
	isNew := make([]bool, len(entries))
	var fresh []int
	for i, e := range entries {
		if e.ContentKey != "" {
			if _, ok := byKey[e.ContentKey]; ok {
				continue
			}
		}
		sub := e.Sub
		if sub.Case.ID == "" || sub.Case.Ref == "" {
			return nil, fmt.Errorf("entry %d: id and ref are required: %w", i, guichet.ErrInvalid)
		}
		isNew[i] = true
		fresh = append(fresh, i)
		if e.ContentKey != "" {
			byKey[e.ContentKey] = &content{caseID: sub.Case.ID, entry: i}
		}
	}
	subs := make([]report.Submission, len(entries))
	for _, i := range fresh {
		subs[i] = entries[i].Sub
	}
	if err := freeRefs(ctx, tx, entries, subs, fresh, taken); err != nil {
		return nil, err
	}
	type source struct {
		caseID string
		seq    int
		src    report.Source
	}
	var sources []source
	perCase := map[string]int{}
	addSource := func(caseID string, src report.Source) {
		if src.PartnerID == "" {
			return
		}
		perCase[caseID]++
		sources = append(sources, source{caseID, perCase[caseID], src})
	}
	for i, e := range entries {
		src := e.Source
		if isNew[i] {
			sub := subs[i]
			out[i] = report.BatchFiled{CaseID: sub.Case.ID, Ref: sub.Case.Ref, Count: 1}
			if c := byKey[e.ContentKey]; e.ContentKey != "" && c.entry == i && !c.stored {
				c.ref, c.count, c.lastAt = sub.Case.Ref, 1, norm(src.ReceivedAt)
			}
			addSource(sub.Case.ID, src)
			continue
		}
		c := byKey[e.ContentKey]
		c.count++
		if at := norm(src.ReceivedAt); at.After(c.lastAt) {
			c.lastAt = at
		}
		out[i] = report.BatchFiled{CaseID: c.caseID, Ref: c.ref, Duplicate: true, Count: c.count}
		addSource(c.caseID, src)
	}
	// Small batches (one report through the API) are written in one
	// pipelined round trip; larger ones by COPY.
	w := &rowSink{tx: tx}
	if len(entries) <= smallBatch {
		w.b = &pgx.Batch{}
	}
	links, err := s.queueSubmissions(ctx, tx, w, subs, fresh)
	if err != nil {
		return nil, err
	}
	var newContent [][]any
	var bk []string
	var bn []int64
	var bat []time.Time
	storedCase := map[string]bool{}
	for k, c := range byKey {
		if c.stored {
			bk, bn, bat = append(bk, k), append(bn, int64(c.count)), append(bat, c.lastAt)
			storedCase[c.caseID] = true
		} else {
			newContent = append(newContent, []any{k, c.caseID, int64(c.count), dbTime(c.lastAt)})
		}
	}
	if err := w.write(ctx, "report_content", []string{"content_key", "case_id", "count", "last_at"}, newContent); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	if len(bk) > 0 {
		w.exec(ctx, `UPDATE report_content r SET count = u.n, last_at = GREATEST(r.last_at, u.at)
			FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u (k, n, at) WHERE r.content_key = u.k`, bk, bn, bat)
	}
	if len(sources) > 0 {
		// Numbered after those a report written before had.
		var ids []string
		for id := range perCase {
			if storedCase[id] {
				ids = append(ids, id)
			}
		}
		last := map[string]int{}
		if len(ids) > 0 {
			rows, err := tx.Query(ctx, `SELECT case_id, MAX(seq) FROM report_sources WHERE case_id = ANY($1) GROUP BY case_id`, ids)
			if err != nil {
				return nil, fmt.Errorf("sources: %w", classify(err))
			}
			for rows.Next() {
				var (
					id string
					n  int64
				)
				if err := rows.Scan(&id, &n); err != nil {
					rows.Close()
					return nil, fmt.Errorf("sources: %w", err)
				}
				last[id] = int(n)
			}
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("sources: %w", classify(err))
			}
		}
		srows := make([][]any, len(sources))
		for i, x := range sources {
			srows[i] = []any{x.caseID, int64(last[x.caseID] + x.seq), x.src.PartnerID, x.src.Channel, x.src.ExternalID, dbTime(x.src.ReceivedAt)}
		}
		if err := w.write(ctx, "report_sources", []string{"case_id", "seq", "partner_id", "channel", "external_id", "received_at"}, srows); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
	}
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	if len(links) > 0 {
		if err := report.LinkBatch(ctx, batchLinkTx{linkTx{s, tx}}, links, s.ids.New, rand.Reader); err != nil {
			return nil, fmt.Errorf("campaigns: %w", err)
		}
	}
	return out, nil
}

// copyRows writes rows into table's columns cols by COPY.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("%s: %w", table, classify(err))
	}
	return nil
}

// smallBatch is the most entries a batch writes in pipelined INSERTs
// rather than by COPY.
const smallBatch = 16

// rowSink writes rows by COPY, or, with b set, queues an INSERT a row in
// b, which flush sends in one round trip.
type rowSink struct {
	tx  pgx.Tx
	b   *pgx.Batch
	err error // of a statement run at once
}

func (w *rowSink) write(ctx context.Context, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if w.b == nil {
		return copyRows(ctx, w.tx, table, cols, rows)
	}
	ps := make([]string, len(cols))
	for i := range cols {
		ps[i] = fmt.Sprintf("$%d", i+1)
	}
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ps, ", ") + ")"
	for _, r := range rows {
		w.b.Queue(q, r...)
	}
	return nil
}

// exec runs q now (COPY mode) or queues it.
func (w *rowSink) exec(ctx context.Context, q string, args ...any) {
	if w.b != nil {
		w.b.Queue(q, args...)
		return
	}
	if _, err := w.tx.Exec(ctx, q, args...); err != nil && w.err == nil {
		w.err = classify(err)
	}
}

// flush sends the queued statements and reads their results.
func (w *rowSink) flush(ctx context.Context) error {
	if w.err != nil || w.b == nil || w.b.Len() == 0 {
		return w.err
	}
	br := w.tx.SendBatch(ctx, w.b)
	n := w.b.Len()
	w.b = &pgx.Batch{}
	for i := range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("statement %d: %w", i, classify(err))
		}
	}
	if err := br.Close(); err != nil {
		return classify(err)
	}
	return nil
}

// freeRefs gives each new entry (fresh) a reference no case holds and no
// other entry of the batch takes, drawing again through its Remint;
// taken are the references known to be held already.
func freeRefs(ctx context.Context, tx pgx.Tx, entries []report.BatchEntry, subs []report.Submission, fresh []int, taken map[string]bool) error {
	todo := fresh
	mine := map[string]bool{}
	for attempt := 0; len(todo) > 0; attempt++ {
		if attempt > 0 {
			refs := make([]string, len(todo))
			for j, i := range todo {
				refs[j] = subs[i].Case.Ref
			}
			rows, err := tx.Query(ctx, `SELECT ref FROM cases WHERE ref = ANY($1)`, refs)
			if err != nil {
				return fmt.Errorf("references: %w", classify(err))
			}
			found, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("references: %w", classify(err))
			}
			taken = map[string]bool{}
			for _, r := range found {
				taken[r] = true
			}
		}
		var again []int
		for _, i := range todo {
			r := subs[i].Case.Ref
			if !taken[r] && !mine[r] {
				mine[r] = true
				continue
			}
			if attempt == remintAttempts || entries[i].Remint == nil {
				return fmt.Errorf("entry %d: reference %s taken: %w", i, r, guichet.ErrConflict)
			}
			var err error
			if subs[i].Case.Ref, err = entries[i].Remint(); err != nil {
				return err
			}
			again = append(again, i)
		}
		todo = again
	}
	return nil
}

// queueSubmissions writes the new reports subs[i] (i in fresh) as
// submitReportTx writes each, through w (a COPY a table, or pipelined
// INSERTs), and returns what linking them into campaigns needs.
func (s *Store) queueSubmissions(ctx context.Context, tx pgx.Tx, w *rowSink, subs []report.Submission, fresh []int) ([]report.NewReport, error) {
	if len(fresh) == 0 {
		return nil, nil
	}
	var cases, secrets, personal, reps, seen, routes, evidence, events [][]any
	links := make([]report.NewReport, 0, len(fresh))
	for _, i := range fresh {
		sub := subs[i]
		c, sec := sub.Case, sub.Secrets
		evs, err := eventRows(c.ID, c.Ref, sec.LedgerSalt, sub.Events)
		if err != nil {
			return nil, err
		}
		cases = append(cases, []any{c.ID, c.Ref, string(c.Kind), c.Category, string(c.Status), nullStr(c.UnitID),
			dbTime(c.CreatedAt), dbTime(c.SubmittedAt), dbTime(c.UpdatedAt),
			dbTime(c.ExpiresAt), dbTime(c.ErasedAt), nullStr(c.LinkedRef)})
		secrets = append(secrets, []any{c.ID, sec.TrackingHash, sec.LedgerSalt, int32(sec.CodeFailures), dbTime(sec.LastCodeFailure)})
		personal = append(personal, []any{c.ID, sub.Personal.WrappedKey, sub.Personal.Ciphertext})
		reps = append(reps, []any{c.ID, string(sub.Lane), string(sub.Place)})
		keys := make([]string, 0, len(sub.Seen))
		for j, v := range sub.Seen {
			seen = append(seen, []any{c.ID, int32(j), v.Channel, v.Kind, v.Input, v.Valid, v.Canonical, v.Display, v.Domain, v.Reason, nullStr(v.Key)})
			keys = append(keys, v.Key)
		}
		byService := map[string]int{}
		for _, r := range sub.Routes {
			// A service routed twice keeps its last route, as the upsert
			// of one report does.
			row := []any{c.ID, r.Service, string(r.Status), r.RuleID, int32(r.RuleVersion), r.WhyFR, r.WhyEN, r.By, string(r.Outcome), dbTime(r.At)}
			if j, ok := byService[r.Service]; ok {
				routes[j] = row
				continue
			}
			byService[r.Service] = len(routes)
			routes = append(routes, row)
		}
		for _, e := range sub.Evidence {
			evidence = append(evidence, []any{e.ID, c.ID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(e.CreatedAt)})
		}
		for j, r := range evs {
			e := r.e
			events = append(events, []any{e.ID, c.ID, int32(j + 1), e.Type, e.At, e.Actor, e.Visible, r.data})
			if err := addOutbox(tx, r, c.ID, c.Ref); err != nil {
				return nil, err
			}
		}
		links = append(links, report.NewReport{CaseID: c.ID, At: norm(c.SubmittedAt), Keys: keys})
	}
	for _, t := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{
		{"cases", []string{"id", "ref", "kind", "category", "status", "unit_id", "created_at", "submitted_at", "updated_at", "expires_at", "erased_at", "linked_ref"}, cases},
		{"case_secrets", []string{"case_id", "tracking_hash", "ledger_salt", "code_failures", "last_code_failure"}, secrets},
		{"case_personal", []string{"case_id", "wrapped_key", "ciphertext"}, personal},
		{"reports", []string{"case_id", "lane", "place"}, reps},
		{"report_seen", []string{"case_id", "pos", "channel", "kind", "input", "valid", "canonical", "display", "domain", "reason", "key"}, seen},
		{"report_routes", []string{"case_id", "service", "status", "rule_id", "rule_version", "why_fr", "why_en", "by_actor", "outcome", "at"}, routes},
		{"evidence", []string{"id", "owner_id", "blob_key", "content_type", "size", "sha256", "created_at"}, evidence},
		{"case_events", []string{"id", "case_id", "seq", "type", "at", "actor", "visible", "data"}, events},
	} {
		if err := w.write(ctx, t.table, t.cols, t.rows); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// batchLinkTx runs report.LinkBatch's steps in a write transaction, a
// statement per step.
type batchLinkTx struct{ linkTx }

var _ report.BatchLinkTx = batchLinkTx{}

const qMaxDegree = `SELECT max_degree FROM campaign_settings WHERE id = 1`

// keyStates reads the rows of a statement returning key, degree,
// known_good (” for none) and whether it is published.
func keyStates(rows pgx.Rows) (map[string]report.KeyState, error) {
	got := map[string]report.KeyState{}
	for rows.Next() {
		var (
			st report.KeyState
			kg string
		)
		if err := rows.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
			rows.Close()
			return nil, err
		}
		if kg != "" {
			st.KnownGood = &report.KnownGood{Key: kg}
		}
		got[st.Key] = st
	}
	return got, rows.Err()
}

func (l batchLinkTx) PeekKeys(ctx context.Context, keys []string) (int, []report.KeyState, error) {
	// One round trip: the threshold and the keys.
	b := &pgx.Batch{}
	b.Queue(qMaxDegree)
	if len(keys) > 0 {
		b.Queue(`SELECT key, degree, COALESCE(known_good, ''), published_at IS NOT NULL
			FROM indicator_keys WHERE key = ANY($1)`, keys)
	}
	br := l.tx.SendBatch(ctx, b)
	defer br.Close()
	var maxDegree int
	if err := br.QueryRow().Scan(&maxDegree); err != nil {
		return 0, nil, fmt.Errorf("threshold: %w", classify(err))
	}
	if len(keys) == 0 {
		return maxDegree, nil, classify(br.Close())
	}
	rows, err := br.Query()
	if err != nil {
		return 0, nil, fmt.Errorf("keys: %w", classify(err))
	}
	found, err := keyStates(rows)
	if err != nil {
		return 0, nil, fmt.Errorf("keys: %w", classify(err))
	}
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		out[i] = found[k]
		out[i].Key = k
	}
	return maxDegree, out, classify(br.Close())
}

func (l batchLinkTx) HoldKeysN(ctx context.Context, keys []string, n []int, _ time.Time) ([]report.KeyState, int, error) {
	ns := make([]int64, len(n))
	var cands []string
	for i, x := range n {
		ns[i] = int64(x)
		cands = append(cands, report.CoveredBy(keys[i])...)
	}
	// One round trip: the keys counted (one statement, in key order, the
	// order rows are locked in), the known-good entries that could cover
	// them, and the threshold once their rows are held.
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO indicator_keys (key, degree)
		SELECT k, n FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS t (k, n, i) ORDER BY i
		ON CONFLICT (key) DO UPDATE SET degree = indicator_keys.degree + EXCLUDED.degree
		RETURNING key, degree, COALESCE(known_good, ''), published_at IS NOT NULL`, keys, ns)
	b.Queue(`SELECT key FROM known_good WHERE key = ANY($1)`, cands)
	b.Queue(qMaxDegree)
	var (
		got       map[string]report.KeyState
		entries   = map[string]bool{}
		maxDegree int
	)
	err := func() error {
		br := l.tx.SendBatch(ctx, b)
		defer br.Close()
		rows, err := br.Query()
		if err != nil {
			return fmt.Errorf("keys: %w", classify(err))
		}
		if got, err = keyStates(rows); err != nil {
			return fmt.Errorf("keys: %w", classify(err))
		}
		rows, err = br.Query()
		if err != nil {
			return fmt.Errorf("known-good: %w", classify(err))
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("known-good: %w", classify(err))
		}
		for _, k := range found {
			entries[k] = true
		}
		if err := br.QueryRow().Scan(&maxDegree); err != nil {
			return fmt.Errorf("threshold: %w", classify(err))
		}
		return classify(br.Close())
	}()
	if err != nil {
		return nil, 0, err
	}
	out := make([]report.KeyState, len(keys))
	var ks, es []string
	for i, k := range keys {
		st, ok := got[k]
		if !ok {
			return nil, 0, fmt.Errorf("keys: %s not counted", k)
		}
		if st.KnownGood == nil && st.Reports == n[i] {
			// New to the index: the entry covering it, if any.
			for _, c := range report.CoveredBy(k) {
				if entries[c] {
					ks, es = append(ks, k), append(es, c)
					st.KnownGood = &report.KnownGood{Key: c}
					break
				}
			}
		}
		out[i] = st
	}
	if len(ks) > 0 {
		if _, err := l.tx.Exec(ctx, `UPDATE indicator_keys SET known_good = t.e
			FROM unnest($1::text[], $2::text[]) AS t (k, e) WHERE key = t.k`, ks, es); err != nil {
			return nil, 0, fmt.Errorf("keys: %w", classify(err))
		}
	}
	return out, maxDegree, nil
}

// qKeyCampaigns probes key by key through the indexes (see
// CampaignsHolding).
const qKeyCampaigns = `SELECT DISTINCT key, c FROM (
		SELECT k.key, (SELECT rc.campaign_id FROM report_campaign rc WHERE rc.case_id = s.case_id) AS c
		FROM unnest($1::text[]) AS k (key)
		CROSS JOIN LATERAL (SELECT case_id FROM report_seen WHERE key = k.key OFFSET 0) s) t
	WHERE c IS NOT NULL ORDER BY 1, 2`

func (l batchLinkTx) KeyCampaigns(ctx context.Context, keys []string) (map[string][]string, error) {
	rows, err := l.tx.Query(ctx, qKeyCampaigns, keys)
	if err != nil {
		return nil, fmt.Errorf("campaigns holding: %w", classify(err))
	}
	return keyCampaigns(rows)
}

func keyCampaigns(rows pgx.Rows) (map[string][]string, error) {
	out := map[string][]string{}
	for rows.Next() {
		var k, id string
		if err := rows.Scan(&k, &id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("campaigns holding: %w", err)
		}
		out[k] = append(out[k], id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaigns holding: %w", classify(err))
	}
	return out, nil
}

func (l batchLinkTx) CampaignRefsTaken(ctx context.Context, refs []string) (map[string]bool, error) {
	rows, err := l.tx.Query(ctx, `SELECT ref FROM campaigns WHERE ref = ANY($1)`, refs)
	if err != nil {
		return nil, fmt.Errorf("campaign references: %w", classify(err))
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("campaign references: %w", classify(err))
	}
	out := make(map[string]bool, len(found))
	for _, r := range found {
		out[r] = true
	}
	return out, nil
}

func (l batchLinkTx) LockCampaigns(ctx context.Context, ids, keys []string) ([]report.Campaign, map[string][]string, error) {
	// One round trip: the locks, then the look again.
	b := &pgx.Batch{}
	b.Queue(`SELECT `+campaignColumns+` FROM campaigns WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	b.Queue(qKeyCampaigns, keys)
	br := l.tx.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("lock campaigns: %w", classify(err))
	}
	cs, err := collectCampaigns(rows)
	if err != nil {
		return nil, nil, fmt.Errorf("lock campaigns: %w", classify(err))
	}
	if len(cs) != len(ids) {
		return nil, nil, fmt.Errorf("lock campaigns: %d of %d found: %w", len(cs), len(ids), guichet.ErrNotFound)
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("campaigns holding: %w", classify(err))
	}
	held, err := keyCampaigns(rows)
	if err != nil {
		return nil, nil, err
	}
	return cs, held, classify(br.Close())
}

func (l batchLinkTx) WriteLinks(ctx context.Context, w report.LinkWrites) error {
	// One round trip, in order: new campaigns, merges, reports filed,
	// campaigns updated.
	b := &pgx.Batch{}
	if n := len(w.Insert); n > 0 {
		ids, refs, ns := make([]string, n), make([]string, n), make([]int64, n)
		first, last := make([]time.Time, n), make([]time.Time, n)
		for i, c := range w.Insert {
			ids[i], refs[i], ns[i], first[i], last[i] = c.ID, c.Ref, int64(c.Reports), norm(c.FirstSeen), norm(c.LastSeen)
		}
		b.Queue(`INSERT INTO campaigns (id, ref, reports, first_seen, last_seen)
			SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[], $5::timestamptz[])`, ids, refs, ns, first, last)
	}
	if len(w.From) > 0 {
		b.Queue(`UPDATE report_campaign rc SET campaign_id = m.i
			FROM unnest($1::text[], $2::text[]) AS m (f, i) WHERE rc.campaign_id = m.f`, w.From, w.Into)
		b.Queue(`UPDATE campaigns c SET reports = 0, merged_into = m.i
			FROM unnest($1::text[], $2::text[]) AS m (f, i) WHERE c.id = m.f`, w.From, w.Into)
	}
	if n := len(w.Files); n > 0 {
		cs, ids := make([]string, n), make([]string, n)
		for i, x := range w.Files {
			cs[i], ids[i] = x.CaseID, x.CampaignID
		}
		b.Queue(`INSERT INTO report_campaign (case_id, campaign_id)
			SELECT * FROM unnest($1::text[], $2::text[])
			ON CONFLICT (case_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id`, cs, ids)
	}
	if n := len(w.Update); n > 0 {
		ids, merged := make([]string, n), make([]string, n)
		ns := make([]int64, n)
		first, last := make([]time.Time, n), make([]time.Time, n)
		for i, c := range w.Update {
			ids[i], merged[i], ns[i], first[i], last[i] = c.ID, c.MergedInto, int64(c.Reports), norm(c.FirstSeen), norm(c.LastSeen)
		}
		b.Queue(`UPDATE campaigns c SET reports = u.n, first_seen = u.f, last_seen = u.l, merged_into = NULLIF(u.m, '')
			FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::text[]) AS u (id, n, f, l, m)
			WHERE c.id = u.id`, ids, ns, first, last, merged)
	}
	if b.Len() == 0 {
		return nil
	}
	n := b.Len()
	br := l.tx.SendBatch(ctx, b)
	for i := range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("campaigns: statement %d: %w", i, classify(err))
		}
	}
	return classify(br.Close())
}
