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
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// Cross-referencing: the index of keys (indicator_keys), the campaigns,
// which campaign each report is in (report_campaign) and the known-good
// list. The algorithm is package report's (Link, Relabel, Rebuild); linkTx
// is its view of a write transaction.
//
// Several nodes file reports at once. Raising a key's degree locks its
// index row (upsert) until the transaction ends, so reports sharing a key
// are linked one after the other; merging or splitting campaigns locks
// their rows (SELECT … FOR UPDATE, in ID order) and report.Link reads them
// again once locked, so filings bridging the same campaigns in parallel
// merge them exactly once. A deadlock between two such filings is retried
// by Transact. A rebuild locks the index and campaign tables against
// writers (EXCLUSIVE mode): filings wait for it, readers do not.

var (
	_ report.KnownGoodTx = linkTx{}
	_ report.RebuildTx   = linkTx{}
)

// linkTx runs report's linking steps in a write transaction.
type linkTx struct {
	s  *Store
	tx pgx.Tx
}

func (l linkTx) MaxDegree(ctx context.Context) (int, error) {
	var n int
	if err := l.tx.QueryRow(ctx, `SELECT max_degree FROM campaign_settings WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("threshold: %w", err)
	}
	return n, nil
}

func (l linkTx) PeekKeys(ctx context.Context, keys []string) ([]report.KeyState, error) {
	rows, err := l.tx.Query(ctx, `SELECT key, degree, COALESCE(known_good, ''), published_at IS NOT NULL
		FROM indicator_keys WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	found := map[string]report.KeyState{}
	for rows.Next() {
		var (
			st report.KeyState
			kg string
		)
		if err := rows.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
			rows.Close()
			return nil, fmt.Errorf("keys: %w", err)
		}
		if kg != "" {
			st.KnownGood = &report.KnownGood{Key: kg}
		}
		found[st.Key] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		out[i] = found[k]
		out[i].Key = k
	}
	return out, nil
}

func (l linkTx) ReportCampaign(ctx context.Context, caseID string) (report.Campaign, error) {
	c, err := scanCampaign(l.tx.QueryRow(ctx, qReportCampaign, caseID))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("report %s: campaign: %w", caseID, classify(err))
	}
	return c, nil
}

func (l linkTx) HoldKeys(ctx context.Context, keys []string, _ time.Time) ([]report.KeyState, error) {
	// One statement for every key, in key order (the order rows are
	// locked in), rather than one round trip each.
	rows, err := l.tx.Query(ctx, `INSERT INTO indicator_keys (key, degree)
		SELECT k, 1 FROM unnest($1::text[]) WITH ORDINALITY AS t (k, i) ORDER BY i
		ON CONFLICT (key) DO UPDATE SET degree = indicator_keys.degree + 1
		RETURNING key, degree, COALESCE(known_good, ''), published_at IS NOT NULL`, keys)
	if err != nil {
		return nil, fmt.Errorf("keys: %w", classify(err))
	}
	got := make(map[string]report.KeyState, len(keys))
	var fresh, cands []string
	for rows.Next() {
		var (
			st report.KeyState
			kg string
		)
		if err := rows.Scan(&st.Key, &st.Reports, &kg, &st.Published); err != nil {
			rows.Close()
			return nil, fmt.Errorf("keys: %w", err)
		}
		if kg != "" {
			st.KnownGood = &report.KnownGood{Key: kg}
		} else if st.Reports == 1 {
			fresh = append(fresh, st.Key)
			cands = append(cands, report.CoveredBy(st.Key)...)
		}
		got[st.Key] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keys: %w", classify(err))
	}
	if len(fresh) > 0 {
		// New to the index: the entry covering each, if any.
		entries, err := l.KnownGoodKeys(ctx, cands)
		if err != nil {
			return nil, err
		}
		var ks, es []string
		for _, k := range fresh {
			for _, c := range report.CoveredBy(k) {
				if entries[c] {
					ks, es = append(ks, k), append(es, c)
					st := got[k]
					st.KnownGood = &report.KnownGood{Key: c}
					got[k] = st
					break
				}
			}
		}
		if len(ks) > 0 {
			if _, err := l.tx.Exec(ctx, `UPDATE indicator_keys SET known_good = t.e
				FROM unnest($1::text[], $2::text[]) AS t (k, e) WHERE key = t.k`, ks, es); err != nil {
				return nil, fmt.Errorf("keys: %w", classify(err))
			}
		}
	}
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		st, ok := got[k]
		if !ok {
			return nil, fmt.Errorf("keys: %s not counted", k)
		}
		out[i] = st
	}
	return out, nil
}

func (l linkTx) KnownGoodKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := l.tx.Query(ctx, `SELECT key FROM known_good WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("known-good: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("known-good: %w", err)
	}
	for _, k := range found {
		out[k] = true
	}
	return out, nil
}

func (l linkTx) CampaignsHolding(ctx context.Context, keys []string, except string) ([]string, error) {
	// Written so that every plan, the generic one of a prepared statement
	// included, probes the indexes key by key and report by report: with
	// "key = ANY($1)" the planner guesses a share of the table, and on a
	// young index it scanned report_seen and report_campaign whole on every
	// filing (OFFSET 0 keeps the lateral subquery from being flattened).
	rows, err := l.tx.Query(ctx, `SELECT DISTINCT c FROM (
			SELECT (SELECT rc.campaign_id FROM report_campaign rc WHERE rc.case_id = s.case_id) AS c
			FROM unnest($1::text[]) AS k (key)
			CROSS JOIN LATERAL (SELECT case_id FROM report_seen
				WHERE key = k.key AND case_id <> $2 OFFSET 0) s) t
		WHERE c IS NOT NULL ORDER BY 1`, keys, except)
	if err != nil {
		return nil, fmt.Errorf("campaigns holding: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("campaigns holding: %w", err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

const qReportCampaign = `SELECT c.id, c.ref, c.reports, c.first_seen, c.last_seen, COALESCE(c.merged_into, '')
	FROM report_campaign rc JOIN campaigns c ON c.id = rc.campaign_id WHERE rc.case_id = $1`

const campaignColumns = `id, ref, reports, first_seen, last_seen, COALESCE(merged_into, '')`

func scanCampaign(sc interface{ Scan(...any) error }) (report.Campaign, error) {
	var c report.Campaign
	err := sc.Scan(&c.ID, &c.Ref, &c.Reports, tm(&c.FirstSeen), tm(&c.LastSeen), &c.MergedInto)
	return c, err
}

func collectCampaigns(rows pgx.Rows) ([]report.Campaign, error) {
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Campaign, error) { return scanCampaign(r) })
	if out == nil {
		out = []report.Campaign{}
	}
	return out, err
}

func (l linkTx) LockCampaigns(ctx context.Context, ids []string) ([]report.Campaign, error) {
	rows, err := l.tx.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids)
	if err != nil {
		return nil, fmt.Errorf("lock campaigns: %w", err)
	}
	out, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("lock campaigns: %w", classify(err))
	}
	if len(out) != len(ids) {
		return nil, fmt.Errorf("lock campaigns: %d of %d found: %w", len(out), len(ids), guichet.ErrNotFound)
	}
	return out, nil
}

func (l linkTx) CampaignMembers(ctx context.Context, id string) ([]report.Member, error) {
	rows, err := l.tx.Query(ctx, `SELECT rc.case_id, c.submitted_at, COALESCE(s.key, ''), COALESCE(k.degree, 0), COALESCE(k.known_good, '')
		FROM report_campaign rc
		JOIN cases c ON c.id = rc.case_id
		LEFT JOIN report_seen s ON s.case_id = rc.case_id AND s.key IS NOT NULL
		LEFT JOIN indicator_keys k ON k.key = s.key
		WHERE rc.campaign_id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: members: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Member, error) {
		var (
			m  report.Member
			kg string
		)
		err := r.Scan(&m.CaseID, tm(&m.At), &m.Key, &m.State.Reports, &kg)
		m.State.Key = m.Key
		if kg != "" {
			m.State.KnownGood = &report.KnownGood{Key: kg}
		}
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("campaign %s: members: %w", id, err)
	}
	return out, nil
}

func (l linkTx) NewCampaign(ctx context.Context, c report.Campaign) (report.Campaign, error) {
	c.ID, c.MergedInto = l.s.ids.New(), ""
	for range 16 {
		ref, err := report.NewCampaignRef(rand.Reader, report.RefYear(c.FirstSeen))
		if err != nil {
			return report.Campaign{}, err
		}
		tag, err := l.tx.Exec(ctx, `INSERT INTO campaigns (id, ref, reports, first_seen, last_seen)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ref) DO NOTHING`,
			c.ID, ref, c.Reports, dbTime(c.FirstSeen), dbTime(c.LastSeen))
		if err != nil {
			return report.Campaign{}, fmt.Errorf("new campaign: %w", classify(err))
		}
		if tag.RowsAffected() == 1 {
			c.Ref = ref
			return c, nil
		}
	}
	return report.Campaign{}, fmt.Errorf("new campaign: 16 reference collisions: %w", guichet.ErrConflict)
}

func (l linkTx) PutReports(ctx context.Context, caseIDs []string, id string) error {
	_, err := l.tx.Exec(ctx, `INSERT INTO report_campaign (case_id, campaign_id) SELECT unnest($1::text[]), $2
		ON CONFLICT (case_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id`, caseIDs, id)
	if err != nil {
		return fmt.Errorf("file reports in campaign: %w", classify(err))
	}
	return nil
}

func (l linkTx) MergeCampaign(ctx context.Context, from, into string) error {
	if _, err := l.tx.Exec(ctx, `UPDATE report_campaign SET campaign_id = $1 WHERE campaign_id = $2`, into, from); err != nil {
		return fmt.Errorf("merge campaign: %w", classify(err))
	}
	if _, err := l.tx.Exec(ctx, `UPDATE campaigns SET reports = 0, merged_into = $1 WHERE id = $2`, into, from); err != nil {
		return fmt.Errorf("merge campaign: %w", classify(err))
	}
	return nil
}

func (l linkTx) SaveCampaign(ctx context.Context, c report.Campaign) error {
	tag, err := l.tx.Exec(ctx, `UPDATE campaigns SET reports = $1, first_seen = $2, last_seen = $3 WHERE id = $4`,
		c.Reports, dbTime(c.FirstSeen), dbTime(c.LastSeen), c.ID)
	if err != nil {
		return fmt.Errorf("save campaign: %w", classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("save campaign %s: %w", c.ID, guichet.ErrNotFound)
	}
	return nil
}

func (l linkTx) LabelKeys(ctx context.Context, entries map[string]string) (map[string]report.KeyState, error) {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	before := make(map[string]report.KeyState, len(entries))
	for _, k := range keys {
		if _, err := l.tx.Exec(ctx, `INSERT INTO indicator_keys (key, degree) VALUES ($1, 0) ON CONFLICT (key) DO NOTHING`, k); err != nil {
			return nil, fmt.Errorf("key: %w", classify(err))
		}
		st := report.KeyState{Key: k}
		var kg *string
		if err := l.tx.QueryRow(ctx, `SELECT degree, known_good FROM indicator_keys WHERE key = $1 FOR UPDATE`, k).Scan(&st.Reports, &kg); err != nil {
			return nil, fmt.Errorf("key: %w", classify(err))
		}
		if kg != nil {
			st.KnownGood = &report.KnownGood{Key: *kg}
		}
		before[k] = st
		if _, err := l.tx.Exec(ctx, `UPDATE indicator_keys SET known_good = $1 WHERE key = $2`, nullStr(entries[k]), k); err != nil {
			return nil, fmt.Errorf("key: %w", classify(err))
		}
	}
	return before, nil
}

// PrepareRebuild locks the index and the campaigns against writers for the
// rest of the transaction, then recounts and relabels every key.
func (l linkTx) PrepareRebuild(ctx context.Context, maxDegree int) error {
	for _, q := range []string{
		`LOCK TABLE campaign_settings, known_good, indicator_keys, campaigns, report_campaign IN EXCLUSIVE MODE`,
		`UPDATE indicator_keys SET degree = 0, known_good = NULL WHERE degree <> 0 OR known_good IS NOT NULL`,
		`INSERT INTO indicator_keys (key, degree)
			SELECT key, COUNT(DISTINCT case_id) FROM report_seen WHERE key IS NOT NULL GROUP BY key
			ON CONFLICT (key) DO UPDATE SET degree = EXCLUDED.degree`,
	} {
		if _, err := l.tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("rebuild: recount: %w", err)
		}
	}
	if _, err := l.tx.Exec(ctx, `UPDATE campaign_settings SET max_degree = $1, rebuild_needed = false WHERE id = 1`, maxDegree); err != nil {
		return fmt.Errorf("rebuild: threshold: %w", classify(err))
	}
	rows, err := l.tx.Query(ctx, `SELECT key FROM known_good`)
	if err != nil {
		return fmt.Errorf("rebuild: known-good: %w", err)
	}
	entries, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("rebuild: known-good: %w", err)
	}
	labels := report.Labels(entries)
	keys, covering := make([]string, 0, len(labels)), make([]string, 0, len(labels))
	for k, e := range labels {
		keys, covering = append(keys, k), append(covering, e)
	}
	if _, err := l.tx.Exec(ctx, `INSERT INTO indicator_keys (key, degree, known_good)
		SELECT k, 0, e FROM unnest($1::text[], $2::text[]) AS t (k, e)
		ON CONFLICT (key) DO UPDATE SET known_good = EXCLUDED.known_good`, keys, covering); err != nil {
		return fmt.Errorf("rebuild: known-good: %w", classify(err))
	}
	return nil
}

func (l linkTx) ScanReports(ctx context.Context, fn func(report.RebuildRow) error) error {
	rows, err := l.tx.Query(ctx, `SELECT r.case_id, c.submitted_at, COALESCE(rc.campaign_id, ''),
			COALESCE(s.key, ''), COALESCE(k.degree, 0), COALESCE(k.known_good, '')
		FROM reports r
		JOIN cases c ON c.id = r.case_id
		LEFT JOIN report_campaign rc ON rc.case_id = r.case_id
		LEFT JOIN report_seen s ON s.case_id = r.case_id AND s.key IS NOT NULL
		LEFT JOIN indicator_keys k ON k.key = s.key`)
	if err != nil {
		return fmt.Errorf("rebuild: scan: %w", err)
	}
	defer rows.Close()
	kgs := map[string]*report.KnownGood{}
	for rows.Next() {
		var (
			r  report.RebuildRow
			kg string
		)
		if err := rows.Scan(&r.CaseID, tm(&r.At), &r.Campaign, &r.Key, &r.State.Reports, &kg); err != nil {
			return fmt.Errorf("rebuild: scan: %w", err)
		}
		r.State.Key = r.Key
		if kg != "" {
			if kgs[kg] == nil {
				kgs[kg] = &report.KnownGood{Key: kg}
			}
			r.State.KnownGood = kgs[kg]
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (l linkTx) AllCampaigns(ctx context.Context) ([]report.Campaign, error) {
	rows, err := l.tx.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns`)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	out, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	return out, nil
}

func (l linkTx) WriteCampaigns(ctx context.Context, update, insert []report.Campaign) error {
	if len(insert) > 0 {
		_, err := l.tx.CopyFrom(ctx, pgx.Identifier{"campaigns"}, []string{"id", "ref", "reports", "first_seen", "last_seen"},
			pgx.CopyFromSlice(len(insert), func(i int) ([]any, error) {
				c := insert[i]
				return []any{c.ID, c.Ref, c.Reports, dbTime(c.FirstSeen), dbTime(c.LastSeen)}, nil
			}))
		if err != nil {
			return fmt.Errorf("rebuild: new campaigns: %w", classify(err))
		}
	}
	if len(update) == 0 {
		return nil
	}
	if _, err := l.tx.Exec(ctx, `CREATE TEMPORARY TABLE rebuilt_campaigns
		(id text, reports integer, first_seen timestamptz, last_seen timestamptz, merged_into text) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("rebuild: campaigns: %w", err)
	}
	_, err := l.tx.CopyFrom(ctx, pgx.Identifier{"rebuilt_campaigns"}, []string{"id", "reports", "first_seen", "last_seen", "merged_into"},
		pgx.CopyFromSlice(len(update), func(i int) ([]any, error) {
			c := update[i]
			return []any{c.ID, c.Reports, dbTime(c.FirstSeen), dbTime(c.LastSeen), nullStr(c.MergedInto)}, nil
		}))
	if err != nil {
		return fmt.Errorf("rebuild: campaigns: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `UPDATE campaigns c SET reports = r.reports, first_seen = r.first_seen,
		last_seen = r.last_seen, merged_into = r.merged_into FROM rebuilt_campaigns r WHERE c.id = r.id`); err != nil {
		return fmt.Errorf("rebuild: campaigns: %w", classify(err))
	}
	return nil
}

func (l linkTx) WriteAssignments(ctx context.Context, a []report.Assignment) error {
	if len(a) == 0 {
		return nil
	}
	if _, err := l.tx.Exec(ctx, `CREATE TEMPORARY TABLE rebuilt_assignments (case_id text, campaign_id text) ON COMMIT DROP`); err != nil {
		return fmt.Errorf("rebuild: assignments: %w", err)
	}
	_, err := l.tx.CopyFrom(ctx, pgx.Identifier{"rebuilt_assignments"}, []string{"case_id", "campaign_id"},
		pgx.CopyFromSlice(len(a), func(i int) ([]any, error) { return []any{a[i].CaseID, a[i].CampaignID}, nil }))
	if err != nil {
		return fmt.Errorf("rebuild: assignments: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `INSERT INTO report_campaign (case_id, campaign_id)
		SELECT case_id, campaign_id FROM rebuilt_assignments
		ON CONFLICT (case_id) DO UPDATE SET campaign_id = EXCLUDED.campaign_id`); err != nil {
		return fmt.Errorf("rebuild: assignments: %w", classify(err))
	}
	return nil
}

// link files a new report in its campaign, in the transaction writing it.
func (s *Store) link(ctx context.Context, tx pgx.Tx, sub report.Submission) error {
	keys := make([]string, 0, len(sub.Seen))
	for _, v := range sub.Seen {
		keys = append(keys, v.Key)
	}
	// As a batch of one: the same campaigns as report.Link makes, in
	// fewer round trips (see batchLinkTx).
	r := []report.NewReport{{CaseID: sub.Case.ID, At: norm(sub.Case.SubmittedAt), Keys: keys}}
	if err := report.LinkBatch(ctx, batchLinkTx{linkTx{s, tx}}, r, s.ids.New, rand.Reader); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	return nil
}

// rebuildIfNeeded rebuilds the campaigns when a migration left reports
// that no campaign holds; of nodes starting together, the first does it.
func (s *Store) rebuildIfNeeded(ctx context.Context) error {
	var needed bool
	if err := s.pool.QueryRow(ctx, `SELECT rebuild_needed FROM campaign_settings WHERE id = 1`).Scan(&needed); err != nil {
		return fmt.Errorf("campaign settings: %w", err)
	}
	if !needed {
		return nil
	}
	_, err := s.rebuild(ctx, 0)
	return err
}

// RebuildCampaigns recomputes every campaign (see report.CampaignStore).
func (s *Store) RebuildCampaigns(ctx context.Context, maxDegree int) (report.RebuildStats, error) {
	if maxDegree < 1 {
		return report.RebuildStats{}, fmt.Errorf("postgres: rebuild campaigns: threshold %d: %w", maxDegree, guichet.ErrInvalid)
	}
	return s.rebuild(ctx, maxDegree)
}

// errNoRebuild ends a rebuild that another node has done meanwhile.
var errNoRebuild = errors.New("no rebuild needed")

// rebuild runs report.Rebuild under maxDegree, or, when maxDegree is 0,
// under the current threshold and only if a rebuild is still needed once
// the tables are locked.
func (s *Store) rebuild(ctx context.Context, maxDegree int) (report.RebuildStats, error) {
	var st report.RebuildStats
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		n := maxDegree
		if n == 0 {
			if _, err := tx.Exec(ctx, `LOCK TABLE campaign_settings IN EXCLUSIVE MODE`); err != nil {
				return err
			}
			var needed bool
			if err := tx.QueryRow(ctx, `SELECT rebuild_needed, max_degree FROM campaign_settings WHERE id = 1`).Scan(&needed, &n); err != nil {
				return err
			}
			if !needed {
				return errNoRebuild
			}
		}
		var err error
		st, err = report.Rebuild(ctx, linkTx{s, tx}, report.RebuildOptions{MaxDegree: n, NewID: s.ids.New, Rand: rand.Reader})
		return err
	})
	if errors.Is(err, errNoRebuild) {
		return st, nil
	}
	if err != nil {
		return report.RebuildStats{}, fmt.Errorf("postgres: rebuild campaigns: %w", err)
	}
	// Every row may have changed: give the planner fresh statistics.
	if _, err := s.pool.Exec(ctx, `ANALYZE indicator_keys, campaigns, report_campaign`); err != nil {
		return st, fmt.Errorf("postgres: rebuild campaigns: analyze: %w", err)
	}
	return st, nil
}

// MaxDegree returns the index's degree threshold.
func (s *Store) MaxDegree(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT max_degree FROM campaign_settings WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: campaign threshold: %w", err)
	}
	return n, nil
}

const keyStateQuery = `SELECT k.key, k.degree, k.published_at IS NOT NULL,
		COALESCE(g.key, ''), COALESCE(g.kind, ''), COALESCE(g.canonical, ''), COALESCE(g.category, ''),
		COALESCE(g.label, ''), COALESCE(g.added_by, ''), g.added_at
	FROM indicator_keys k LEFT JOIN known_good g ON g.key = k.known_good`

func scanKeyState(sc interface{ Scan(...any) error }) (report.KeyState, error) {
	var (
		st report.KeyState
		g  report.KnownGood
	)
	if err := sc.Scan(&st.Key, &st.Reports, &st.Published, &g.Key, &g.Kind, &g.Canonical, &g.Category, &g.Label, &g.AddedBy, tm(&g.AddedAt)); err != nil {
		return st, err
	}
	if g.Key != "" {
		st.KnownGood = &g
	}
	return st, nil
}

// KeyStates returns what the index knows of keys.
func (s *Store) KeyStates(ctx context.Context, keys []string) (map[string]report.KeyState, error) {
	out := map[string]report.KeyState{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, keyStateQuery+` WHERE k.key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: key states: %w", err)
	}
	states, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.KeyState, error) { return scanKeyState(r) })
	if err != nil {
		return nil, fmt.Errorf("postgres: key states: %w", err)
	}
	for _, st := range states {
		out[st.Key] = st
	}
	return out, nil
}

// ReportCampaign returns the campaign of a report.
func (s *Store) ReportCampaign(ctx context.Context, caseID string) (report.Campaign, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, qReportCampaign, caseID))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("postgres: report %s: campaign: %w", caseID, classify(err))
	}
	return c, nil
}

// CampaignByRef returns a campaign by its reference.
func (s *Store) CampaignByRef(ctx context.Context, ref string) (report.Campaign, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE ref = $1`, ref))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("postgres: campaign %s: %w", ref, classify(err))
	}
	return c, nil
}

// CampaignByID returns a campaign by its ID.
func (s *Store) CampaignByID(ctx context.Context, id string) (report.Campaign, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("postgres: campaign %s: %w", id, classify(err))
	}
	return c, nil
}

// CampaignReports lists a campaign's latest reports.
func (s *Store) CampaignReports(ctx context.Context, id string, limit int) ([]report.CampaignReport, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: campaign reports: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.ref, c.category, c.status, c.submitted_at,
			COALESCE((SELECT string_agg(rr.service, ',' ORDER BY rr.service) FROM report_routes rr
				WHERE rr.case_id = c.id AND rr.status <> 'withdrawn'), '')
		FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = $1 ORDER BY c.submitted_at DESC, c.id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: reports: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.CampaignReport, error) {
		var (
			cr             report.CampaignReport
			cat, sta, svcs string
		)
		err := r.Scan(&cr.CaseID, &cr.Ref, &cat, &sta, tm(&cr.SubmittedAt), &svcs)
		cr.Category, cr.Status, cr.Services = report.Category(cat), casefile.Status(sta), []string{}
		if svcs != "" {
			cr.Services = strings.Split(svcs, ",")
		}
		return cr, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: reports: %w", id, err)
	}
	if out == nil {
		out = []report.CampaignReport{}
	}
	return out, nil
}

// CampaignKeys lists the keys a campaign's reports share.
func (s *Store) CampaignKeys(ctx context.Context, id string, limit int) ([]report.CampaignKey, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("postgres: campaign keys: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT s.key, MIN(s.kind), MIN(s.display), COUNT(DISTINCT s.case_id) AS n
		FROM report_campaign rc JOIN report_seen s ON s.case_id = rc.case_id AND s.key IS NOT NULL
		WHERE rc.campaign_id = $1 GROUP BY s.key HAVING COUNT(DISTINCT s.case_id) >= 2
		ORDER BY n DESC, s.key LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: keys: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.CampaignKey, error) {
		var k report.CampaignKey
		err := r.Scan(&k.Key, &k.Kind, &k.Display, &k.InCampaign)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: campaign %s: keys: %w", id, err)
	}
	keys := make([]string, len(out))
	for i, k := range out {
		keys[i] = k.Key
	}
	states, err := s.KeyStates(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].KeyState = states[out[i].Key]
		out[i].KeyState.Key = out[i].Key
	}
	if out == nil {
		out = []report.CampaignKey{}
	}
	return out, nil
}

// CampaignTally counts a campaign's reports per category and channel.
func (s *Store) CampaignTally(ctx context.Context, id string) (report.Tally, error) {
	var t report.Tally
	for _, q := range []struct {
		dst *[]report.Count
		sql string
	}{
		{&t.Categories, `SELECT c.category, COUNT(*) AS n FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
			WHERE rc.campaign_id = $1 GROUP BY c.category ORDER BY n DESC, c.category`},
		{&t.Channels, `SELECT s.channel, COUNT(DISTINCT s.case_id) AS n FROM report_campaign rc JOIN report_seen s ON s.case_id = rc.case_id
			WHERE rc.campaign_id = $1 GROUP BY s.channel ORDER BY n DESC, s.channel`},
		{&t.Services, `SELECT rr.service, COUNT(*) AS n FROM report_campaign rc JOIN report_routes rr ON rr.case_id = rc.case_id
			WHERE rc.campaign_id = $1 AND rr.status <> 'withdrawn' GROUP BY rr.service ORDER BY n DESC, rr.service`},
	} {
		rows, err := s.pool.Query(ctx, q.sql, id)
		if err != nil {
			return report.Tally{}, fmt.Errorf("postgres: campaign %s: tally: %w", id, err)
		}
		counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.Count, error) {
			var c report.Count
			err := r.Scan(&c.Value, &c.Reports)
			return c, err
		})
		if err != nil {
			return report.Tally{}, fmt.Errorf("postgres: campaign %s: tally: %w", id, err)
		}
		if counts == nil {
			counts = []report.Count{}
		}
		*q.dst = counts
	}
	var err error
	if t.Days, err = s.campaignDays(ctx, id); err != nil {
		return report.Tally{}, err
	}
	return t, nil
}

// ListCampaigns lists live campaigns, largest first.
func (s *Store) ListCampaigns(ctx context.Context, f report.CampaignFilter) ([]report.Campaign, error) {
	if f.Limit <= 0 || f.MinReports < 1 || f.Offset < 0 {
		return nil, fmt.Errorf("postgres: campaigns: filter %+v: %w", f, guichet.ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns
		WHERE merged_into IS NULL AND reports >= $1
		AND ($2 = '' OR EXISTS (SELECT 1 FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
			WHERE rc.campaign_id = campaigns.id AND c.category = $2))
		ORDER BY reports DESC, last_seen DESC, id LIMIT $3 OFFSET $4`, f.MinReports, string(f.Category), f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaigns: %w", err)
	}
	out, err := collectCampaigns(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: campaigns: %w", err)
	}
	return out, nil
}

// KnownGoodList returns the known-good list.
func (s *Store) KnownGoodList(ctx context.Context) ([]report.KnownGood, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, kind, canonical, category, label, added_by, added_at FROM known_good ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("postgres: known-good: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (report.KnownGood, error) {
		var g report.KnownGood
		err := r.Scan(&g.Key, &g.Kind, &g.Canonical, &g.Category, &g.Label, &g.AddedBy, tm(&g.AddedAt))
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: known-good: %w", err)
	}
	if out == nil {
		out = []report.KnownGood{}
	}
	return out, nil
}

// AddKnownGood lists an entry and splits what it held together.
func (s *Store) AddKnownGood(ctx context.Context, e report.KnownGood) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO known_good (key, kind, canonical, category, label, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, e.Key, e.Kind, e.Canonical, e.Category, e.Label, e.AddedBy, dbTime(e.AddedAt)); err != nil {
			return classify(err)
		}
		return report.Relabel(ctx, linkTx{s, tx}, e.Key)
	})
	if err != nil {
		return fmt.Errorf("postgres: add known-good %s: %w", e.Key, err)
	}
	return nil
}

// RemoveKnownGood takes an entry off the list and merges what links again.
func (s *Store) RemoveKnownGood(ctx context.Context, key string) error {
	err := s.Transact(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM known_good WHERE key = $1`, key)
		if err != nil {
			return classify(err)
		}
		if tag.RowsAffected() == 0 {
			return guichet.ErrNotFound
		}
		return report.Relabel(ctx, linkTx{s, tx}, key)
	})
	if err != nil {
		return fmt.Errorf("postgres: remove known-good %s: %w", key, err)
	}
	return nil
}

// PublishKey marks a key published.
func (s *Store) PublishKey(ctx context.Context, key, by string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE indicator_keys SET published_by = $1, published_at = $2 WHERE key = $3 AND degree > 0`, by, dbTime(at), key)
	if err != nil {
		return fmt.Errorf("postgres: publish %s: %w", key, classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: publish %s: %w", key, guichet.ErrNotFound)
	}
	return nil
}

// UnpublishKey clears a key's published mark.
func (s *Store) UnpublishKey(ctx context.Context, key string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE indicator_keys SET published_by = NULL, published_at = NULL WHERE key = $1 AND degree > 0`, key)
	if err != nil {
		return fmt.Errorf("postgres: unpublish %s: %w", key, classify(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: unpublish %s: %w", key, guichet.ErrNotFound)
	}
	return nil
}
