package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/report"
)

// Cross-referencing: the index of keys (indicator_keys), the campaigns,
// which campaign each report is in (report_campaign) and the known-good
// list. The algorithm is package report's (Link, Relabel, Rebuild); linkTx
// is its view of a write transaction. SQLite has one writer, so nothing is
// locked beyond the transaction itself.

var (
	_ report.KnownGoodTx = linkTx{}
	_ report.RebuildTx   = linkTx{}
)

// The statements of filing one report, prepared on the writer connection.
const (
	qMaxDegree = `SELECT max_degree FROM campaign_settings WHERE id = 1`
	qHoldKey   = `INSERT INTO indicator_keys (key, degree) VALUES (?, 1)
		ON CONFLICT (key) DO UPDATE SET degree = degree + 1
		RETURNING degree, known_good, published_at IS NOT NULL`
	qPeekKey        = `SELECT degree, known_good, published_at IS NOT NULL FROM indicator_keys WHERE key = ?`
	qReportCampaign = `SELECT c.id, c.ref, c.reports, c.first_seen, c.last_seen, COALESCE(c.merged_into, '')
		FROM report_campaign rc JOIN campaigns c ON c.id = rc.campaign_id WHERE rc.case_id = ?`
	qSetKnownGood        = `UPDATE indicator_keys SET known_good = ? WHERE key = ?`
	qIsKnownGood         = `SELECT COUNT(*) FROM known_good WHERE key = ?`
	qCampaignsHoldingKey = `SELECT DISTINCT rc.campaign_id FROM report_seen s
		JOIN report_campaign rc ON rc.case_id = s.case_id
		WHERE s.key = ? AND s.case_id <> ?`
	qCampaignByID = `SELECT ` + campaignColumns + ` FROM campaigns WHERE id = ?`
	qNewCampaign  = `INSERT INTO campaigns (id, ref, reports, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING`
	qPutReport = `INSERT INTO report_campaign (case_id, campaign_id) VALUES (?, ?)
		ON CONFLICT (case_id) DO UPDATE SET campaign_id = excluded.campaign_id`
	qSaveCampaign = `UPDATE campaigns SET reports = ?, first_seen = ?, last_seen = ? WHERE id = ?`
)

// linkTx runs report's linking steps in a write transaction.
type linkTx struct {
	s  *Store
	tx *sql.Tx
}

func (l linkTx) MaxDegree(ctx context.Context) (int, error) {
	var n int
	if err := l.s.queryRow(ctx, l.tx, qMaxDegree).Scan(&n); err != nil {
		return 0, fmt.Errorf("threshold: %w", err)
	}
	return n, nil
}

func (l linkTx) PeekKeys(ctx context.Context, keys []string) ([]report.KeyState, error) {
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		out[i].Key = k
		var kg sql.NullString
		err := l.s.queryRow(ctx, l.tx, qPeekKey, k).Scan(&out[i].Reports, &kg, &out[i].Published)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		if kg.Valid {
			out[i].KnownGood = &report.KnownGood{Key: kg.String}
		}
	}
	return out, nil
}

func (l linkTx) ReportCampaign(ctx context.Context, caseID string) (report.Campaign, error) {
	c, err := scanCampaign(l.s.queryRow(ctx, l.tx, qReportCampaign, caseID))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("report %s: campaign: %w", caseID, notFound(err))
	}
	return c, nil
}

func (l linkTx) HoldKeys(ctx context.Context, keys []string, _ time.Time) ([]report.KeyState, error) {
	out := make([]report.KeyState, len(keys))
	for i, k := range keys {
		var (
			st report.KeyState
			kg sql.NullString
		)
		st.Key = k
		err := l.s.queryRow(ctx, l.tx, qHoldKey, k).Scan(&st.Reports, &kg, &st.Published)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, classify(err))
		}
		if !kg.Valid && st.Reports == 1 {
			// New to the index: the entry covering it, if any.
			e, err := l.coveringEntry(ctx, k)
			if err != nil {
				return nil, err
			}
			if e != "" {
				if _, err := l.s.exec(ctx, l.tx, qSetKnownGood, e, k); err != nil {
					return nil, fmt.Errorf("key %d: %w", i, err)
				}
				kg = sql.NullString{String: e, Valid: true}
			}
		}
		if kg.Valid {
			st.KnownGood = &report.KnownGood{Key: kg.String}
		}
		out[i] = st
	}
	return out, nil
}

// coveringEntry returns the first of report.CoveredBy(key) on the
// known-good list, or "".
func (l linkTx) coveringEntry(ctx context.Context, key string) (string, error) {
	for _, c := range report.CoveredBy(key) {
		var n int
		if err := l.s.queryRow(ctx, l.tx, qIsKnownGood, c).Scan(&n); err != nil {
			return "", fmt.Errorf("known-good: %w", err)
		}
		if n > 0 {
			return c, nil
		}
	}
	return "", nil
}

// qKnownGoodKeys finds which of a JSON array of keys are on the
// known-good list (one prepared statement whatever their number).
const qKnownGoodKeys = `SELECT key FROM known_good WHERE key IN (SELECT value FROM json_each(?))`

func (l linkTx) KnownGoodKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	if len(keys) == 0 {
		return map[string]bool{}, nil
	}
	out, err := l.s.queryJSONSet(ctx, l.tx, qKnownGoodKeys, keys)
	if err != nil {
		return nil, fmt.Errorf("known-good: %w", err)
	}
	return out, nil
}

func (l linkTx) CampaignsHolding(ctx context.Context, keys []string, except string) ([]string, error) {
	var out []string
	for _, k := range keys {
		rows, err := l.s.query(ctx, l.tx, qCampaignsHoldingKey, k, except)
		if err != nil {
			return nil, fmt.Errorf("campaigns holding: %w", err)
		}
		ids, err := scanStrings(rows)
		if err != nil {
			return nil, fmt.Errorf("campaigns holding: %w", err)
		}
		out = append(out, ids...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const campaignColumns = `id, ref, reports, first_seen, last_seen, COALESCE(merged_into, '')`

func scanCampaign(sc interface{ Scan(...any) error }) (report.Campaign, error) {
	var c report.Campaign
	err := sc.Scan(&c.ID, &c.Ref, &c.Reports, tm(&c.FirstSeen), tm(&c.LastSeen), &c.MergedInto)
	return c, err
}

func (l linkTx) LockCampaigns(ctx context.Context, ids []string) ([]report.Campaign, error) {
	out := make([]report.Campaign, len(ids))
	for i, id := range ids {
		c, err := scanCampaign(l.s.queryRow(ctx, l.tx, qCampaignByID, id))
		if err != nil {
			return nil, fmt.Errorf("campaign %s: %w", id, notFound(err))
		}
		out[i] = c
	}
	return out, nil
}

func (l linkTx) CampaignMembers(ctx context.Context, id string) ([]report.Member, error) {
	rows, err := l.tx.QueryContext(ctx, `SELECT rc.case_id, c.submitted_at, COALESCE(s.key, ''), COALESCE(k.degree, 0), COALESCE(k.known_good, '')
		FROM report_campaign rc
		JOIN cases c ON c.id = rc.case_id
		LEFT JOIN report_seen s ON s.case_id = rc.case_id AND s.key IS NOT NULL
		LEFT JOIN indicator_keys k ON k.key = s.key
		WHERE rc.campaign_id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: members: %w", id, err)
	}
	defer rows.Close()
	var out []report.Member
	for rows.Next() {
		var (
			m  report.Member
			kg string
		)
		if err := rows.Scan(&m.CaseID, tm(&m.At), &m.Key, &m.State.Reports, &kg); err != nil {
			return nil, fmt.Errorf("campaign %s: members: %w", id, err)
		}
		m.State.Key = m.Key
		if kg != "" {
			m.State.KnownGood = &report.KnownGood{Key: kg}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (l linkTx) NewCampaign(ctx context.Context, c report.Campaign) (report.Campaign, error) {
	c.ID, c.MergedInto = l.s.ids.New(), ""
	for range 16 {
		ref, err := report.NewCampaignRef(rand.Reader, report.RefYear(c.FirstSeen))
		if err != nil {
			return report.Campaign{}, err
		}
		res, err := l.s.exec(ctx, l.tx, qNewCampaign,
			c.ID, ref, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen)))
		if err != nil {
			return report.Campaign{}, fmt.Errorf("new campaign: %w", classify(err))
		}
		if n, _ := res.RowsAffected(); n == 1 {
			c.Ref = ref
			return c, nil
		}
	}
	return report.Campaign{}, fmt.Errorf("new campaign: 16 reference collisions: %w", guichet.ErrConflict)
}

func (l linkTx) PutReports(ctx context.Context, caseIDs []string, id string) error {
	for _, c := range caseIDs {
		if _, err := l.s.exec(ctx, l.tx, qPutReport, c, id); err != nil {
			return fmt.Errorf("file report in campaign: %w", classify(err))
		}
	}
	return nil
}

func (l linkTx) MergeCampaign(ctx context.Context, from, into string) error {
	if _, err := l.tx.ExecContext(ctx, `UPDATE report_campaign SET campaign_id = ? WHERE campaign_id = ?`, into, from); err != nil {
		return fmt.Errorf("merge campaign: %w", classify(err))
	}
	if _, err := l.tx.ExecContext(ctx, `UPDATE campaigns SET reports = 0, merged_into = ? WHERE id = ?`, into, from); err != nil {
		return fmt.Errorf("merge campaign: %w", classify(err))
	}
	return nil
}

func (l linkTx) SaveCampaign(ctx context.Context, c report.Campaign) error {
	res, err := l.s.exec(ctx, l.tx, qSaveCampaign, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen)), c.ID)
	if err != nil {
		return fmt.Errorf("save campaign: %w", classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("save campaign %s: %w", c.ID, guichet.ErrNotFound)
	}
	return nil
}

func (l linkTx) LabelKeys(ctx context.Context, entries map[string]string) (map[string]report.KeyState, error) {
	before := make(map[string]report.KeyState, len(entries))
	for _, k := range sortedKeys(entries) {
		st := report.KeyState{Key: k}
		var kg sql.NullString
		err := l.tx.QueryRowContext(ctx, `SELECT degree, known_good FROM indicator_keys WHERE key = ?`, k).Scan(&st.Reports, &kg)
		if err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("key: %w", err)
		}
		if kg.Valid {
			st.KnownGood = &report.KnownGood{Key: kg.String}
		}
		before[k] = st
		if _, err := l.tx.ExecContext(ctx, `INSERT INTO indicator_keys (key, degree, known_good) VALUES (?, 0, ?)
			ON CONFLICT (key) DO UPDATE SET known_good = excluded.known_good`, k, nullStr(entries[k])); err != nil {
			return nil, fmt.Errorf("key: %w", classify(err))
		}
	}
	return before, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PrepareRebuild: the writer connection is the only one, so the
// transaction alone keeps everyone else out.
func (l linkTx) PrepareRebuild(ctx context.Context, maxDegree int) error {
	for _, q := range []string{
		`UPDATE indicator_keys SET degree = 0, known_good = NULL`,
		`INSERT INTO indicator_keys (key, degree)
			SELECT key, COUNT(DISTINCT case_id) FROM report_seen WHERE key IS NOT NULL GROUP BY key
			ON CONFLICT (key) DO UPDATE SET degree = excluded.degree`,
	} {
		if _, err := l.tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("rebuild: recount: %w", err)
		}
	}
	if _, err := l.tx.ExecContext(ctx, `UPDATE campaign_settings SET max_degree = ?, rebuild_needed = 0 WHERE id = 1`, maxDegree); err != nil {
		return fmt.Errorf("rebuild: threshold: %w", classify(err))
	}
	rows, err := l.tx.QueryContext(ctx, `SELECT key FROM known_good`)
	if err != nil {
		return fmt.Errorf("rebuild: known-good: %w", err)
	}
	entries, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("rebuild: known-good: %w", err)
	}
	for k, e := range report.Labels(entries) {
		if _, err := l.tx.ExecContext(ctx, `INSERT INTO indicator_keys (key, degree, known_good) VALUES (?, 0, ?)
			ON CONFLICT (key) DO UPDATE SET known_good = excluded.known_good`, k, e); err != nil {
			return fmt.Errorf("rebuild: known-good: %w", classify(err))
		}
	}
	return nil
}

func (l linkTx) ScanReports(ctx context.Context, fn func(report.RebuildRow) error) error {
	rows, err := l.tx.QueryContext(ctx, `SELECT r.case_id, c.submitted_at, COALESCE(rc.campaign_id, ''),
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
	rows, err := l.tx.QueryContext(ctx, `SELECT `+campaignColumns+` FROM campaigns`)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	defer rows.Close()
	out := []report.Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// rebuildChunk is how many rows a rebuild writes per statement: rows go
// to SQLite as one JSON array, which costs far less than a statement each.
const rebuildChunk = 5000

// chunks calls fn with the JSON encoding of row(i) for each chunk of n rows.
func chunks(n int, row func(i int) []any, fn func(js string) error) error {
	for lo := 0; lo < n; lo += rebuildChunk {
		hi := min(n, lo+rebuildChunk)
		rows := make([][]any, 0, hi-lo)
		for i := lo; i < hi; i++ {
			rows = append(rows, row(i))
		}
		js, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		if err := fn(string(js)); err != nil {
			return err
		}
	}
	return nil
}

func (l linkTx) WriteCampaigns(ctx context.Context, update, insert []report.Campaign) error {
	err := chunks(len(insert), func(i int) []any {
		c := insert[i]
		return []any{c.ID, c.Ref, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen))}
	}, func(js string) error {
		_, err := l.tx.ExecContext(ctx, `INSERT INTO campaigns (id, ref, reports, first_seen, last_seen)
			SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?)`, js)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("rebuild: new campaigns: %w", err)
	}
	err = chunks(len(update), func(i int) []any {
		c := update[i]
		return []any{c.ID, c.Reports, dbTime(norm(c.FirstSeen)), dbTime(norm(c.LastSeen)), nullStr(c.MergedInto)}
	}, func(js string) error {
		_, err := l.tx.ExecContext(ctx, `UPDATE campaigns SET reports = u.value ->> 1, first_seen = u.value ->> 2,
			last_seen = u.value ->> 3, merged_into = u.value ->> 4
			FROM json_each(?) AS u WHERE campaigns.id = u.value ->> 0`, js)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("rebuild: campaigns: %w", err)
	}
	return nil
}

func (l linkTx) WriteAssignments(ctx context.Context, a []report.Assignment) error {
	err := chunks(len(a), func(i int) []any { return []any{a[i].CaseID, a[i].CampaignID} }, func(js string) error {
		_, err := l.tx.ExecContext(ctx, `INSERT INTO report_campaign (case_id, campaign_id)
			SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
			ON CONFLICT (case_id) DO UPDATE SET campaign_id = excluded.campaign_id`, js)
		return classify(err)
	})
	if err != nil {
		return fmt.Errorf("rebuild: file reports: %w", err)
	}
	return nil
}

// link files a new report in its campaign, in the transaction writing it.
func (s *Store) link(ctx context.Context, tx *sql.Tx, sub report.Submission) error {
	keys := make([]string, 0, len(sub.Seen))
	for _, v := range sub.Seen {
		keys = append(keys, v.Key)
	}
	if _, err := report.Link(ctx, linkTx{s, tx}, sub.Case.ID, norm(sub.Case.SubmittedAt), keys); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	return nil
}

// rebuildIfNeeded rebuilds the campaigns when a migration left reports
// that no campaign holds.
func (s *Store) rebuildIfNeeded(ctx context.Context) error {
	var needed, maxDegree int
	if err := s.r.QueryRowContext(ctx, `SELECT rebuild_needed, max_degree FROM campaign_settings WHERE id = 1`).Scan(&needed, &maxDegree); err != nil {
		return fmt.Errorf("campaign settings: %w", err)
	}
	if needed == 0 {
		return nil
	}
	_, err := s.RebuildCampaigns(ctx, maxDegree)
	return err
}

// RebuildCampaigns recomputes every campaign (see report.CampaignStore).
// The write transaction holds the writer for the whole rebuild: reports
// filed meanwhile wait for it.
func (s *Store) RebuildCampaigns(ctx context.Context, maxDegree int) (report.RebuildStats, error) {
	var st report.RebuildStats
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		var err error
		st, err = report.Rebuild(ctx, linkTx{s, tx}, report.RebuildOptions{MaxDegree: maxDegree, NewID: s.ids.New, Rand: rand.Reader})
		return err
	})
	if err != nil {
		return report.RebuildStats{}, fmt.Errorf("sqlite: rebuild campaigns: %w", err)
	}
	return st, nil
}

// MaxDegree returns the index's degree threshold.
func (s *Store) MaxDegree(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT max_degree FROM campaign_settings WHERE id = 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: campaign threshold: %w", err)
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

// qKeyState reads one key's state: a prepared lookup per key beats
// parsing an IN list each time.
const qKeyState = keyStateQuery + ` WHERE k.key = ?`

// KeyStates returns what the index knows of keys.
func (s *Store) KeyStates(ctx context.Context, keys []string) (map[string]report.KeyState, error) {
	out := make(map[string]report.KeyState, len(keys))
	for _, k := range keys {
		st, err := scanKeyState(s.readRow(ctx, qKeyState, k))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: key states: %w", err)
		}
		out[st.Key] = st
	}
	return out, nil
}

// ReportCampaign returns the campaign of a report.
func (s *Store) ReportCampaign(ctx context.Context, caseID string) (report.Campaign, error) {
	c, err := scanCampaign(s.readRow(ctx, qReportCampaign, caseID))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("sqlite: report %s: campaign: %w", caseID, notFound(err))
	}
	return c, nil
}

// CampaignByRef returns a campaign by its reference.
func (s *Store) CampaignByRef(ctx context.Context, ref string) (report.Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE ref = ?`, ref))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("sqlite: campaign %s: %w", ref, notFound(err))
	}
	return c, nil
}

// CampaignByID returns a campaign by its ID.
func (s *Store) CampaignByID(ctx context.Context, id string) (report.Campaign, error) {
	c, err := scanCampaign(s.r.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = ?`, id))
	if err != nil {
		return report.Campaign{}, fmt.Errorf("sqlite: campaign %s: %w", id, notFound(err))
	}
	return c, nil
}

// CampaignReports lists a campaign's latest reports.
func (s *Store) CampaignReports(ctx context.Context, id string, limit int) ([]report.CampaignReport, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: campaign reports: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.ref, c.category, c.status, c.submitted_at,
			(SELECT group_concat(rr.service, ',') FROM report_routes rr WHERE rr.case_id = c.id AND rr.status <> 'withdrawn')
		FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = ? ORDER BY c.submitted_at DESC, c.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: reports: %w", id, err)
	}
	defer rows.Close()
	out := []report.CampaignReport{}
	for rows.Next() {
		var (
			r        report.CampaignReport
			cat, sta string
			svcs     sql.NullString
		)
		if err := rows.Scan(&r.CaseID, &r.Ref, &cat, &sta, tm(&r.SubmittedAt), &svcs); err != nil {
			return nil, fmt.Errorf("sqlite: campaign %s: reports: %w", id, err)
		}
		r.Category, r.Status, r.Services = report.Category(cat), casefile.Status(sta), splitServices(svcs)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CampaignKeys lists the keys a campaign's reports share.
func (s *Store) CampaignKeys(ctx context.Context, id string, limit int) ([]report.CampaignKey, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("sqlite: campaign keys: limit %d: %w", limit, guichet.ErrInvalid)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT s.key, MIN(s.kind), MIN(s.display), COUNT(DISTINCT s.case_id) AS n
		FROM report_campaign rc JOIN report_seen s ON s.case_id = rc.case_id AND s.key IS NOT NULL
		WHERE rc.campaign_id = ? GROUP BY s.key HAVING COUNT(DISTINCT s.case_id) >= 2
		ORDER BY n DESC, s.key LIMIT ?`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: keys: %w", id, err)
	}
	defer rows.Close()
	out := []report.CampaignKey{}
	var keys []string
	for rows.Next() {
		var k report.CampaignKey
		if err := rows.Scan(&k.Key, &k.Kind, &k.Display, &k.InCampaign); err != nil {
			return nil, fmt.Errorf("sqlite: campaign %s: keys: %w", id, err)
		}
		out = append(out, k)
		keys = append(keys, k.Key)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: campaign %s: keys: %w", id, err)
	}
	states, err := s.KeyStates(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].KeyState = states[out[i].Key]
		out[i].KeyState.Key = out[i].Key
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
			WHERE rc.campaign_id = ? GROUP BY c.category ORDER BY n DESC, c.category`},
		{&t.Channels, `SELECT s.channel, COUNT(DISTINCT s.case_id) AS n FROM report_campaign rc JOIN report_seen s ON s.case_id = rc.case_id
			WHERE rc.campaign_id = ? GROUP BY s.channel ORDER BY n DESC, s.channel`},
		{&t.Services, `SELECT rr.service, COUNT(*) AS n FROM report_campaign rc JOIN report_routes rr ON rr.case_id = rc.case_id
			WHERE rc.campaign_id = ? AND rr.status <> 'withdrawn' GROUP BY rr.service ORDER BY n DESC, rr.service`},
	} {
		rows, err := s.r.QueryContext(ctx, q.sql, id)
		if err != nil {
			return report.Tally{}, fmt.Errorf("sqlite: campaign %s: tally: %w", id, err)
		}
		*q.dst = []report.Count{}
		for rows.Next() {
			var c report.Count
			if err := rows.Scan(&c.Value, &c.Reports); err != nil {
				rows.Close()
				return report.Tally{}, fmt.Errorf("sqlite: campaign %s: tally: %w", id, err)
			}
			*q.dst = append(*q.dst, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return report.Tally{}, fmt.Errorf("sqlite: campaign %s: tally: %w", id, err)
		}
	}
	// submitted_at is in microseconds since 1970, after it: integer
	// division is the UTC day.
	rows, err := s.r.QueryContext(ctx, `SELECT c.submitted_at / ? AS d, COUNT(*) FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
		WHERE rc.campaign_id = ? AND c.submitted_at IS NOT NULL GROUP BY d ORDER BY d`, microsPerDay, id)
	if err != nil {
		return report.Tally{}, fmt.Errorf("sqlite: campaign %s: days: %w", id, err)
	}
	defer rows.Close()
	t.Days = []report.DayCount{}
	for rows.Next() {
		var (
			d  int64
			dc report.DayCount
		)
		if err := rows.Scan(&d, &dc.Reports); err != nil {
			return report.Tally{}, fmt.Errorf("sqlite: campaign %s: days: %w", id, err)
		}
		dc.Day = time.UnixMicro(d * microsPerDay).UTC()
		t.Days = append(t.Days, dc)
	}
	if err := rows.Err(); err != nil {
		return report.Tally{}, fmt.Errorf("sqlite: campaign %s: days: %w", id, err)
	}
	return t, nil
}

// ListCampaigns lists live campaigns, largest first.
func (s *Store) ListCampaigns(ctx context.Context, f report.CampaignFilter) ([]report.Campaign, error) {
	if f.Limit <= 0 || f.MinReports < 1 || f.Offset < 0 {
		return nil, fmt.Errorf("sqlite: campaigns: filter %+v: %w", f, guichet.ErrInvalid)
	}
	q := `SELECT ` + campaignColumns + ` FROM campaigns WHERE merged_into IS NULL AND reports >= ?`
	args := []any{f.MinReports}
	if f.Category != "" {
		q += ` AND EXISTS (SELECT 1 FROM report_campaign rc JOIN cases c ON c.id = rc.case_id
			WHERE rc.campaign_id = campaigns.id AND c.category = ?)`
		args = append(args, string(f.Category))
	}
	q += ` ORDER BY reports DESC, last_seen DESC, id LIMIT ? OFFSET ?`
	rows, err := s.r.QueryContext(ctx, q, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: campaigns: %w", err)
	}
	defer rows.Close()
	out := []report.Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: campaigns: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// KnownGoodList returns the known-good list.
func (s *Store) KnownGoodList(ctx context.Context) ([]report.KnownGood, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT key, kind, canonical, category, label, added_by, added_at FROM known_good ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: known-good: %w", err)
	}
	defer rows.Close()
	out := []report.KnownGood{}
	for rows.Next() {
		var g report.KnownGood
		if err := rows.Scan(&g.Key, &g.Kind, &g.Canonical, &g.Category, &g.Label, &g.AddedBy, tm(&g.AddedAt)); err != nil {
			return nil, fmt.Errorf("sqlite: known-good: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// AddKnownGood lists an entry and splits what it held together.
func (s *Store) AddKnownGood(ctx context.Context, e report.KnownGood) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO known_good (key, kind, canonical, category, label, added_by, added_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, e.Key, e.Kind, e.Canonical, e.Category, e.Label, e.AddedBy, dbTime(norm(e.AddedAt))); err != nil {
			return classify(err)
		}
		return report.Relabel(ctx, linkTx{s, tx}, e.Key)
	})
	if err != nil {
		return fmt.Errorf("sqlite: add known-good %s: %w", e.Key, err)
	}
	return nil
}

// RemoveKnownGood takes an entry off the list and merges what links again.
func (s *Store) RemoveKnownGood(ctx context.Context, key string) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM known_good WHERE key = ?`, key); err != nil {
			return err
		}
		return report.Relabel(ctx, linkTx{s, tx}, key)
	})
	if err != nil {
		return fmt.Errorf("sqlite: remove known-good %s: %w", key, err)
	}
	return nil
}

// PublishKey marks a key published.
func (s *Store) PublishKey(ctx context.Context, key, by string, at time.Time) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE indicator_keys SET published_by = ?, published_at = ? WHERE key = ? AND degree > 0`, by, dbTime(norm(at)), key)
	})
	if err != nil {
		return fmt.Errorf("sqlite: publish %s: %w", key, err)
	}
	return nil
}

// UnpublishKey clears a key's published mark.
func (s *Store) UnpublishKey(ctx context.Context, key string) error {
	err := s.Transact(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE indicator_keys SET published_by = NULL, published_at = NULL WHERE key = ? AND degree > 0`, key)
	})
	if err != nil {
		return fmt.Errorf("sqlite: unpublish %s: %w", key, err)
	}
	return nil
}
