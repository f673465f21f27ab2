package web

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestStatistics: the page shows charts with text alternatives and the
// tables beside them, readable without script; a count below 5 is shown
// "< 5", never as a number; the CSV and JSON exports carry the same
// figures, hidden cells without a value.
func TestStatistics(t *testing.T) {
	e := newEnv(t)
	c := e.client("fr")
	for range 6 {
		c.post("/signaler/signalement", phishingSMS()).must(t, http.StatusOK, "Votre signalement est envoyé")
	}
	r := c.get("/statistiques").must(t, http.StatusOK, "<h1>Statistiques</h1>", `<svg class="chart-svg"`, `role="img"`,
		`<desc id="chart-weeks-SG-d">`, `<table class="stat-table" id="table-weeks">`, `<table class="stat-table" id="table-places">`,
		"&lt; 5", "Signalements par semaine", `href="/statistiques.csv"`, "Hameçonnage")
	if strings.Contains(r.Body, "<script>") {
		t.Error("inline script on the statistics page")
	}
	// This week: 6 reports (shown), no pre-complaint (< 5).
	en := e.client("en")
	en.get("/statistiques").must(t, http.StatusOK, "Statistics", "Reports per week")

	j := c.get("/statistiques.json").must(t, http.StatusOK)
	var ex export
	if err := json.Unmarshal([]byte(j.Body), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.MinCount != 5 || len(ex.Tables["weeks"].Rows) != 52 {
		t.Fatalf("json: min %d, %d weeks", ex.MinCount, len(ex.Tables["weeks"].Rows))
	}
	sg := 0
	for name, tab := range ex.Tables {
		check := func(c exportCell) {
			if c.Value != nil && *c.Value < 5 {
				t.Errorf("%s: a count of %d published", name, *c.Value)
			}
			if c.Value == nil && c.Suppressed == "" {
				t.Errorf("%s: a cell without value nor reason", name)
			}
		}
		for _, row := range tab.Cells {
			for _, c := range row {
				check(c)
			}
		}
		for _, c := range append(append(tab.RowTotals, tab.ColTotals...), tab.Total) {
			check(c)
		}
	}
	// One busy week among empty ones: the 6 or the year's total is
	// hidden, else the empty weeks would be known to be 0.
	if v := ex.Tables["weeks"].ColTotals[1].Value; v != nil {
		sg = *v
		if sg != 6 {
			t.Errorf("json: %d reports in the year, want 6", sg)
		}
	}
	cr := c.get("/statistiques.csv").must(t, http.StatusOK)
	recs, err := csv.NewReader(strings.NewReader(cr.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "table,row,column,value,status" {
		t.Errorf("csv header %v", recs[0])
	}
	found := false
	for _, rec := range recs[1:] {
		if rec[4] != "shown" && rec[3] != "" {
			t.Errorf("csv: a hidden value %v", rec)
		}
		if rec[0] == "weeks" && rec[1] == "total" && rec[2] == "SG" {
			found = rec[3] == "6" || (sg == 0 && rec[3] == "")
		}
	}
	if !found {
		t.Error("csv: the year's reports differ from the JSON's")
	}
}
