// Package corpus locates the shared conformance corpus (real public samples
// of the formats guichet reads: ARF, X-ARF, CAP, STIX, normalisation
// vectors) for the tests that run it. The samples keep their own licences
// and are never copied into this repository: they are read at run time from
// $GUICHET_CORPUS, or from ../shared/corpus beside the checkout.
//
// Without the corpus a conformance test skips, saying so plainly — or
// fails when CI or GUICHET_REQUIRE_CORPUS is set, so that CI cannot pass
// without running it.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Find returns the directory of the corpus folder sub ("arf", "xarf",
// "normalize"…) and whether it is there.
func Find(sub string) (string, bool) {
	var dir string
	if c := os.Getenv("GUICHET_CORPUS"); c != "" {
		dir = filepath.Join(c, sub)
	} else if root, ok := repoRoot(); ok {
		dir = filepath.Join(root, "..", "shared", "corpus", sub)
	}
	fi, err := os.Stat(dir)
	return dir, dir != "" && err == nil && fi.IsDir()
}

// Dir returns the directory of the corpus folder sub, or skips t when it
// is missing (fails it when CI or GUICHET_REQUIRE_CORPUS is set).
func Dir(t testing.TB, sub string) string {
	t.Helper()
	dir, ok := Find(sub)
	if !ok {
		msg := "corpus folder " + sub + " not found (looked for " + dir + "; set GUICHET_CORPUS to the shared corpus directory)"
		if os.Getenv("CI") != "" || os.Getenv("GUICHET_REQUIRE_CORPUS") != "" {
			t.Fatal(msg + "; CI/GUICHET_REQUIRE_CORPUS is set, so this is a failure")
		}
		t.Skip(msg)
	}
	return dir
}

// repoRoot walks up from the working directory (a package's, under go
// test) to the directory holding go.mod.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
