package arf

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/corpus"
)

// The corpus test reads the shared ARF samples at run time (they keep
// their own licences and are never copied here): $GUICHET_CORPUS/arf, or
// ../shared/corpus/arf beside the checkout. Without them it skips — or
// fails when CI or GUICHET_REQUIRE_CORPUS is set.

func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t, "arf")
	var paths []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			paths = append(paths, p)
		}
		return nil
	})
	if len(paths) < 40 {
		t.Fatalf("only %d samples under %s", len(paths), dir)
	}
	parsed, refused := 0, 0
	reports := map[string]*Report{}
	for _, p := range paths {
		rel, _ := filepath.Rel(dir, p)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(f)
		f.Close()
		var pe *ProblemError
		switch {
		case err == nil:
			parsed++
			reports[filepath.ToSlash(rel)] = r
		case errors.As(err, &pe):
			refused++
			t.Logf("%s: refused: %v", rel, err)
		default:
			t.Errorf("%s: untyped error %v", rel, err)
		}
	}
	t.Logf("%d of %d samples parsed, %d refused with a typed problem", parsed, len(paths), refused)
	// Every sample of this corpus is a report a lenient reader understands.
	if parsed != len(paths) {
		t.Errorf("%d samples were refused", len(paths)-parsed)
	}

	// The expected values of arf/README.md (rjbs/Email-ARF t/basic.t).
	for name, ft := range map[string]FeedbackType{"example0": Abuse, "example1": OptOut, "example2": Abuse} {
		r := reports["rjbs-Email-ARF/"+name+".eml"]
		if r == nil {
			t.Errorf("%s: not parsed", name)
			continue
		}
		if r.FeedbackType != ft || r.UserAgent != "SomeGenerator/1.0" || r.Version != "0.1" ||
			r.Original.Subject != "Earn money" || !strings.Contains(r.HumanReadable, "IP 10.67.41.167") {
			t.Errorf("%s: type %q agent %q version %q subject %q", name, r.FeedbackType, r.UserAgent, r.Version, r.Original.Subject)
		}
	}
	if r := reports["rjbs-Email-ARF/example2.eml"]; r != nil && r.SourceIP.String() != "10.67.41.167" {
		t.Errorf("example2: Source-IP %v", r.SourceIP)
	}
	// RFC 5965 B.2: the fields after the blank line are read as headers.
	if r := reports["rfc/rfc5965-B2-full.eml"]; r != nil {
		if r.Original.Subject != "Earn money" || r.SourceIP.String() != "192.0.2.1" || len(r.ReportedURIs) != 2 {
			t.Errorf("B.2: subject %q ip %v uris %q", r.Original.Subject, r.SourceIP, r.ReportedURIs)
		}
	}
	if r := reports["ietf-draft-dmarc-failure-reporting/draft-ietf-dmarc-failure-reporting-example.eml"]; r != nil {
		if r.FeedbackType != AuthFailure || r.Auth.AuthFailure != "dmarc" || r.Auth.DKIMSelector != "epsilon" || r.SourcePort != 12345 || r.SourceIP.String() != "192.0.2.2" {
			t.Errorf("DMARC example: %+v port %d ip %v", r.Auth, r.SourcePort, r.SourceIP)
		}
	}
	se := 0
	for name, r := range reports {
		if strings.Contains(name, "spamexperts/") {
			se++
			if r.FeedbackType != Abuse || !r.SourceIP.IsValid() || !strings.HasPrefix(r.UserAgent, "SpamExperts/") {
				t.Errorf("%s: type %q ip %v agent %q", name, r.FeedbackType, r.SourceIP, r.UserAgent)
			}
		}
	}
	if se != 11 {
		t.Errorf("%d SpamExperts samples parsed, want 11", se)
	}
}
