package stats

import (
	"fmt"
	"slices"
)

// MinCount is the smallest count ever published: a cell, a total or a
// margin below it is hidden (shown "< 5").
const MinCount = 5

// Hidden says whether, and why, a published cell hides its value.
type Hidden uint8

// The reasons a cell is hidden.
const (
	Shown Hidden = iota
	// Low: the count is below MinCount (shown "< 5").
	Low
	// Secondary: the count is at least MinCount but hidden so that a Low
	// cell cannot be worked out from the totals (complementary
	// suppression).
	Secondary
)

// Cell is one published count. Value MUST NOT be shown unless Hidden is
// Shown; it is kept for the audit only (see Derivable), never exported.
type Cell struct {
	Value  int
	Hidden Hidden
}

// Table is a table of counts with its margins, as published: Cells[r][c]
// for the body, RowTotals[r], ColTotals[c] and Total. A table of one
// column is a list (its row totals are its cells and are not shown).
type Table struct {
	Rows, Cols []string
	Cells      [][]Cell
	RowTotals  []Cell
	ColTotals  []Cell
	Total      Cell
}

// grid is a table with its margins as one (R+1)×(C+1) array: row R holds
// the column totals, column C the row totals, [R][C] the grand total.
// Every line of it adds up: in each row and each column, the body cells
// sum to the margin cell.
type grid struct {
	r, c int
	v    [][]int
	h    [][]Hidden
}

func newGrid(body [][]int, cols int) *grid {
	g := &grid{r: len(body), c: cols}
	g.v = make([][]int, g.r+1)
	g.h = make([][]Hidden, g.r+1)
	for i := range g.r + 1 {
		g.v[i] = make([]int, g.c+1)
		g.h[i] = make([]Hidden, g.c+1)
	}
	for i, row := range body {
		for j, n := range row {
			g.v[i][j] = n
			g.v[i][g.c] += n
			g.v[g.r][j] += n
			g.v[g.r][g.c] += n
		}
	}
	return g
}

// sign is how a cell enters its lines in the zero-sum form: body cells and
// the grand total +1, margins -1 (so every row and column sums to zero).
func (g *grid) sign(i, j int) int {
	if (i == g.r) != (j == g.c) {
		return -1
	}
	return 1
}

// single is a one-column table: the row totals are the cells themselves.
func (g *grid) single() bool { return g.c == 1 }

func (g *grid) hide(i, j int, h Hidden) {
	if g.h[i][j] == Shown {
		g.h[i][j] = h
	}
	if g.single() && j < g.c { // a list: the cell and its row total are one value
		if g.h[i][g.c] == Shown {
			g.h[i][g.c] = g.h[i][j]
		}
	} else if g.single() && j == g.c && g.h[i][0] == Shown {
		g.h[i][0] = g.h[i][j]
	}
}

// Suppress publishes the body of counts (rows × cols, every row of the
// same length cols ≥ 1) with its margins: every count below MinCount is
// Low, and cells are hidden as Secondary until no hidden cell's value can
// be worked out from the shown ones, the margins and what "< 5" and
// "hidden" tell (Derivable finds none). force names margins to hide
// whatever their value, keyed "col:<j>" and "total": a margin another
// table shares and hides MUST be hidden here too.
func Suppress(rows, cols []string, body [][]int, force map[string]bool) (Table, error) {
	for i, r := range body {
		if len(r) != len(cols) {
			return Table{}, fmt.Errorf("stats: row %d has %d cells for %d columns", i, len(r), len(cols))
		}
	}
	if len(cols) == 0 {
		return Table{}, fmt.Errorf("stats: a table needs a column")
	}
	g := newGrid(body, len(cols))
	for i := range g.r + 1 {
		for j := range g.c + 1 {
			if g.v[i][j] < MinCount {
				g.hide(i, j, Low)
			}
		}
	}
	for j := range g.c {
		if force["col:"+fmt.Sprint(j)] {
			g.hide(g.r, j, Secondary)
		}
	}
	if force["total"] {
		g.hide(g.r, g.c, Secondary)
	}
	for range (g.r + 1) * (g.c + 1) {
		changed := g.lines()
		if bad := g.derivable(); len(bad) > 0 {
			g.protect(bad[0])
			changed = true
		}
		if !changed {
			break
		}
	}
	if bad := g.derivable(); len(bad) > 0 {
		return Table{}, fmt.Errorf("stats: suppression left %d cells derivable", len(bad))
	}
	return g.table(rows, cols), nil
}

// lines hides, in every line holding exactly one hidden cell, the smallest
// shown cell of the line (a body cell before a margin); it reports whether
// it hid anything.
func (g *grid) lines() bool {
	changed := false
	for again := true; again; {
		again = false
		check := func(cells [][2]int) {
			var hidden int
			best, bestCost := [2]int{-1, -1}, 0
			for _, p := range cells {
				if g.h[p[0]][p[1]] != Shown {
					hidden++
					continue
				}
				cost := g.v[p[0]][p[1]]
				if p[0] == g.r || p[1] == g.c {
					cost += 1 << 20
				}
				if best[0] < 0 || cost < bestCost {
					best, bestCost = p, cost
				}
			}
			if hidden == 1 && best[0] >= 0 {
				g.hide(best[0], best[1], Secondary)
				again, changed = true, true
			}
		}
		for i := range g.r + 1 {
			var line [][2]int
			for j := range g.c + 1 {
				line = append(line, [2]int{i, j})
			}
			if !g.single() {
				check(line)
			}
		}
		for j := range g.c + 1 {
			var line [][2]int
			for i := range g.r + 1 {
				line = append(line, [2]int{i, j})
			}
			check(line)
		}
	}
	return changed
}

// bounds are what a reader knows of a hidden cell from its label: a Low
// cell is in [0, MinCount-1], a Secondary one at least MinCount.
func (g *grid) canMove(i, j, d int) bool {
	v := g.v[i][j] + d
	switch g.h[i][j] {
	case Low:
		return v >= 0 && v < MinCount
	case Secondary:
		return v >= MinCount
	}
	return false
}

// derivable returns the hidden cells whose value the shown cells and the
// labels pin down, as far as alternating cycles tell: a hidden cell is
// safe when some other table, agreeing with every shown cell, every sum
// and every label, gives it another value. The search moves ±1 along a
// cycle of hidden cells (a row, a column, a row…); it may call a safe
// cell derivable, never the reverse.
func (g *grid) derivable() [][2]int {
	var out [][2]int
	for i := range g.r + 1 {
		for j := range g.c + 1 {
			if g.h[i][j] == Shown {
				continue
			}
			if g.single() && j == g.c {
				continue // the same value as its cell
			}
			if !g.alternative(i, j) {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// alternative looks for a cycle through (i0, j0) along which adding
// alternately +s and -s (in the zero-sum form) keeps every cell within
// what its label allows.
func (g *grid) alternative(i0, j0 int) bool {
	for _, s := range []int{1, -1} {
		if g.cycle(i0, j0, s) {
			return true
		}
	}
	return false
}

// cycle: breadth-first search over (row, sign due next) from row i0 back
// to column j0, the first step being (i0, j0) with sign s.
func (g *grid) cycle(i0, j0, s int) bool {
	cols := g.c + 1
	if g.single() {
		cols = g.c // the row-total column duplicates the cells
	}
	move := func(i, j, ys int) bool { // ys: change in the zero-sum form
		return g.canMove(i, j, ys*g.sign(i, j))
	}
	if !move(i0, j0, s) {
		return false
	}
	if g.single() {
		// A list has one equation: another hidden count moves the other way.
		for k := range g.r + 1 {
			if k != i0 && g.h[k][0] != Shown && move(k, 0, -s) &&
				g.verify(i0, j0, s, func(yield func(i, j, d int)) { yield(k, 0, -s) }) {
				return true
			}
		}
		return false
	}
	// Nodes: rows 0..r and columns 0..cols-1. From column j0 we need a
	// path alternating signs that returns to row i0, arriving with -s.
	type state struct {
		col  bool
		n    int
		sign int // the sign of the next edge
	}
	type prev struct {
		st   state
		i, j int
	}
	start := state{col: true, n: j0, sign: -s}
	seen := map[state]prev{start: {}}
	queue := []state{start}
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if !st.col && st.n == i0 && st.sign == s {
			return g.verify(i0, j0, s, func(yield func(i, j, d int)) {
				for cur := st; cur != start; {
					p := seen[cur]
					yield(p.i, p.j, -cur.sign)
					cur = p.st
				}
			})
		}
		if st.col {
			j := st.n
			for i := range g.r + 1 {
				if (i == i0 && j == j0) || g.h[i][j] == Shown || !move(i, j, st.sign) {
					continue
				}
				next := state{col: false, n: i, sign: -st.sign}
				if _, ok := seen[next]; !ok {
					seen[next] = prev{st: st, i: i, j: j}
					queue = append(queue, next)
				}
			}
		} else {
			i := st.n
			for j := range cols {
				if (i == i0 && j == j0) || g.h[i][j] == Shown || !move(i, j, st.sign) {
					continue
				}
				next := state{col: true, n: j, sign: -st.sign}
				if _, ok := seen[next]; !ok {
					seen[next] = prev{st: st, i: i, j: j}
					queue = append(queue, next)
				}
			}
		}
	}
	return false
}

// verify applies the walk found (plus the first step) and checks that the
// result is a table: every line still adds up, every label still holds,
// and (i0, j0) changed.
func (g *grid) verify(i0, j0, s int, walk func(func(i, j, d int))) bool {
	d := map[[2]int]int{{i0, j0}: s}
	walk(func(i, j, ys int) { d[[2]int{i, j}] += ys })
	if d[[2]int{i0, j0}] == 0 {
		return false
	}
	x := make([][]int, g.r+1)
	for i := range x {
		x[i] = slices.Clone(g.v[i])
	}
	for p, ys := range d {
		x[p[0]][p[1]] += ys * g.sign(p[0], p[1])
		if g.single() && p[1] < g.c && p[0] < g.r {
			x[p[0]][g.c] = x[p[0]][p[1]]
		}
		if g.single() && p[1] < g.c && p[0] == g.r {
			x[g.r][g.c] = x[g.r][p[1]]
		}
	}
	for i := range g.r + 1 {
		for j := range g.c + 1 {
			if g.h[i][j] == Shown && x[i][j] != g.v[i][j] {
				return false
			}
			switch g.h[i][j] {
			case Low:
				if x[i][j] < 0 || x[i][j] >= MinCount {
					return false
				}
			case Secondary:
				if x[i][j] < MinCount {
					return false
				}
			}
		}
	}
	for i := range g.r + 1 {
		sum := 0
		for j := range g.c {
			sum += x[i][j]
		}
		if sum != x[i][g.c] {
			return false
		}
	}
	for j := range g.c + 1 {
		sum := 0
		for i := range g.r {
			sum += x[i][j]
		}
		if sum != x[g.r][j] {
			return false
		}
	}
	return true
}

// protect hides the cheapest rectangle of cells through (i0, j0) that
// gives it an alternative, or, failing any, the whole line of it.
func (g *grid) protect(p [2]int) {
	i0, j0 := p[0], p[1]
	best, bestCost := [2]int{-1, -1}, 0
	if g.single() {
		for k := range g.r + 1 {
			if g.h[k][0] == Shown && (best[0] < 0 || g.v[k][0] < bestCost) {
				best, bestCost = [2]int{k, 0}, g.v[k][0]
			}
		}
		if best[0] >= 0 {
			g.hide(best[0], 0, Secondary)
		}
		return
	}
	cols := g.c + 1
	if g.single() {
		cols = g.c
	}
	for i := range g.r + 1 {
		for j := range cols {
			if i == i0 || j == j0 {
				continue
			}
			cost := 0
			for _, q := range [][2]int{{i0, j}, {i, j0}, {i, j}} {
				if g.h[q[0]][q[1]] == Shown {
					cost += g.v[q[0]][q[1]] + 1
					if q[0] == g.r || q[1] == g.c {
						cost += 1 << 20
					}
				}
			}
			if cost == 0 {
				continue // already hidden, and not enough
			}
			if best[0] < 0 || cost < bestCost {
				best, bestCost = [2]int{i, j}, cost
			}
		}
	}
	if best[0] < 0 {
		for j := range g.c + 1 {
			g.hide(i0, j, Secondary)
		}
		for i := range g.r + 1 {
			g.hide(i, j0, Secondary)
		}
		return
	}
	for _, q := range [][2]int{{i0, best[1]}, {best[0], j0}, best} {
		g.hide(q[0], q[1], Secondary)
	}
}

func (g *grid) table(rows, cols []string) Table {
	t := Table{Rows: rows, Cols: cols, Cells: make([][]Cell, g.r), RowTotals: make([]Cell, g.r), ColTotals: make([]Cell, g.c)}
	for i := range g.r {
		t.Cells[i] = make([]Cell, g.c)
		for j := range g.c {
			t.Cells[i][j] = Cell{g.v[i][j], g.h[i][j]}
		}
		t.RowTotals[i] = Cell{g.v[i][g.c], g.h[i][g.c]}
	}
	for j := range g.c {
		t.ColTotals[j] = Cell{g.v[g.r][j], g.h[g.r][j]}
	}
	t.Total = Cell{g.v[g.r][g.c], g.h[g.r][g.c]}
	return t
}
