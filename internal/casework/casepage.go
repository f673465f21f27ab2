package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/complaint"
)

func (s *Service) summary(ctx context.Context, c casefile.Case) (*Summary, error) {
	sum := &Summary{Case: c}
	var err error
	if sum.Events, err = s.d.Store.CaseEvents(ctx, c.ID); err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	if a, err := s.d.Store.Appointment(ctx, c.ID); err == nil {
		sum.Appointment = &a
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	if c.UnitID != "" {
		if u, err := s.d.Store.Unit(ctx, c.UnitID); err == nil {
			sum.Unit = &u
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, fmt.Errorf("case %s: %w", c.Ref, err)
		}
	}
	if a, err := s.d.Store.CaseAssignment(ctx, c.ID); err == nil {
		sum.Assignee = s.assignee(ctx, &a, map[string]string{})
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	ev, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	sum.Evidence = make([]EvidenceItem, 0, len(ev))
	for _, e := range ev {
		sum.Evidence = append(sum.Evidence, EvidenceItem{ID: e.ID, ContentType: e.ContentType, Size: e.Size, SHA256: e.SHA256, CreatedAt: e.CreatedAt})
	}
	return sum, nil
}

// Summary returns a case's metadata, appointment, history, evidence list
// (sizes and types, no names) and assignee: no personal data, so no access
// event. Out of scope: guichet.ErrNotFound.
func (s *Service) Summary(ctx context.Context, p account.Principal, ref string) (*Summary, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	return s.summary(ctx, c)
}

// Personal is the sealed personal part of a formal complaint (PL).
type Personal = complaint.Filed

// openPersonal decrypts the case's personal part through its kind's codec.
func (s *Service) openPersonal(ctx context.Context, c casefile.Case) (casefile.Sealed, casefile.Personal, error) {
	k, err := s.d.Kinds.Lookup(c.Kind)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: personal: %w", c.Ref, err)
	}
	pers, err := k.OpenPersonal(s.d.Vault, c.ID, sealed)
	if err != nil {
		return casefile.Sealed{}, nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	return sealed, pers, nil
}

// The views a kind's personal part may offer the desk.
type (
	formHolder     interface{ ComplaintForm() *complaint.Form }
	identityHolder interface {
		IdentityChecked() *complaint.IdentityCheck
	}
)

// complaintForm is the complaint form a personal part carries, or nil.
func complaintForm(p casefile.Personal) *complaint.Form {
	if f, ok := p.(formHolder); ok {
		return f.ComplaintForm()
	}
	return nil
}

// Open decrypts the case's personal part, its evidence names and its notes,
// and records an "accessed" event (purpose required: guichet.ErrInvalid
// otherwise). The first opening of a submitted or assigned case, for any
// purpose but supervision, moves it to in_progress (a "status.changed"
// event). An erased case opens without
// personal data and without access event.
func (s *Service) Open(ctx context.Context, p account.Principal, ref string, purpose Purpose) (*CaseFile, error) {
	if !purpose.Valid() {
		return nil, fmt.Errorf("open %s: purpose %q: %w", ref, purpose, guichet.ErrInvalid)
	}
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if c.Erased() {
		sum, err := s.summary(ctx, c)
		if err != nil {
			return nil, err
		}
		return &CaseFile{Summary: *sum, Notes: []Note{}}, nil
	}
	sealed, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	notes, err := s.openNotes(ctx, c, sealed.WrappedKey, false)
	if err != nil {
		return nil, err
	}
	now := s.d.Clock.Now()
	access := s.accessEvent(c, p, now, purpose)
	if err := s.recordAccess(ctx, p, &c, now, access); err != nil {
		return nil, err
	}
	sum, err := s.summary(ctx, c)
	if err != nil {
		return nil, err
	}
	names := pers.EvidenceNames()
	for i := range sum.Evidence {
		sum.Evidence[i].Name = names[sum.Evidence[i].ID]
	}
	s.d.Logger.InfoContext(ctx, "case opened", "ref", c.Ref, "agent", p.Pseudonym, "purpose", string(purpose))
	cf := &CaseFile{Summary: *sum, Personal: pers, Form: complaintForm(pers), Notes: notes, AccessEventID: access.ID}
	if id, ok := pers.(identityHolder); ok {
		cf.Identity = id.IdentityChecked()
	}
	return cf, nil
}

// recordAccess records the access event, moving a pre-complaint that
// nobody has worked on yet to in_progress at the same time — unless a
// supervisor only looks over it.
func (s *Service) recordAccess(ctx context.Context, p account.Principal, c *casefile.Case, now time.Time, access casefile.Event) error {
	// Whether the first opening takes the case up is the kind's to say.
	fresh, terr := s.transition(*c, p, casefile.StatusInProgress)
	if terr == nil && access.Data["purpose"] != string(PurposeSupervision) {
		err := s.d.Store.ChangeCase(ctx, Change{
			CaseID: c.ID, Allowed: fresh, Status: casefile.StatusInProgress, At: now,
			Events: []casefile.Event{access, statusEvent(s, *c, p, now, casefile.StatusInProgress)},
		})
		if err == nil {
			c.Status, c.UpdatedAt = casefile.StatusInProgress, now
			return nil
		}
		if !errors.Is(err, guichet.ErrConflict) {
			return fmt.Errorf("case %s: record access: %w", c.Ref, err)
		}
		// Someone moved it meanwhile: record the access alone.
	}
	if err := s.d.Store.ChangeCase(ctx, Change{CaseID: c.ID, At: now, Events: []casefile.Event{access}}); err != nil {
		return fmt.Errorf("case %s: record access: %w", c.Ref, err)
	}
	return nil
}

// Evidence returns one decrypted evidence file of the case with its sniffed
// type and the citizen's file name, and records an "accessed" event
// (purpose "processing").
func (s *Service) Evidence(ctx context.Context, p account.Principal, ref, evidenceID string) (*File, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return nil, err
	}
	if c.Erased() {
		return nil, notFound("case " + c.Ref + " evidence " + evidenceID)
	}
	list, err := s.d.Store.ListEvidence(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.Ref, err)
	}
	i := slices.IndexFunc(list, func(e casefile.Evidence) bool { return e.ID == evidenceID })
	if i < 0 {
		return nil, notFound("case " + c.Ref + " evidence " + evidenceID)
	}
	ev := list[i]
	sealed, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	blob, err := s.d.Blobs.Get(ctx, ev.BlobKey)
	if err != nil {
		return nil, fmt.Errorf("case %s: evidence %s: %w", c.Ref, ev.ID, err)
	}
	data, err := s.d.Vault.Open(casefile.Sealed{WrappedKey: sealed.WrappedKey, Ciphertext: blob}, casefile.EvidenceAAD(c.ID, ev.ID))
	if err != nil {
		return nil, fmt.Errorf("case %s: evidence %s: %w", c.Ref, ev.ID, err)
	}
	name := "piece-" + ev.ID
	if n := pers.EvidenceNames()[ev.ID]; n != "" {
		name = n
	}
	now := s.d.Clock.Now()
	if err := s.recordAccess(ctx, p, &c, now, s.accessEvent(c, p, now, PurposeProcessing)); err != nil {
		return nil, err
	}
	return &File{Name: name, ContentType: ev.ContentType, Data: data}, nil
}
