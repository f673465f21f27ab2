package web

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/stats"
	"github.com/guichet/guichet/internal/typography"
)

// The public statistics (/statistiques): tables computed and suppressed by
// package stats (cached a few minutes there), shown as server-drawn SVG
// charts each with its text alternative and its data table, and exported
// as CSV and JSON with the same figures.

func (s *Server) statsRoutes() {
	if s.d.Stats == nil {
		return
	}
	s.handle("GET /statistiques", s.statsPage)
	s.handle("GET /statistiques.csv", s.statsCSV)
	s.handle("GET /statistiques.json", s.statsJSON)
}

// statCell is one published count as shown.
type statCell struct {
	Text   string // "1 234", "< 5" or "masqué"
	Hidden bool
}

type statRow struct {
	Label string
	Cells []statCell
	Total statCell
}

// statTable is a published table as the page shows it.
type statTable struct {
	ID, Caption string
	Head        []string // column labels (without the first, the rows')
	RowHead     string
	Rows        []statRow
	Totals      statRow
	List        bool // one column: no row totals
}

// chart is a bar chart drawn on the server.
type chart struct {
	ID, Title, Desc string
	W, H            int
	Bars            []chartBar
	Axis            []chartTick
	Horizontal      bool
}

type chartBar struct {
	X, Y, W, H float64
	Hidden     bool
	Label      string // a tooltip (<title>)
	Text       string // a label drawn beside a horizontal bar
	TY         float64
}

type chartTick struct {
	Y     float64
	Label string
}

type statsData struct {
	From, To, At string
	Trends       []statTrend
	Weekly       []chart
	Weeks        statTable
	Categories   []statKind
	Channels     statTable
	Places       statTable
}

type statKind struct {
	Chart chart
	Table statTable
}

type statTrend struct {
	Kind, Text string
}

func (s *Server) kindLabel(p *page, k string) string { return p.cat.T("stats.kind." + k) }

func (s *Server) cellText(p *page, c stats.Cell) statCell {
	switch c.Hidden {
	case stats.Low:
		return statCell{Text: p.cat.T("stats.low"), Hidden: true}
	case stats.Secondary:
		return statCell{Text: p.cat.T("stats.hidden"), Hidden: true}
	}
	return statCell{Text: groupDigits(p.Lang, int64(c.Value))}
}

func (s *Server) statTable(p *page, id, caption, rowHead string, t stats.Table, rowLabel func(string) string, colLabel func(string) string) statTable {
	out := statTable{ID: id, Caption: caption, RowHead: rowHead, List: len(t.Cols) == 1}
	for _, c := range t.Cols {
		out.Head = append(out.Head, colLabel(c))
	}
	for i, r := range t.Rows {
		row := statRow{Label: rowLabel(r), Total: s.cellText(p, t.RowTotals[i])}
		for _, c := range t.Cells[i] {
			row.Cells = append(row.Cells, s.cellText(p, c))
		}
		out.Rows = append(out.Rows, row)
	}
	out.Totals = statRow{Label: p.cat.T("stats.total"), Total: s.cellText(p, t.Total)}
	for _, c := range t.ColTotals {
		out.Totals.Cells = append(out.Totals.Cells, s.cellText(p, c))
	}
	return out
}

func categoryKey(kind, c string) string {
	if c == "other" && kind != stats.KindAlert {
		return "stats.other"
	}
	switch kind {
	case stats.KindPreComplaint:
		return "category." + c
	case stats.KindReport:
		return "report.cat." + c
	}
	return "dispatch.type." + c
}

func (s *Server) placeLabel(p *page, pl string) string {
	switch pl {
	case "":
		return p.cat.T("stats.place.none")
	case string(report.PlaceAbroad):
		return p.cat.T("stats.place.abroad")
	}
	return pl + " " + report.Place(pl).Label(p.Lang)
}

// weeklyChart draws column j of the weekly table: one bar a week; a hidden
// week is drawn as a dashed outline of the same height whatever its value,
// and said so in its tooltip.
func (s *Server) weeklyChart(p *page, pub *stats.Published, j int) chart {
	k := stats.Kinds[j]
	const w, h, left, bottom = 560, 220, 44, 24
	c := chart{ID: "chart-weeks-" + k, W: w, H: h, Title: p.cat.T("stats.chart.weeks", s.kindLabel(p, k))}
	top := 0
	lo, hi, last := -1, 0, -1
	for i := range pub.Weeks.Rows {
		cell := pub.Weeks.Cells[i][j]
		if cell.Hidden == stats.Shown {
			top = max(top, cell.Value)
			if lo < 0 || cell.Value < lo {
				lo = cell.Value
			}
			hi = max(hi, cell.Value)
			last = i
		}
	}
	scale := niceMax(max(top, stats.MinCount))
	plotH := float64(h - bottom - 8)
	bw := float64(w-left) / float64(len(pub.Weeks.Rows))
	for i, day := range pub.WeekStarts {
		cell := pub.Weeks.Cells[i][j]
		v := cell.Value
		b := chartBar{X: float64(left) + float64(i)*bw + 1, W: math.Max(bw-2, 1)}
		label := (dates{lang: p.Lang, loc: time.UTC}).Day(day)
		if cell.Hidden != stats.Shown {
			// A dashed outline of one height whatever the hidden value.
			v = stats.MinCount
			b.Hidden = true
			b.Label = p.cat.T("stats.chart.bar", label, s.cellText(p, cell).Text)
		} else {
			b.Label = p.cat.T("stats.chart.bar", label, groupDigits(p.Lang, int64(v)))
		}
		b.H = plotH * float64(v) / float64(scale)
		b.Y = 8 + plotH - b.H
		c.Bars = append(c.Bars, b)
	}
	for _, t := range []int{0, scale / 2, scale} {
		c.Axis = append(c.Axis, chartTick{Y: 8 + plotH - plotH*float64(t)/float64(scale), Label: groupDigits(p.Lang, int64(t))})
	}
	if last < 0 {
		c.Desc = p.cat.T("stats.chart.weeks.none")
	} else {
		c.Desc = p.cat.T("stats.chart.weeks.desc", groupDigits(p.Lang, int64(lo)), groupDigits(p.Lang, int64(hi)),
			(dates{lang: p.Lang, loc: time.UTC}).Day(pub.WeekStarts[last]), groupDigits(p.Lang, int64(pub.Weeks.Cells[last][j].Value)))
	}
	return c
}

// listChart draws a list as horizontal bars, labelled.
func (s *Server) listChart(p *page, id, title string, t stats.Table, label func(string) string) chart {
	const w, rowH, left = 560, 28, 0
	c := chart{ID: id, W: w, H: rowH * len(t.Rows), Title: title, Horizontal: true}
	top := stats.MinCount
	for i := range t.Rows {
		if t.Cells[i][0].Hidden == stats.Shown {
			top = max(top, t.Cells[i][0].Value)
		}
	}
	scale := niceMax(top)
	for i, r := range t.Rows {
		cell := t.Cells[i][0]
		txt := s.cellText(p, cell).Text
		b := chartBar{X: left, Y: float64(i*rowH) + 16, H: 10, Hidden: cell.Hidden != stats.Shown,
			Text: label(r) + ": " + txt, TY: float64(i*rowH) + 12}
		if p.Lang == "fr" {
			b.Text = typography.French(label(r) + " : " + txt)
		}
		v := cell.Value
		if b.Hidden {
			v = 0
		}
		b.W = math.Max(float64(w-left)*float64(v)/float64(scale), 2)
		b.Label = b.Text
		c.Bars = append(c.Bars, b)
	}
	c.Desc = p.cat.T("stats.chart.list.desc")
	return c
}

// niceMax rounds n up to 1, 2 or 5 times a power of ten.
func niceMax(n int) int {
	if n <= 5 {
		return 5
	}
	p := int(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	for _, m := range []int{1, 2, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}

func (s *Server) statsPage(w http.ResponseWriter, r *http.Request) error {
	pub, err := s.d.Stats.Current(r.Context())
	if err != nil {
		return err
	}
	p := s.newPage(r)
	p.Path = "/statistiques"
	d := dates{lang: p.Lang, loc: time.UTC}
	data := statsData{From: d.Day(pub.From), To: d.Day(pub.To.AddDate(0, 0, -1)), At: (dates{lang: p.Lang, loc: complaint.Paris}).DateTime(pub.At)}
	kind := func(k string) string { return s.kindLabel(p, k) }
	for j, k := range stats.Kinds {
		data.Weekly = append(data.Weekly, s.weeklyChart(p, pub, j))
		t := pub.Trends[k]
		txt := p.cat.T("stats.trend.unknown", kind(k))
		if t.Known && t.Before > 0 {
			txt = p.cat.T("stats.trend", kind(k), fmt.Sprintf("%+d"+nbsp+"%%", int(math.Round(t.Change()*100))),
				groupDigits(p.Lang, int64(t.Recent)), groupDigits(p.Lang, int64(t.Before)))
		}
		data.Trends = append(data.Trends, statTrend{Kind: kind(k), Text: txt})
	}
	data.Weeks = s.statTable(p, "table-weeks", p.cat.T("stats.weeks.caption"), p.cat.T("stats.week"), pub.Weeks,
		func(r string) string {
			t, _ := time.Parse(time.DateOnly, r)
			return d.Day(t)
		}, kind)
	for _, k := range stats.Kinds {
		t := pub.Categories[k]
		lab := func(c string) string { return p.cat.T(categoryKey(k, c)) }
		data.Categories = append(data.Categories, statKind{
			Chart: s.listChart(p, "chart-cat-"+k, p.cat.T("stats.chart.categories", kind(k)), t, lab),
			Table: s.statTable(p, "table-cat-"+k, p.cat.T("stats.categories.caption", kind(k)), p.cat.T("stats.category"), t, lab, kind),
		})
	}
	chLabel := func(c string) string {
		if c == "" {
			return p.cat.T("stats.channel.none")
		}
		return p.cat.T("report.channel." + c)
	}
	data.Channels = s.statTable(p, "table-channels", p.cat.T("stats.channels.caption"), p.cat.T("stats.channel"), pub.Channels, chLabel, kind)
	data.Places = s.statTable(p, "table-places", p.cat.T("stats.places.caption"), p.cat.T("stats.place"), pub.Places,
		func(pl string) string { return s.placeLabel(p, pl) }, kind)
	p.Data = data
	w.Header().Set("Link", `</statistiques.csv>; rel="alternate"; type="text/csv", </statistiques.json>; rel="alternate"; type="application/json"`)
	return s.render(w, r, http.StatusOK, "statistics", p)
}

// The exports: every table, each cell with its status; a hidden value is
// absent. Public, the same for everyone: cacheable a few minutes.

type exportCell struct {
	Value      *int   `json:"value"`
	Suppressed string `json:"suppressed,omitempty"` // "lt5" or "secondary"
}

type exportTable struct {
	Rows      []string       `json:"rows"`
	Columns   []string       `json:"columns"`
	Cells     [][]exportCell `json:"cells"`
	RowTotals []exportCell   `json:"row_totals,omitempty"`
	ColTotals []exportCell   `json:"column_totals"`
	Total     exportCell     `json:"total"`
}

type export struct {
	From       string                 `json:"from"`
	To         string                 `json:"to"`
	ComputedAt string                 `json:"computed_at"`
	MinCount   int                    `json:"min_count"`
	Tables     map[string]exportTable `json:"tables"`
}

func exportOf(c stats.Cell) exportCell {
	switch c.Hidden {
	case stats.Low:
		return exportCell{Suppressed: "lt5"}
	case stats.Secondary:
		return exportCell{Suppressed: "secondary"}
	}
	v := c.Value
	return exportCell{Value: &v}
}

func exportTableOf(t stats.Table) exportTable {
	e := exportTable{Rows: t.Rows, Columns: t.Cols, Total: exportOf(t.Total)}
	for i := range t.Rows {
		var row []exportCell
		for _, c := range t.Cells[i] {
			row = append(row, exportOf(c))
		}
		e.Cells = append(e.Cells, row)
		if len(t.Cols) > 1 {
			e.RowTotals = append(e.RowTotals, exportOf(t.RowTotals[i]))
		}
	}
	for _, c := range t.ColTotals {
		e.ColTotals = append(e.ColTotals, exportOf(c))
	}
	return e
}

func exportOfPublished(pub *stats.Published) export {
	e := export{From: pub.From.Format(time.DateOnly), To: pub.To.Format(time.DateOnly), ComputedAt: pub.At.UTC().Format(time.RFC3339),
		MinCount: stats.MinCount, Tables: map[string]exportTable{
			"weeks": exportTableOf(pub.Weeks), "places": exportTableOf(pub.Places), "channels": exportTableOf(pub.Channels)}}
	for k, t := range pub.Categories {
		e.Tables["categories_"+k] = exportTableOf(t)
	}
	return e
}

func statsHeaders(w http.ResponseWriter, ctype string) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=300")
}

func (s *Server) statsJSON(w http.ResponseWriter, r *http.Request) error {
	pub, err := s.d.Stats.Current(r.Context())
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(exportOfPublished(pub), "", " ")
	if err != nil {
		return err
	}
	statsHeaders(w, "application/json")
	_, _ = w.Write(append(b, '\n'))
	return nil
}

// statsCSV writes one line per cell: table, row, column ("total" for
// margins), value (empty when hidden), status (shown, lt5, secondary).
func (s *Server) statsCSV(w http.ResponseWriter, r *http.Request) error {
	pub, err := s.d.Stats.Current(r.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write([]string{"table", "row", "column", "value", "status"})
	e := exportOfPublished(pub)
	line := func(table, row, col string, c exportCell) {
		v, st := "", c.Suppressed
		if c.Value != nil {
			v, st = strconv.Itoa(*c.Value), "shown"
		}
		_ = cw.Write([]string{table, row, col, v, st})
	}
	for _, name := range slices.Sorted(maps.Keys(e.Tables)) {
		t := e.Tables[name]
		for i, row := range t.Rows {
			for j, col := range t.Columns {
				line(name, row, col, t.Cells[i][j])
			}
			if t.RowTotals != nil {
				line(name, row, "total", t.RowTotals[i])
			}
		}
		for j, col := range t.Columns {
			line(name, "total", col, t.ColTotals[j])
		}
		if len(t.Columns) > 1 {
			line(name, "total", "total", t.Total)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	statsHeaders(w, "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="guichet-statistiques.csv"`)
	_, _ = w.Write(buf.Bytes())
	return nil
}
