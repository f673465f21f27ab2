package indicator

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

// The conformance tests read the shared normalisation corpus at run time
// (its files keep their own licences and are never copied into this
// repository): $GUICHET_CORPUS/normalize when GUICHET_CORPUS is set (as
// scripts/test sets it), else ../shared/corpus/normalize from the
// repository root. Without it they skip — or fail when CI or
// GUICHET_REQUIRE_CORPUS is set, so CI cannot pass without running them.

// corpusDir returns the normalisation corpus directory, or skips (fails in
// CI) when it is missing.
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpus.Dir(t, "normalize")
}

// corpusInputs returns the "input" of every line of a corpus file, or
// nothing when the corpus is missing: fuzz targets use them as seeds and
// run without them.
func corpusInputs(rel string) []string {
	dir, ok := corpus.Find("normalize")
	if !ok {
		return nil
	}
	f, err := os.Open(filepath.Join(dir, rel))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l struct {
			Input *string `json:"input"`
		}
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Input != nil {
			out = append(out, *l.Input)
		}
	}
	return out
}

// readJSONL decodes every line of a corpus file into T, failing the test
// on any line that does not decode: no line may be skipped silently.
func readJSONL[T any](t testing.TB, rel string) []T {
	t.Helper()
	path := filepath.Join(corpusDir(t), rel)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", rel, n, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no lines", rel)
	}
	return out
}

// tally counts, per file, the lines that behaved as expected, and reports
// the figures (go test -v shows them).
type tally struct {
	t     *testing.T
	file  string
	total int
	ok    int
	notes map[string]int
}

func newTally(t *testing.T, file string) *tally {
	return &tally{t: t, file: file, notes: map[string]int{}}
}

// line records one processed line; pass says whether it met the test.
func (c *tally) line(pass bool) {
	c.total++
	if pass {
		c.ok++
	}
}

// note counts a line under a named category (a documented divergence, …).
func (c *tally) note(category string) { c.notes[category]++ }

func (c *tally) report() {
	c.t.Helper()
	c.t.Logf("%s: %d/%d lines as expected", c.file, c.ok, c.total)
	for k, n := range c.notes {
		c.t.Logf("%s:   %d %s", c.file, n, k)
	}
}
