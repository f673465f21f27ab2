package main

import (
	"bytes"
	"image"
	"image/png"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/evidence/s3fake"
)

// TestObjectStorage runs an instance with evidence and the transparency
// log in S3 buckets (an in-process S3 server), configured by flags as an
// operator would: a citizen files a pre-complaint with a photo, the photo
// is stored encrypted in the evidence bucket and nowhere on disk, an agent
// reads it back whole, and the log, whose tiles live in the other bucket,
// verifies with guichet verify log — also after a restart.
func TestObjectStorage(t *testing.T) {
	ctx := t.Context()
	s3 := s3fake.Start(t)
	evidenceURL, logURL := s3.Bucket(t, "evidence"), s3.Bucket(t, "transparency")
	dir := t.TempDir()
	var cfg config
	fs := newFlagSet("serve", "", io.Discard)
	cfg.flags(fs, func(string) string { return "" }, "", "")
	if err := fs.Parse([]string{"--data", dir, "--blob", evidenceURL, "--log-blob", logURL}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.finish(); err != nil {
		t.Fatal(err)
	}
	cfg.noRateLimit = true
	open := func() *app {
		t.Helper()
		a, err := openApp(ctx, cfg, func(string) string { return "" }, newLogger(io.Discard, "text"), nil)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	defer func() { a.Close() }()

	// A citizen files a pre-complaint with a photo.
	unit, slot, err := benchUnit(ctx, a, 1)
	if err != nil {
		t.Fatal(err)
	}
	form := complaint.Form{
		Emergency: "no", Violence: "no", AuthorKnown: "no", Category: complaint.Theft,
		Civility: "mme", LastName: "Objet", FirstName: "Camille", BirthDate: "1987-04-12", BirthPlace: "Nantes",
		Email: "c.objet@example.fr", Phone: "06 12 34 56 78", Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon",
		FactsFrom:     time.Now().Add(-48 * time.Hour).In(complaint.Paris).Format("2006-01-02T15:04"),
		PlacePostcode: "69003", PlaceCity: "Lyon", Description: "Vol de mon vélo attaché devant la gare.",
		Items:  []complaint.Item{{Kind: "bicycle", Description: "Vélo de ville", Value: "450"}},
		UnitID: unit.ID, SlotID: slot.ID, Consent: true,
	}
	code, _, err := a.complaints.StartDraft(ctx, form)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range complaint.Steps {
		if _, err := a.complaints.SaveStep(ctx, code, step, form, 0); err != nil {
			t.Fatalf("step %s: %v", step, err)
		}
	}
	var photo bytes.Buffer
	png.Encode(&photo, image.NewGray(image.Rect(0, 0, 64, 64)))
	st, err := a.complaints.AddEvidence(ctx, code, "velo.png", bytes.NewReader(photo.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	evidenceID := st.Form.Evidence[0].ID
	sub, _, err := a.complaints.Submit(ctx, code)
	if err != nil {
		t.Fatal(err)
	}

	// The photo is in the evidence bucket, encrypted, and not on disk.
	raw, err := blob.OpenBucket(ctx, evidenceURL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored [][]byte
	for it := raw.List(nil); ; {
		obj, err := it.Next(ctx)
		if err != nil {
			break
		}
		b, err := raw.ReadAll(ctx, obj.Key)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, b)
	}
	if len(stored) != 1 || bytes.Contains(stored[0], photo.Bytes()[:16]) || bytes.Contains(stored[0], []byte("IHDR")) {
		t.Fatalf("evidence bucket holds %d objects, want the one photo, encrypted", len(stored))
	}
	for _, sub := range []string{"evidence", "log"} {
		if _, err := os.Stat(filepath.Join(dir, sub)); !os.IsNotExist(err) {
			t.Errorf("data directory has %s/ although it is in a bucket (%v)", sub, err)
		}
	}

	// An agent of the unit reads it back whole.
	agent := account.Principal{AgentID: "agent-1", Pseudonym: "AGT-S3", UnitID: unit.ID, Role: account.RoleAgent, Units: []string{unit.ID}}
	f, err := a.cases.Evidence(ctx, agent, sub.Ref, evidenceID)
	if err != nil {
		t.Fatalf("agent reads the evidence: %v", err)
	}
	if !bytes.Equal(f.Data, photo.Bytes()) || f.Name != "velo.png" {
		t.Fatalf("evidence read back: %d bytes named %q", len(f.Data), f.Name)
	}

	// The log's events (submitted, accessed…) are appended to the bucket
	// and verify from the served tiles.
	verify := func(a *app) string {
		t.Helper()
		for {
			n, err := a.lg.Sequence(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		srv := httptest.NewServer(a.lg.Handler())
		defer srv.Close()
		var out, errw bytes.Buffer
		if err := runVerify(ctx, []string{"log", "--url", srv.URL + "/log", "--key", a.lg.VerifierKey()}, &out, &errw); err != nil {
			t.Fatalf("verify log: %v\n%s%s", err, out.String(), errw.String())
		}
		return out.String()
	}
	out := verify(a)
	t.Logf("verify log:\n%s", out)
	if a.lg.Size() < 2 || !strings.Contains(out, "OK") {
		t.Fatalf("log of size %d verified as:\n%s", a.lg.Size(), out)
	}
	logBucket, err := blob.OpenBucket(ctx, logURL)
	if err != nil {
		t.Fatal(err)
	}
	defer logBucket.Close()
	if cp, err := logBucket.ReadAll(ctx, "log/checkpoint"); err != nil || !bytes.Equal(cp, a.lg.Checkpoint()) {
		t.Fatalf("bucket checkpoint differs from the served one: %v", err)
	}

	// After a restart the log resumes from the bucket.
	size := a.lg.Size()
	a.Close()
	a = open()
	if a.lg.Size() != size {
		t.Fatalf("reopened log at size %d, want %d", a.lg.Size(), size)
	}
	if out := verify(a); !strings.Contains(out, "OK") {
		t.Fatalf("after restart:\n%s", out)
	}
}
