package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// maxParams is the most parameters one statement binds (SQLite's limit is
// 32766).
const maxParams = 30000

// insertRows inserts rows (each len(cols) values) into table in
// multi-row statements; suffix ends each statement (RETURNING …), and scan,
// when set, reads the rows it returns.
func insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, suffix string, scan func(*sql.Rows) error) error {
	per := max(1, min(500, maxParams/len(cols)))
	one := "(" + marks(len(cols)) + ")"
	for lo := 0; lo < len(rows); lo += per {
		hi := min(len(rows), lo+per)
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, (hi-lo)*len(cols))
		for i := lo; i < hi; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString(one)
			args = append(args, rows[i]...)
		}
		q.WriteString(" " + suffix)
		if scan == nil {
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("%s: %w", table, classify(err))
			}
			continue
		}
		rs, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return fmt.Errorf("%s: %w", table, classify(err))
		}
		for rs.Next() {
			if err := scan(rs); err != nil {
				rs.Close()
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		if err := rs.Close(); err != nil {
			return fmt.Errorf("%s: %w", table, classify(err))
		}
		if err := rs.Err(); err != nil {
			return fmt.Errorf("%s: %w", table, classify(err))
		}
	}
	return nil
}

// jsonArg is v as one JSON text parameter (for json_each).
func jsonArg(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// queryJSON runs q, whose one parameter is the JSON array of values, and
// calls scan for each row.
func queryJSON(ctx context.Context, tx *sql.Tx, q string, values any, scan func(*sql.Rows) error) error {
	rs, err := tx.QueryContext(ctx, q, jsonArg(values))
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
		err := queryJSON(ctx, tx, `SELECT r.content_key, r.case_id, c.ref, r.count, r.last_at
			FROM json_each(?) j JOIN report_content r ON r.content_key = j.value JOIN cases c ON c.id = r.case_id`, ckeys,
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
	if err := insertRows(ctx, tx, "report_content", []string{"content_key", "case_id", "count", "last_at"}, newContent, "", nil); err != nil {
		return nil, fmt.Errorf("content: %w", err)
	}
	if len(bumped) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE report_content SET count = u.value ->> 1, last_at = MAX(last_at, u.value ->> 2)
			FROM json_each(?) AS u WHERE content_key = u.value ->> 0`, jsonArg(bumped)); err != nil {
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
		err := queryJSON(ctx, tx, `SELECT case_id, MAX(seq) FROM report_sources WHERE case_id IN (SELECT value FROM json_each(?)) GROUP BY case_id`, before,
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
		if err := insertRows(ctx, tx, "report_sources", []string{"case_id", "seq", "partner_id", "channel", "external_id", "received_at"}, rows, "", nil); err != nil {
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
		taken := map[string]bool{}
		err := queryJSON(ctx, tx, `SELECT ref FROM cases WHERE ref IN (SELECT value FROM json_each(?))`, refs, func(rs *sql.Rows) error {
			var r string
			err := rs.Scan(&r)
			taken[r] = true
			return err
		})
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
		if err := insertRows(ctx, tx, t.table, t.cols, t.rows, "", nil); err != nil {
			return err
		}
	}
	// Outbox rows, in the order of the events; the hub learns their IDs
	// once the transaction commits.
	var recs []hub.Record
	err := insertRows(ctx, tx, "outbox", []string{"event_id", "leaf", "created_at"}, leaves, "RETURNING id, event_id", func(rs *sql.Rows) error {
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
	if err := report.LinkBatch(ctx, batchLinkTx{linkTx{s, tx}}, links, s.ids.New, rand.Reader); err != nil {
		return fmt.Errorf("campaigns: %w", err)
	}
	return nil
}

// batchLinkTx runs report.LinkBatch's steps in a write transaction, a
// statement per step.
type batchLinkTx struct{ linkTx }

var _ report.BatchLinkTx = batchLinkTx{}

func (l batchLinkTx) PeekKeys(ctx context.Context, keys []string) ([]report.KeyState, error) {
	found := map[string]report.KeyState{}
	err := queryJSON(ctx, l.tx, `SELECT k.key, k.degree, k.known_good, k.published_at IS NOT NULL
		FROM json_each(?) j JOIN indicator_keys k ON k.key = j.value`, keys, func(rs *sql.Rows) error {
		var (
			st report.KeyState
			kg sql.NullString
		)
		if err := rs.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
			return err
		}
		if kg.Valid {
			st.KnownGood = &report.KnownGood{Key: kg.String}
		}
		found[st.Key] = st
		return nil
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

func (l batchLinkTx) HoldKeysN(ctx context.Context, keys []string, n []int, _ time.Time) ([]report.KeyState, error) {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{k, n[i]}
	}
	got := make(map[string]report.KeyState, len(keys))
	var fresh, cands []string
	err := queryJSON(ctx, l.tx, `INSERT INTO indicator_keys (key, degree) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
		ON CONFLICT (key) DO UPDATE SET degree = degree + excluded.degree
		RETURNING key, degree, known_good, published_at IS NOT NULL`, rows, func(rs *sql.Rows) error {
		var (
			st report.KeyState
			kg sql.NullString
		)
		if err := rs.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
			return err
		}
		if kg.Valid {
			st.KnownGood = &report.KnownGood{Key: kg.String}
		}
		got[st.Key] = st
		return nil
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
	entries, err := knownGoodKeys(ctx, l.tx, distinct(cands))
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
		if _, err := l.tx.ExecContext(ctx, `UPDATE indicator_keys SET known_good = u.value ->> 1
			FROM json_each(?) AS u WHERE indicator_keys.key = u.value ->> 0`, jsonArg(labels)); err != nil {
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
	err := queryJSON(ctx, l.tx, `SELECT DISTINCT s.key, rc.campaign_id FROM json_each(?) j
		JOIN report_seen s ON s.key = j.value
		JOIN report_campaign rc ON rc.case_id = s.case_id ORDER BY 1, 2`, keys, func(rs *sql.Rows) error {
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
	return out, nil
}

func (l batchLinkTx) LockCampaigns(ctx context.Context, ids []string) ([]report.Campaign, error) {
	found := map[string]report.Campaign{}
	err := queryJSON(ctx, l.tx, `SELECT `+campaignColumns+` FROM campaigns WHERE id IN (SELECT value FROM json_each(?))`, ids, func(rs *sql.Rows) error {
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
	out := map[string]bool{}
	err := queryJSON(ctx, l.tx, `SELECT ref FROM campaigns WHERE ref IN (SELECT value FROM json_each(?))`, refs, func(rs *sql.Rows) error {
		var r string
		err := rs.Scan(&r)
		out[r] = true
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign references: %w", err)
	}
	return out, nil
}

func (l batchLinkTx) InsertCampaigns(ctx context.Context, cs []report.Campaign) error {
	return l.WriteCampaigns(ctx, nil, cs)
}

func (l batchLinkTx) UpdateCampaigns(ctx context.Context, cs []report.Campaign) error {
	return l.WriteCampaigns(ctx, cs, nil)
}

func (l batchLinkTx) MergeCampaigns(ctx context.Context, from, into []string) error {
	pairs := make([][]string, len(from))
	for i := range from {
		pairs[i] = []string{from[i], into[i]}
	}
	js := jsonArg(pairs)
	if _, err := l.tx.ExecContext(ctx, `UPDATE report_campaign SET campaign_id = m.value ->> 1
		FROM json_each(?) AS m WHERE campaign_id = m.value ->> 0`, js); err != nil {
		return fmt.Errorf("merge campaigns: %w", classify(err))
	}
	if _, err := l.tx.ExecContext(ctx, `UPDATE campaigns SET reports = 0, merged_into = m.value ->> 1
		FROM json_each(?) AS m WHERE campaigns.id = m.value ->> 0`, js); err != nil {
		return fmt.Errorf("merge campaigns: %w", classify(err))
	}
	return nil
}

func (l batchLinkTx) FileReports(ctx context.Context, a []report.Assignment) error {
	return l.WriteAssignments(ctx, a)
}
