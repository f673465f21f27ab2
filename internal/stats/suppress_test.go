package stats

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// published is what a reader of t sees: each value, or the range its
// label allows (Low: 0–4, Secondary: ≥ 5), with every line adding up.
type variable struct {
	i, j   int // in the (R+1)×(C+1) grid
	lo, hi int
}

// feasible enumerates every table agreeing with what t shows and returns,
// for each hidden cell, the set of values it takes in some such table. It
// is independent of Suppress's own audit: a brute force over small tables.
func feasible(t Table) map[[2]int]map[int]bool {
	r, c := len(t.Rows), len(t.Cols)
	at := func(i, j int) Cell {
		switch {
		case i == r && j == c:
			return t.Total
		case i == r:
			return t.ColTotals[j]
		case j == c:
			return t.RowTotals[i]
		}
		return t.Cells[i][j]
	}
	grand := t.Total.Value // the bound of any count (a reader knows it is ≤ the grand total when shown; else use a generous one)
	if t.Total.Hidden != Shown {
		grand = 4
		if t.Total.Hidden == Secondary {
			grand = 60
		}
	}
	var vars []variable
	x := make([][]int, r+1)
	for i := range r + 1 {
		x[i] = make([]int, c+1)
		for j := range c + 1 {
			cell := at(i, j)
			switch cell.Hidden {
			case Shown:
				x[i][j] = cell.Value
			case Low:
				vars = append(vars, variable{i, j, 0, MinCount - 1})
			case Secondary:
				vars = append(vars, variable{i, j, MinCount, max(grand, MinCount)})
			}
		}
	}
	// unknowns left in each line, to check a line once it is complete
	left := func() (rows, cols []int) {
		rows, cols = make([]int, r+1), make([]int, c+1)
		for _, v := range vars {
			rows[v.i]++
			cols[v.j]++
		}
		return
	}
	rowsLeft, colsLeft := left()
	okRow := func(i int) bool {
		s := 0
		for j := range c {
			s += x[i][j]
		}
		return s == x[i][c]
	}
	okCol := func(j int) bool {
		s := 0
		for i := range r {
			s += x[i][j]
		}
		return s == x[r][j]
	}
	out := map[[2]int]map[int]bool{}
	for _, v := range vars {
		out[[2]int{v.i, v.j}] = map[int]bool{}
	}
	var walk func(k int)
	walk = func(k int) {
		if k == len(vars) {
			for _, v := range vars {
				out[[2]int{v.i, v.j}][x[v.i][v.j]] = true
			}
			return
		}
		v := vars[k]
		rowsLeft[v.i]--
		colsLeft[v.j]--
		for n := v.lo; n <= v.hi; n++ {
			x[v.i][v.j] = n
			if rowsLeft[v.i] == 0 && !okRow(v.i) || colsLeft[v.j] == 0 && !okCol(v.j) {
				continue
			}
			walk(k + 1)
		}
		rowsLeft[v.i]++
		colsLeft[v.j]++
	}
	// lines with no unknown at all must add up as shown
	walk(0)
	return out
}

func randomBody(r *rand.Rand) ([]string, []string, [][]int) {
	nr, nc := 2+r.IntN(3), 1+r.IntN(3)
	rows, cols := make([]string, nr), make([]string, nc)
	body := make([][]int, nr)
	for i := range nr {
		rows[i] = fmt.Sprint("r", i)
		body[i] = make([]int, nc)
		for j := range nc {
			switch r.IntN(3) {
			case 0:
				body[i][j] = r.IntN(MinCount) // low
			default:
				body[i][j] = r.IntN(15)
			}
		}
	}
	for j := range nc {
		cols[j] = fmt.Sprint("c", j)
	}
	return rows, cols, body
}

// TestSuppressNothingDerivable: over random small tables (lists and 2-D),
// no count below 5 is shown, and no hidden cell's value can be derived
// from what is published — every hidden cell takes at least two values
// among the tables agreeing with the published one (brute force) — and
// every line holding a hidden cell holds two.
func TestSuppressNothingDerivable(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 2026))
	for n := range 250 {
		rows, cols, body := randomBody(r)
		tab, err := Suppress(rows, cols, body, nil)
		if err != nil {
			t.Fatalf("table %d %v: %v", n, body, err)
		}
		check := func(where string, c Cell) {
			if c.Hidden == Shown && c.Value < MinCount {
				t.Errorf("table %d %v: %s shows %d", n, body, where, c.Value)
			}
			if c.Hidden == Low && c.Value >= MinCount || c.Hidden == Secondary && c.Value < MinCount {
				t.Errorf("table %d %v: %s labelled %d for %d", n, body, where, c.Hidden, c.Value)
			}
		}
		for i := range rows {
			for j := range cols {
				check(fmt.Sprintf("cell %d,%d", i, j), tab.Cells[i][j])
			}
			check(fmt.Sprintf("row total %d", i), tab.RowTotals[i])
		}
		for j := range cols {
			check(fmt.Sprintf("column total %d", j), tab.ColTotals[j])
		}
		check("total", tab.Total)
		for p, vals := range feasible(tab) {
			if len(vals) < 2 {
				t.Errorf("table %d %v: cell %v is derivable: %v\n%s", n, body, p, vals, dump(tab))
			}
		}
		if len(cols) > 1 {
			for i := range rows {
				h := tab.RowTotals[i].Hidden != Shown
				k := 0
				if h {
					k++
				}
				for j := range cols {
					if tab.Cells[i][j].Hidden != Shown {
						k++
					}
				}
				if k == 1 {
					t.Errorf("table %d: row %d has one hidden cell", n, i)
				}
			}
		}
	}
}

func dump(t Table) string {
	s := ""
	for i := range t.Rows {
		for j := range t.Cols {
			s += fmt.Sprintf("%3d%s ", t.Cells[i][j].Value, mark(t.Cells[i][j]))
		}
		s += fmt.Sprintf("| %3d%s\n", t.RowTotals[i].Value, mark(t.RowTotals[i]))
	}
	for j := range t.Cols {
		s += fmt.Sprintf("%3d%s ", t.ColTotals[j].Value, mark(t.ColTotals[j]))
	}
	return s + fmt.Sprintf("| %3d%s\n", t.Total.Value, mark(t.Total))
}

func mark(c Cell) string { return [...]string{" ", "L", "S"}[c.Hidden] }

// TestSuppressForced: a margin another table hides is hidden here too,
// and the table stays safe.
func TestSuppressForced(t *testing.T) {
	body := [][]int{{10, 20}, {30, 40}}
	tab, err := Suppress([]string{"a", "b"}, []string{"x", "y"}, body, map[string]bool{"col:0": true})
	if err != nil {
		t.Fatal(err)
	}
	if tab.ColTotals[0].Hidden == Shown {
		t.Fatal("forced column total shown")
	}
	for p, vals := range feasible(tab) {
		if len(vals) < 2 {
			t.Errorf("cell %v derivable\n%s", p, dump(tab))
		}
	}
}
