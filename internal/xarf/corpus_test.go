package xarf

import (
	"os"
	"path/filepath"
	"testing"
)

// The corpus tests read the shared X-ARF samples and schemas at run time
// (they keep their own licences and are never copied here):
// $GUICHET_CORPUS/xarf, or ../shared/corpus/xarf beside the checkout.
// Without them they skip — or fail when CI or GUICHET_REQUIRE_CORPUS is
// set.

func findCorpus() (string, bool) {
	var dir string
	if c := os.Getenv("GUICHET_CORPUS"); c != "" {
		dir = filepath.Join(c, "xarf")
	} else {
		dir = filepath.Join("..", "..", "..", "shared", "corpus", "xarf")
	}
	fi, err := os.Stat(dir)
	return dir, err == nil && fi.IsDir()
}

func corpusDir(t *testing.T) string {
	t.Helper()
	dir, ok := findCorpus()
	if !ok {
		msg := "X-ARF corpus not found (looked for " + dir + "; set GUICHET_CORPUS to the shared corpus directory)"
		if os.Getenv("CI") != "" || os.Getenv("GUICHET_REQUIRE_CORPUS") != "" {
			t.Fatal(msg + "; CI/GUICHET_REQUIRE_CORPUS is set, so this is a failure")
		}
		t.Skip(msg)
	}
	return dir
}
