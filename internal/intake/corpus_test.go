package intake_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/corpus"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/xarf"
)

// The corpus tests run every shared sample (../shared/corpus, or
// $GUICHET_CORPUS) through parse and convert: each gives an item or a
// typed problem, never a panic or an untyped error. The counts are
// asserted, so that a converter refusing what it took, or taking what it
// refused, fails.

// outcome is what one sample gave.
type outcome struct {
	items, counted int
	refused        int // by the parser: *arf.ProblemError, *xarf.ProblemError
	unconverted    int // by the converter: *intake.ProblemError
}

func samples(t *testing.T, sub string, keep func(rel string) bool) (string, []string) {
	dir := corpus.Dir(t, sub)
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if keep(filepath.ToSlash(rel)) {
			paths = append(paths, p)
		}
		return nil
	})
	return dir, paths
}

func TestCorpusARF(t *testing.T) {
	dir, paths := samples(t, "arf", func(rel string) bool { return strings.HasSuffix(rel, ".eml") })
	var o outcome
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		// An mbox reader takes one message as well as many.
		res := intake.ReadARF(arf.Options{}, f, smsNow)
		f.Close()
		// The recipients, to check they are nowhere in an item.
		var rcpt []string
		if b, err := os.ReadFile(p); err == nil {
			if rep, err := (arf.Options{}).ParseBytes(b); err == nil {
				for _, a := range rep.OriginalRcptTo {
					if _, addr, ok := strings.Cut(a, ";"); ok {
						a = addr
					}
					if a = strings.Trim(strings.TrimSpace(a), "<>"); strings.Contains(a, "@") {
						rcpt = append(rcpt, strings.ToLower(a))
					}
				}
			}
		}
		for _, r := range res {
			var ape *arf.ProblemError
			var ipe *intake.ProblemError
			switch {
			case r.Err == nil && r.Item.Filed():
				o.items++
			case r.Err == nil:
				o.counted++
			case errors.As(r.Err, &ape):
				o.refused++
				t.Logf("%s #%d: %v", rel, r.Index, r.Err)
			case errors.As(r.Err, &ipe):
				o.unconverted++
				t.Logf("%s #%d: %v", rel, r.Index, r.Err)
			default:
				t.Errorf("%s #%d: untyped error %v", rel, r.Index, r.Err)
			}
			if r.Err == nil && r.Item.Filed() && r.Item.ContentKey == "" && len(r.Item.Input.Seen) == 0 {
				t.Errorf("%s: an item with neither key nor values", rel)
			}
			all := strings.ToLower(strings.Join(append(seenValues(r.Item), r.Item.Input.Description), " "))
			for _, a := range rcpt {
				if strings.Contains(all, a) {
					t.Errorf("%s: the recipient %s is in the item", rel, a)
				}
			}
		}
	}
	t.Logf("ARF: %d samples: %d items to file, %d counted (not-spam, opt-out), %d refused by the parser, %d by the converter (typed problems)",
		len(paths), o.items, o.counted, o.refused, o.unconverted)
	if o != wantARF {
		t.Errorf("ARF corpus gave %+v, want %+v", o, wantARF)
	}
}

func TestCorpusXARF(t *testing.T) {
	dir, paths := samples(t, "xarf", func(rel string) bool {
		return !strings.Contains(rel, "/schemas/") && !strings.Contains(rel, "test-definitions") &&
			(strings.HasSuffix(rel, ".json") || strings.HasSuffix(rel, ".eml"))
	})
	var o outcome
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := xarf.Parse(b)
		var it intake.Item
		if err == nil {
			it, err = intake.FromXARF(r, smsNow)
		}
		var xpe *xarf.ProblemError
		var ipe *intake.ProblemError
		switch {
		case err == nil:
			o.items++
		case errors.As(err, &xpe):
			o.refused++
		case errors.As(err, &ipe):
			o.unconverted++
			t.Logf("%s: %v", rel, err)
		default:
			t.Errorf("%s: untyped error %v", rel, err)
		}
		if err == nil && (it.ContentKey == "" || len(it.Input.Seen) == 0) {
			t.Errorf("%s: key %q values %v", rel, it.ContentKey, it.Input.Seen)
		}
	}
	t.Logf("X-ARF: %d samples: %d items to file, %d refused by the parser, %d by the converter (typed problems)", len(paths), o.items, o.refused, o.unconverted)
	if o != wantXARF {
		t.Errorf("X-ARF corpus gave %+v, want %+v", o, wantXARF)
	}
}

// The counts of the corpus as it stands (see ../shared/corpus/*/README.md).
// ARF: every sample parses (as internal/arf's corpus test asserts); one is
// an opt-out (rjbs-Email-ARF/example1), counted and not filed. X-ARF: the
// 56 refusals are internal/xarf's (the spec's invalid samples, the v0.x
// e-mails, and xarf-python's "valid" samples whose report_id is not a
// UUID or whose reporter has a type field); the converter refuses none.
var (
	wantARF  = outcome{items: 40, counted: 1}
	wantXARF = outcome{items: 40, refused: 56}
)
