package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/hub"
	"github.com/guichet/guichet/internal/report"
)

// A batch of partner reports is written set-based: each table takes its
// rows in a few multi-row statements, the batch's content keys, references
// and index keys are looked up in one query each, and the batch is linked
// into campaigns in one pass (report.LinkBatch). A statement per row cost
// about 30 statements a report.

// remintAttempts bounds how many references one entry draws.
const remintAttempts = 8

// bulkChunk is the most rows one multi-row INSERT of a batch writes. The
// statements of every power of two rows up to bulkChunk are prepared once
// (see prepare), so a batch parses no SQL for its rows, and n rows take
// one statement for each bit set in n (when below bulkChunk): the few
// reports of a group commit share statements as a large batch does.
const bulkChunk = 64

// A bulkTable is a table a batch writes rows into.
type bulkTable struct {
	name   string
	cols   []string
	suffix string // RETURNING …, or ""
}

// The tables a batch writes, in the order it writes them.
var (
	tCases    = bulkTable{"cases", []string{"id", "ref", "kind", "category", "status", "unit_id", "created_at", "submitted_at", "updated_at", "expires_at", "erased_at", "linked_ref"}, ""}
	tSecrets  = bulkTable{"case_secrets", []string{"case_id", "tracking_hash", "ledger_salt", "code_failures", "last_code_failure"}, ""}
	tPersonal = bulkTable{"case_personal", []string{"case_id", "wrapped_key", "ciphertext"}, ""}
	tReports  = bulkTable{"reports", []string{"case_id", "lane", "place"}, ""}
	tSeen     = bulkTable{"report_seen", []string{"case_id", "pos", "channel", "kind", "input", "valid", "canonical", "display", "domain", "reason", "key"}, ""}
	tRoutes   = bulkTable{"report_routes", []string{"case_id", "service", "status", "rule_id", "rule_version", "why_fr", "why_en", "by_actor", "outcome", "at"}, ""}
	tEvidence = bulkTable{"evidence", []string{"id", "owner_id", "blob_key", "content_type", "size", "sha256", "created_at"}, ""}
	tEvents   = bulkTable{"case_events", []string{"id", "case_id", "seq", "type", "at", "actor", "visible", "data"}, ""}
	tOutbox   = bulkTable{"outbox", []string{"event_id", "leaf", "created_at"}, "RETURNING id, event_id"}
	tContent  = bulkTable{"report_content", []string{"content_key", "case_id", "count", "last_at"}, ""}
	tSources  = bulkTable{"report_sources", []string{"case_id", "seq", "partner_id", "channel", "external_id", "received_at"}, ""}

	bulkTables = []bulkTable{tCases, tSecrets, tPersonal, tReports, tSeen, tRoutes, tEvidence, tEvents, tOutbox, tContent, tSources}
)

// insertSQL is the statement inserting n rows into t.
func (t bulkTable) insertSQL(n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO " + t.name + " (" + strings.Join(t.cols, ", ") + ") VALUES ")
	one := "(" + marks(len(t.cols)) + ")"
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(one)
	}
	if t.suffix != "" {
		q.WriteString(" " + t.suffix)
	}
	return q.String()
}

// bulkSQL holds, for each table, insertSQL of 1, 2, 4 … bulkChunk rows,
// by the power of two: the statements insertRows runs, built once.
var bulkSQL = func() map[string][]string {
	out := map[string][]string{}
	for _, t := range bulkTables {
		for n := 1; n <= bulkChunk; n *= 2 {
			out[t.name] = append(out[t.name], t.insertSQL(n))
		}
	}
	return out
}()

// bulkStatements are the statements of a batch prepared on the writer.
func bulkStatements() []string {
	out := []string{qContentKeys, qTakenRefs, qLastSources, qBumpContent, qPeekKeys, qHoldKeysN, qLabelKeys,
		qKeyCampaigns, qLockCampaigns, qTakenCampaignRefs, qMergeReports, qMergeCampaigns, qInsertCampaigns,
		qUpdateCampaigns, qFileReports, qKnownGoodKeys}
	for _, t := range bulkTables {
		out = append(out, bulkSQL[t.name]...)
	}
	return out
}

// insertRows inserts rows (each len(t.cols) values) into t, in order,
// through the prepared statements: bulkChunk rows a statement, then the
// rest in the largest powers of two; scan, when set, reads the rows
// RETURNING gives.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, t bulkTable, rows [][]any, scan func(*sql.Rows) error) error {
	for lo := 0; lo < len(rows); {
		n := bulkChunk
		for n > len(rows)-lo {
			n /= 2
		}
		args := make([]any, 0, n*len(t.cols))
		for _, r := range rows[lo : lo+n] {
			args = append(args, r...)
		}
		lo += n
		q := bulkSQL[t.name][bits.TrailingZeros(uint(n))]
		if scan == nil {
			if _, err := s.exec(ctx, tx, q, args...); err != nil {
				return fmt.Errorf("%s: %w", t.name, classify(err))
			}
			continue
		}
		rs, err := s.query(ctx, tx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, classify(err))
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		if err := rs.Close(); err != nil {
			return fmt.Errorf("%s: %w", t.name, classify(err))
		}
		if err := rs.Err(); err != nil {
			return fmt.Errorf("%s: %w", t.name, classify(err))
		}
	}
	return nil
}

// The set-based statements of a batch: each takes one JSON array.
const (
	qContentKeys = `SELECT r.content_key, r.case_id, c.ref, r.count, r.last_at
		FROM json_each(?) j JOIN report_content r ON r.content_key = j.value JOIN cases c ON c.id = r.case_id`
	qTakenRefs   = `SELECT ref FROM cases WHERE ref IN (SELECT value FROM json_each(?))`
	qLastSources = `SELECT case_id, MAX(seq) FROM report_sources WHERE case_id IN (SELECT value FROM json_each(?)) GROUP BY case_id`
	qBumpContent = `UPDATE report_content SET count = u.value ->> 1, last_at = MAX(last_at, u.value ->> 2)
		FROM json_each(?) AS u WHERE content_key = u.value ->> 0`
	qPeekKeys = `SELECT k.key, k.degree, k.known_good, k.published_at IS NOT NULL
		FROM json_each(?) j JOIN indicator_keys k ON k.key = j.value`
	qHoldKeysN = `INSERT INTO indicator_keys (key, degree) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
		ON CONFLICT (key) DO UPDATE SET degree = degree + excluded.degree
		RETURNING key, degree, known_good, published_at IS NOT NULL`
	qLabelKeys = `UPDATE indicator_keys SET known_good = u.value ->> 1
		FROM json_each(?) AS u WHERE indicator_keys.key = u.value ->> 0`
	qKeyCampaigns = `SELECT DISTINCT s.key, rc.campaign_id FROM json_each(?) j
		JOIN report_seen s ON s.key = j.value
		JOIN report_campaign rc ON rc.case_id = s.case_id ORDER BY 1, 2`
	qLockCampaigns     = `SELECT ` + campaignColumns + ` FROM campaigns WHERE id IN (SELECT value FROM json_each(?))`
	qTakenCampaignRefs = `SELECT ref FROM campaigns WHERE ref IN (SELECT value FROM json_each(?))`
	qMergeReports      = `UPDATE report_campaign SET campaign_id = m.value ->> 1
		FROM json_each(?) AS m WHERE campaign_id = m.value ->> 0`
	qMergeCampaigns = `UPDATE campaigns SET reports = 0, merged_into = m.value ->> 1
		FROM json_each(?) AS m WHERE campaigns.id = m.value ->> 0`
	qInsertCampaigns = `INSERT INTO campaigns (id, ref, reports, first_seen, last_seen)
		SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`
	qUpdateCampaigns = `UPDATE campaigns SET reports = u.value ->> 1, first_seen = u.value ->> 2,
		last_seen = u.value ->> 3, merged_into = u.value ->> 4
		FROM json_each(?) AS u WHERE campaigns.id = u.value ->> 0`
	qFileReports = `INSERT INTO report_campaign (case_id, campaign_id)
		SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
		ON CONFLICT (case_id) DO UPDATE SET campaign_id = excluded.campaign_id`
)

// jsonArg is v as one JSON text parameter (for json_each).
func jsonArg(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// queryJSONSet runs q, whose one parameter is the JSON array of values
// and whose rows are one string each, and returns those strings as a set.
func (s *Store) queryJSONSet(ctx context.Context, tx *sql.Tx, q string, values []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.queryJSON(ctx, tx, q, values, func(rs *sql.Rows) error {
		var v string
		err := rs.Scan(&v)
		out[v] = true
		return err
	})
	return out, err
}

// queryJSON runs q, whose one parameter is the JSON array of values, and
// calls scan for each row.
func (s *Store) queryJSON(ctx context.Context, tx *sql.Tx, q string, values any, scan func(*sql.Rows) error) error {
	rs, err := s.query(ctx, tx, q, jsonArg(values))
	if err != nil {
		return classify(err)
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// SubmitReports writes a batch of partner reports in one transaction (see
// report.BatchStore).
func (s *Store) SubmitReports(ctx context.Context, b report.Batch) ([]report.BatchFiled, error) {
	var out []report.BatchFiled
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if b.Idem != nil {
			var digest, answer []byte
			err := tx.QueryRowContext(ctx, `SELECT digest, answer FROM api_idempotency WHERE scope = ? AND key = ?`, b.Idem.Scope, b.Idem.Key).Scan(&digest, &answer)
			if err == nil {
				return &report.ReplayError{Digest: digest, Answer: answer}
			}
			if !errors.Is(err, sql.ErrNoRows) {
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
			if _, err := tx.ExecContext(ctx, `INSERT INTO api_idempotency (scope, key, digest, answer, created_at) VALUES (?, ?, ?, ?, ?)`,
				b.Idem.Scope, b.Idem.Key, b.Idem.Digest, answer, dbTime(norm(b.Idem.At))); err != nil {
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
		return nil, fmt.Errorf("sqlite: submit %d reports: %w", len(b.Entries), err)
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

func (s *Store) submitBatchTx(ctx context.Context, tx *sql.Tx, entries []report.BatchEntry) ([]report.BatchFiled, error) {
	out := make([]report.BatchFiled, len(entries))
	// The content keys reports hold already.
	byKey := map[string]*content{}
	var ckeys []string
	for _, e := range entries {
		if e.ContentKey != "" {
			ckeys = append(ckeys, e.ContentKey)
		}
	}
	if len(ckeys) > 0 {
		err := s.queryJSON(ctx, tx, qContentKeys, ckeys,
			func(rs *sql.Rows) error {
				var (
					k string
					c content
				)
				if err := rs.Scan(&k, &c.caseID, &c.ref, &c.count, tm(&c.lastAt)); err != nil {
					return err
				}
				c.stored = true
				byKey[k] = &c
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("content keys: %w", err)
		}
	}
	// Which entries are new, which repeat a content.
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
	if err := s.freeRefs(ctx, tx, entries, subs, fresh); err != nil {
		return nil, err
	}
	// Results, counts and sources, in the order of the entries.
	type source struct {
		caseID string
		seq    int // within the batch, from 1
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
	if err := s.insertSubmissions(ctx, tx, subs, fresh); err != nil {
		return nil, err
	}
	// Content keys: new rows, and the counts of those stored before.
	var newContent, bumped [][]any
	for k, c := range byKey {
		if c.stored {
			bumped = append(bumped, []any{k, c.count, dbTime(c.lastAt)})
		} else {
			newContent = append(newContent, []any{k, c.caseID, c.count, dbTime(c.lastAt)})
		}
	}
	if err := s.insertRows(ctx, tx, tContent, newContent, nil); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	if len(bumped) > 0 {
		if _, err := s.exec(ctx, tx, qBumpContent, jsonArg(bumped)); err != nil {
			return nil, fmt.Errorf("content counts: %w", classify(err))
		}
	}
	// Sources: numbered after those a report had before the batch.
	if len(sources) > 0 {
		var before []string
		for id := range perCase {
			before = append(before, id)
		}
		last := map[string]int{}
		err := s.queryJSON(ctx, tx, qLastSources, before,
			func(rs *sql.Rows) error {
				var (
					id string
					n  int
				)
				if err := rs.Scan(&id, &n); err != nil {
					return err
				}
				last[id] = n
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		rows := make([][]any, len(sources))
		for i, x := range sources {
			rows[i] = []any{x.caseID, last[x.caseID] + x.seq, x.src.PartnerID, x.src.Channel, x.src.ExternalID, dbTime(norm(x.src.ReceivedAt))}
		}
		if err := s.insertRows(ctx, tx, tSources, rows, nil); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
	}
	return out, nil
}

// freeRefs gives each new entry (fresh) a reference no case holds and no
// other entry of the batch takes, drawing again through its Remint.
func (s *Store) freeRefs(ctx context.Context, tx *sql.Tx, entries []report.BatchEntry, subs []report.Submission, fresh []int) error {
	todo := fresh
	mine := map[string]bool{}
	for attempt := 0; len(todo) > 0; attempt++ {
		refs := make([]string, len(todo))
		for j, i := range todo {
			refs[j] = subs[i].Case.Ref
		}
		taken, err := s.queryJSONSet(ctx, tx, qTakenRefs, refs)
		if err != nil {
			return fmt.Errorf("references: %w", err)
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
			if subs[i].Case.Ref, err = entries[i].Remint(); err != nil {
				return err
			}
			again = append(again, i)
		}
		todo = again
	}
	return nil
}

// insertSubmissions writes the new reports subs[i] (i in fresh) as
// submitReportTx writes each, table by table, then links them into
// campaigns together.
func (s *Store) insertSubmissions(ctx context.Context, tx *sql.Tx, subs []report.Submission, fresh []int) error {
	if len(fresh) == 0 {
		return nil
	}
	var cases, secrets, personal, reps, seen, routes, evidence, events [][]any
	type pendingEvent struct {
		caseID, ref string
		typ         string
	}
	var leaves [][]any
	pending := map[string]pendingEvent{}
	links := make([]report.NewReport, 0, len(fresh))
	for _, i := range fresh {
		sub := subs[i]
		c, sec := sub.Case, sub.Secrets
		cases = append(cases, []any{c.ID, c.Ref, string(c.Kind), c.Category, string(c.Status), nullStr(c.UnitID),
			dbTime(norm(c.CreatedAt)), dbTime(norm(c.SubmittedAt)), dbTime(norm(c.UpdatedAt)),
			dbTime(norm(c.ExpiresAt)), dbTime(norm(c.ErasedAt)), nullStr(c.LinkedRef)})
		secrets = append(secrets, []any{c.ID, sec.TrackingHash, sec.LedgerSalt, sec.CodeFailures, dbTime(norm(sec.LastCodeFailure))})
		personal = append(personal, []any{c.ID, sub.Personal.WrappedKey, sub.Personal.Ciphertext})
		reps = append(reps, []any{c.ID, string(sub.Lane), string(sub.Place)})
		keys := make([]string, 0, len(sub.Seen))
		for j, v := range sub.Seen {
			seen = append(seen, []any{c.ID, j, v.Channel, v.Kind, v.Input, boolInt(v.Valid), v.Canonical, v.Display, v.Domain, v.Reason, nullStr(v.Key)})
			keys = append(keys, v.Key)
		}
		byService := map[string]int{}
		for _, r := range sub.Routes {
			// A service routed twice keeps its last route, as the upsert
			// of one report does.
			row := []any{c.ID, r.Service, string(r.Status), r.RuleID, r.RuleVersion, r.WhyFR, r.WhyEN, r.By, string(r.Outcome), dbTime(norm(r.At))}
			if j, ok := byService[r.Service]; ok {
				routes[j] = row
				continue
			}
			byService[r.Service] = len(routes)
			routes = append(routes, row)
		}
		for _, e := range sub.Evidence {
			evidence = append(evidence, []any{e.ID, c.ID, e.BlobKey, e.ContentType, e.Size, e.SHA256, dbTime(norm(e.CreatedAt))})
		}
		if len(sub.Events) > 0 && len(sec.LedgerSalt) == 0 {
			return fmt.Errorf("case %s: events need a ledger salt: %w", c.Ref, guichet.ErrInvalid)
		}
		for j, e := range sub.Events {
			if e.ID == "" || e.Type == "" || e.At.IsZero() || (e.CaseID != "" && e.CaseID != c.ID) {
				return fmt.Errorf("case %s: event %q: id, type, time and matching case are required: %w", c.Ref, e.ID, guichet.ErrInvalid)
			}
			e.CaseID = c.ID
			e.At = norm(e.At)
			data, err := json.Marshal(e.Data)
			if err != nil {
				return fmt.Errorf("case %s: event %s: %w", c.Ref, e.ID, err)
			}
			events = append(events, []any{e.ID, c.ID, j + 1, e.Type, dbTime(e.At), e.Actor, boolInt(e.Visible), string(data)})
			leaves = append(leaves, []any{e.ID, casefile.NewLeaf(sec.LedgerSalt, c.Ref, e).MarshalCanonical(), dbTime(e.At)})
			pending[e.ID] = pendingEvent{c.ID, c.Ref, e.Type}
		}
		links = append(links, report.NewReport{CaseID: c.ID, At: norm(c.SubmittedAt), Keys: keys})
	}
	for _, t := range []struct {
		t    bulkTable
		rows [][]any
	}{
		{tCases, cases}, {tSecrets, secrets}, {tPersonal, personal}, {tReports, reps}, {tSeen, seen},
		{tRoutes, routes}, {tEvidence, evidence}, {tEvents, events},
	} {
		if err := s.insertRows(ctx, tx, t.t, t.rows, nil); err != nil {
			return err
		}
	}
	// Outbox rows, in the order of the events; the hub learns their IDs
	// once the transaction commits.
	var recs []hub.Record
	err := s.insertRows(ctx, tx, tOutbox, leaves, func(rs *sql.Rows) error {
		var (
			id  int64
			eid string
		)
		if err := rs.Scan(&id, &eid); err != nil {
			return err
		}
		p := pending[eid]
		recs = append(recs, hub.Record{ID: id, EventID: eid, CaseID: p.caseID, Kind: refKind(p.ref), Type: p.typ})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(recs, func(a, b hub.Record) int { return int(a.ID - b.ID) })
	s.written = append(s.written, recs...)
	if err := report.LinkBatch(ctx, batchLinkTx{linkTx{s, tx}, &keyCampaignsRead{}}, links, s.ids.New, rand.Reader); err != nil {
		return fmt.Errorf("campaigns: %w", err)
	}
	return nil
}

// batchLinkTx runs report.LinkBatch's steps in a write transaction, a
// statement per step.
type batchLinkTx struct {
	linkTx
	last *keyCampaignsRead
}

// keyCampaignsRead is the last KeyCampaigns read of a batch. The writer's
// transaction holds the database's write lock from its BEGIN IMMEDIATE:
// the campaigns it reads are locked as it reads them, so LockCampaigns
// need not read them again when nothing was written since (linking reads
// them, then locks them, with no write between).
type keyCampaignsRead struct {
	keys []string
	held map[string][]string
}

// forget drops the read: something was written.
func (r *keyCampaignsRead) forget() {
	if r != nil {
		r.keys, r.held = nil, nil
	}
}

var _ report.BatchLinkTx = batchLinkTx{}

func (l batchLinkTx) PeekKeys(ctx context.Context, keys []string) (int, []report.KeyState, error) {
	maxDegree, err := l.MaxDegree(ctx)
	if err != nil || len(keys) == 0 {
		return maxDegree, nil, err
	}
	states, err := l.peek(ctx, keys)
	return maxDegree, states, err
}

// scanKeyCount reads one row of (key, degree, known_good key, published),
// the shape qPeekKeys and qHoldKeysN return; unlike scanKeyState it holds
// the known-good entry's key only.
func scanKeyCount(rs *sql.Rows) (report.KeyState, error) {
	var (
		st report.KeyState
		kg sql.NullString
	)
	if err := rs.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
		return report.KeyState{}, err
	}
	if kg.Valid {
		st.KnownGood = &report.KnownGood{Key: kg.String}
	}
	return st, nil
}

func (l batchLinkTx) peek(ctx context.Context, keys []string) ([]report.KeyState, error) {
	found := map[string]report.KeyState{}
	err := l.s.queryJSON(ctx, l.tx, qPeekKeys, keys, func(rs *sql.Rows) error {
		st, err := scanKeyCount(rs)
		if err == nil {
			found[st.Key] = st
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		out[i] = found[k]
		out[i].Key = k
	}
	return out, nil
}

func (l batchLinkTx) HoldKeysN(ctx context.Context, keys []string, n []int, at time.Time) ([]report.KeyState, int, error) {
	l.last.forget()
	states, err := l.holdKeysN(ctx, keys, n, at)
	if err != nil {
		return nil, 0, err
	}
	maxDegree, err := l.MaxDegree(ctx)
	return states, maxDegree, err
}

func (l batchLinkTx) holdKeysN(ctx context.Context, keys []string, n []int, _ time.Time) ([]report.KeyState, error) {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k, n[i]}
	}
	got := make(map[string]report.KeyState, len(keys))
	var fresh, cands []string
	err := l.s.queryJSON(ctx, l.tx, qHoldKeysN, rows, func(rs *sql.Rows) error {
		st, err := scanKeyCount(rs)
		if err == nil {
			got[st.Key] = st
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		st, ok := got[k]
		if !ok {
			return nil, fmt.Errorf("keys: %s not counted", k)
		}
		if st.KnownGood == nil && st.Reports == n[i] {
			// New to the index: the entry covering it, if any.
			fresh = append(fresh, k)
			cands = append(cands, report.CoveredBy(k)...)
		}
		out[i] = st
	}
	if len(fresh) == 0 {
		return out, nil
	}
	entries, err := l.KnownGoodKeys(ctx, distinct(cands))
	if err != nil {
		return nil, err
	}
	var labels [][]any
	at := map[string]int{}
	for i, k := range keys {
		at[k] = i
	}
	for _, k := range fresh {
		for _, c := range report.CoveredBy(k) {
			if entries[c] {
				labels = append(labels, []any{k, c})
				out[at[k]].KnownGood = &report.KnownGood{Key: c}
				break
			}
		}
	}
	if len(labels) > 0 {
		if _, err := l.s.exec(ctx, l.tx, qLabelKeys, jsonArg(labels)); err != nil {
			return nil, fmt.Errorf("keys: %w", classify(err))
		}
	}
	return out, nil
}

func distinct(v []string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	return slices.Compact(v)
}

func (l batchLinkTx) KeyCampaigns(ctx context.Context, keys []string) (map[string][]string, error) {
	out := map[string][]string{}
	err := l.s.queryJSON(ctx, l.tx, qKeyCampaigns, keys, func(rs *sql.Rows) error {
		var k, id string
		if err := rs.Scan(&k, &id); err != nil {
			return err
		}
		out[k] = append(out[k], id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("campaigns holding: %w", err)
	}
	if l.last != nil {
		l.last.keys, l.last.held = slices.Clone(keys), out
	}
	return out, nil
}

func (l batchLinkTx) LockCampaigns(ctx context.Context, ids, keys []string) ([]report.Campaign, map[string][]string, error) {
	cs, err := l.lockCampaigns(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	if l.last != nil && l.last.held != nil && slices.Equal(l.last.keys, keys) {
		// Read under the write lock, nothing written since: as it is.
		held := make(map[string][]string, len(l.last.held))
		for k, ids := range l.last.held {
			held[k] = slices.Clone(ids)
		}
		l.last.forget()
		return cs, held, nil
	}
	held, err := l.KeyCampaigns(ctx, keys)
	return cs, held, err
}

func (l batchLinkTx) lockCampaigns(ctx context.Context, ids []string) ([]report.Campaign, error) {
	found := map[string]report.Campaign{}
	err := l.s.queryJSON(ctx, l.tx, qLockCampaigns, ids, func(rs *sql.Rows) error {
		c, err := scanCampaign(rs)
		found[c.ID] = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	out := make([]report.Campaign, len(ids))
	for i, id := range ids {
		c, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("campaign %s: %w", id, guichet.ErrNotFound)
		}
		out[i] = c
	}
	return out, nil
}

func (l batchLinkTx) CampaignRefsTaken(ctx context.Context, refs []string) (map[string]bool, error) {
	out, err := l.s.queryJSONSet(ctx, l.tx, qTakenCampaignRefs, refs)
	if err != nil {
		return nil, fmt.Errorf("campaign references: %w", err)
	}
	return out, nil
}

func (l batchLinkTx) WriteLinks(ctx context.Context, w report.LinkWrites) error {
	l.last.forget()
	if len(w.Insert) > 0 {
		if err := l.insertCampaigns(ctx, w.Insert); err != nil {
			return err
		}
	}
	if len(w.From) > 0 {
		if err := l.mergeCampaigns(ctx, w.From, w.Into); err != nil {
			return err
		}
	}
	if len(w.Files) > 0 {
		if err := l.fileReports(ctx, w.Files); err != nil {
			return err
		}
	}
	if len(w.Update) > 0 {
		return l.updateCampaigns(ctx, w.Update)
	}
	return nil
}

func (l batchLinkTx) insertCampaigns(ctx context.Context, cs []report.Campaign) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.ID, c.Ref, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen))}
	}
	if _, err := l.s.exec(ctx, l.tx, qInsertCampaigns, jsonArg(rows)); err != nil {
		return fmt.Errorf("new campaigns: %w", classify(err))
	}
	return nil
}

func (l batchLinkTx) updateCampaigns(ctx context.Context, cs []report.Campaign) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		rows[i] = []any{c.ID, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen)), nullStr(c.MergedInto)}
	}
	if _, err := l.s.exec(ctx, l.tx, qUpdateCampaigns, jsonArg(rows)); err != nil {
		return fmt.Errorf("campaigns: %w", classify(err))
	}
	return nil
}

func (l batchLinkTx) mergeCampaigns(ctx context.Context, from, into []string) error {
	pairs := make([][]string, len(from))
	for i := range from {
		pairs[i] = []string{from[i], into[i]}
	}
	js := jsonArg(pairs)
	if _, err := l.s.exec(ctx, l.tx, qMergeReports, js); err != nil {
		return fmt.Errorf("merge campaigns: %w", classify(err))
	}
	if _, err := l.s.exec(ctx, l.tx, qMergeCampaigns, js); err != nil {
		return fmt.Errorf("merge campaigns: %w", classify(err))
	}
	return nil
}

func (l batchLinkTx) fileReports(ctx context.Context, a []report.Assignment) error {
	rows := make([][]any, len(a))
	for i, x := range a {
		rows[i] = []any{x.CaseID, x.CampaignID}
	}
	if _, err := l.s.exec(ctx, l.tx, qFileReports, jsonArg(rows)); err != nil {
		return fmt.Errorf("file reports in campaigns: %w", classify(err))
	}
	return nil
}
