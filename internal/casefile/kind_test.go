package casefile_test

import (
	"crypto/rand"
	"errors"
	"slices"
	"testing"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/vault"
)

func TestPreComplaintTransitions(t *testing.T) {
	k := complaint.PreComplaint
	tests := []struct {
		from, to casefile.Status
		by       casefile.Actor
		ok       bool
	}{
		{casefile.StatusSubmitted, casefile.StatusInProgress, casefile.ActorAgent, true},
		{casefile.StatusAssigned, casefile.StatusInProgress, casefile.ActorSupervisor, true},
		{casefile.StatusSubmitted, casefile.StatusAssigned, casefile.ActorAgent, true},
		{casefile.StatusInProgress, casefile.StatusAssigned, casefile.ActorAgent, false}, // already being worked on
		{casefile.StatusInProgress, casefile.StatusConfirmed, casefile.ActorAgent, true},
		{casefile.StatusSubmitted, casefile.StatusClosed, casefile.ActorSupervisor, true},
		{casefile.StatusSubmitted, casefile.StatusExpired, casefile.ActorSystem, true},
		{casefile.StatusSubmitted, casefile.StatusExpired, casefile.ActorAgent, false},     // only retention expires
		{casefile.StatusSubmitted, casefile.StatusConfirmed, casefile.ActorCitizen, false}, // only the desk confirms
		{casefile.StatusClosed, casefile.StatusInProgress, casefile.ActorAgent, false},     // final
		{casefile.StatusConfirmed, casefile.StatusClosed, casefile.ActorAgent, false},      // final
		{casefile.StatusExpired, casefile.StatusConfirmed, casefile.ActorSupervisor, false},
	}
	for _, tt := range tests {
		err := k.Check(tt.from, tt.to, tt.by)
		if tt.ok && err != nil {
			t.Errorf("%s → %s by %s: %v, want allowed", tt.from, tt.to, tt.by, err)
		}
		if !tt.ok && !errors.Is(err, guichet.ErrConflict) {
			t.Errorf("%s → %s by %s: %v, want ErrConflict", tt.from, tt.to, tt.by, err)
		}
	}
	for _, s := range k.Final {
		for _, tr := range k.Transitions {
			if tr.From == s {
				t.Errorf("final status %s has a way out: %+v", s, tr)
			}
		}
	}
	if got := k.Open(); !slices.Equal(got, []casefile.Status{casefile.StatusSubmitted, casefile.StatusTriaged, casefile.StatusAssigned, casefile.StatusInProgress}) {
		t.Errorf("open statuses = %v", got)
	}
	guard, err := k.From(casefile.StatusConfirmed, casefile.ActorAgent)
	if err != nil || !slices.Equal(guard, k.Open()) {
		t.Errorf("guard of confirm = %v, %v; want every open status", guard, err)
	}
	if _, err := complaint.Complaint.From(casefile.StatusClosed, casefile.ActorAgent); !errors.Is(err, guichet.ErrConflict) {
		t.Errorf("a complaint has no transition, got %v", err)
	}
}

func TestKindsRegistry(t *testing.T) {
	r := casefile.NewKinds(complaint.PreComplaint, complaint.Complaint)
	if k, err := r.Lookup(caseref.Complaint); err != nil || k != complaint.Complaint {
		t.Errorf("Lookup(PL) = %v, %v", k, err)
	}
	if _, err := r.Lookup(caseref.Report); !errors.Is(err, guichet.ErrNotFound) {
		t.Errorf("Lookup of an undeclared kind = %v, want ErrNotFound", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("a kind declared twice did not panic")
		}
	}()
	casefile.NewKinds(complaint.PreComplaint, complaint.PreComplaint)
}

func TestSealOneWayForAllKinds(t *testing.T) {
	v, err := vault.New(make([]byte, 32), "test", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f := &complaint.Form{LastName: "Durand", Evidence: []complaint.EvidenceFile{{ID: "e1", Name: "photo.jpg"}}}
	sealed, digest, err := complaint.PreComplaint.Seal(v, "case-1", nil, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(digest) != 64 {
		t.Errorf("digest %q", digest)
	}
	p, err := complaint.PreComplaint.OpenPersonal(v, "case-1", sealed)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*complaint.Form); got.LastName != "Durand" || p.EvidenceNames()["e1"] != "photo.jpg" {
		t.Errorf("round trip = %+v", got)
	}
	// Bound to its kind and its case: neither a complaint's codec nor
	// another case ID opens it.
	if _, err := complaint.Complaint.OpenPersonal(v, "case-1", sealed); err == nil {
		t.Error("a pre-complaint's part opened as a complaint's")
	}
	if _, err := complaint.PreComplaint.OpenPersonal(v, "case-2", sealed); err == nil {
		t.Error("a case's part opened under another case ID")
	}
	// Sealed again under the same data key, the digest is the same for the
	// same content.
	again, digest2, err := complaint.PreComplaint.Seal(v, "case-1", sealed.WrappedKey, f)
	if err != nil || digest2 != digest || !slices.Equal(again.WrappedKey, sealed.WrappedKey) {
		t.Errorf("re-seal: %v, digest %s vs %s", err, digest2, digest)
	}
	if _, _, err := complaint.PreComplaint.Seal(v, "case-1", nil, &complaint.Filed{}); !errors.Is(err, guichet.ErrInvalid) {
		t.Errorf("sealing another kind's type = %v, want ErrInvalid", err)
	}
}

func TestMintRef(t *testing.T) {
	var seen []string
	ref, err := casefile.MintRef(rand.Reader, caseref.Report, 2026, func(r caseref.Ref) error {
		seen = append(seen, r.String())
		if len(seen) < 3 {
			return guichet.ErrConflict // taken
		}
		return nil
	})
	if err != nil || len(seen) != 3 || ref.String() != seen[2] || ref.Kind != caseref.Report {
		t.Fatalf("MintRef = %v, %v after %v", ref, err, seen)
	}
	if _, err := caseref.Parse(ref.String()); err != nil {
		t.Errorf("minted %s does not parse: %v", ref, err)
	}
	stop := errors.New("slot full")
	n := 0
	if _, err := casefile.MintRef(rand.Reader, caseref.PreComplaint, 2026, func(caseref.Ref) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("a non-conflict error: %v after %d tries, want it at once", err, n)
	}
	n = 0
	if _, err := casefile.MintRef(rand.Reader, caseref.PreComplaint, 2026, func(caseref.Ref) error { n++; return guichet.ErrConflict }); !errors.Is(err, guichet.ErrConflict) || n != 4 {
		t.Errorf("always taken: %v after %d tries, want ErrConflict after 4", err, n)
	}
}
