package casework

import (
	"context"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
)

// Convert turns a pre-complaint into a formal complaint (PL) at the
// appointment, in one transaction: the PL gets a new reference, its own
// data key and salt, the corrected form and identity check as personal
// part, LinkedRef → PP and a "created" event; the PP gets LinkedRef → PL,
// status confirmed, no expiry (retention never erases it) and a
// "converted" event. It returns the PL reference. Unchecked identity or an
// invalid form fails with a *guichet.ValidationError; a case already
// converted or final with guichet.ErrConflict.
func (s *Service) Convert(ctx context.Context, p account.Principal, ref string, in ConvertInput) (string, error) {
	c, _, err := s.caseInScope(ctx, p, ref)
	if err != nil {
		return "", err
	}
	if c.Kind != caseref.PreComplaint {
		return "", fmt.Errorf("case %s: only a pre-complaint converts: %w", c.Ref, guichet.ErrConflict)
	}
	if c.LinkedRef != "" || c.Erased() {
		return "", fmt.Errorf("case %s: already converted or %s: %w", c.Ref, c.Status, guichet.ErrConflict)
	}
	allowed, err := s.transition(c, p, casefile.StatusConfirmed)
	if err != nil {
		return "", fmt.Errorf("already converted or %s: %w", c.Status, err)
	}
	now := s.d.Clock.Now()
	var v guichet.ValidationError
	if !in.IdentityChecked {
		v.Add("identity_checked", "err.identity.unchecked")
	}
	if !in.IDDocument.Valid() {
		v.Add("id_document", "err.required")
	}
	form := in.Form
	form.Category = complaint.Category(c.Category)
	// The steps a citizen corrects at the desk; the station and consent
	// steps of the online form do not apply.
	for _, step := range []complaint.Step{complaint.StepIdentity, complaint.StepFacts, complaint.StepItems} {
		if err := complaint.ValidateStep(step, &form, now); err != nil {
			var fv *guichet.ValidationError
			if !errors.As(err, &fv) {
				return "", err
			}
			v.Fields = append(v.Fields, fv.Fields...)
		}
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	// The appointment is at the desk: whatever the citizen chose online
	// stays as it was; only the facts and identity are corrected.
	form.UnitID, form.SlotID, form.Consent = c.UnitID, "", true
	if old, err := s.personalForm(ctx, c); err == nil {
		form.Evidence = old.Evidence
		form.Emergency, form.Violence, form.AuthorKnown = old.Emergency, old.Violence, old.AuthorKnown
	} else {
		return "", err
	}
	salt := make([]byte, 32)
	if _, err := s.d.Rand.Read(salt); err != nil {
		return "", err
	}
	plID := s.d.IDs.New()
	filed := &complaint.Filed{Form: form, Identity: complaint.IdentityCheck{
		Document: in.IDDocument, Checked: true, Agent: p.Pseudonym, ServiceNumber: p.ServiceNumber, At: now,
	}}
	sealed, digest, err := complaint.Complaint.Seal(s.d.Vault, plID, nil, filed)
	if err != nil {
		return "", fmt.Errorf("case %s: %w", c.Ref, err)
	}
	plRef, err := casefile.MintRef(s.d.Rand, caseref.Complaint, now.In(complaint.Paris).Year(), func(r caseref.Ref) error {
		pl := casefile.Case{
			ID: plID, Ref: r.String(), Kind: caseref.Complaint, Category: c.Category,
			Status: complaint.Complaint.Initial, UnitID: c.UnitID, CreatedAt: now, SubmittedAt: now, UpdatedAt: now,
			LinkedRef: c.Ref,
		}
		cv := Conversion{
			PPID: c.ID, PPAllowed: allowed, PL: pl, PLSalt: salt, PLPerson: sealed, At: now,
			PLEvents: []casefile.Event{s.event(pl.ID, casefile.EventCreated, p, now, true, map[string]string{
				"pre_complaint": c.Ref, "unit": c.UnitID, "category": c.Category, "content": digest,
			})},
			PPEvents: []casefile.Event{
				s.event(c.ID, casefile.EventConverted, p, now, true, map[string]string{"complaint": pl.Ref}),
				statusEvent(s, c, p, now, casefile.StatusConfirmed),
			},
		}
		err := s.d.Store.ConvertCase(ctx, cv)
		if errors.Is(err, guichet.ErrConflict) {
			// A reference collision draws again; a PP converted meanwhile
			// is reported as such.
			if cur, _, lerr := s.d.Store.CaseByRef(ctx, c.Ref); lerr == nil && (cur.LinkedRef != "" || cur.Status.Final()) {
				return fmt.Errorf("case %s: already converted or %s: %w", c.Ref, cur.Status, errConverted)
			}
		}
		return err
	})
	if errors.Is(err, errConverted) {
		return "", fmt.Errorf("%w: %w", err, guichet.ErrConflict)
	}
	if err != nil {
		return "", fmt.Errorf("case %s: convert: %w", c.Ref, err)
	}
	s.d.Logger.InfoContext(ctx, "pre-complaint converted", "ref", c.Ref, "complaint", plRef.String(), "agent", p.Pseudonym)
	return plRef.String(), nil
}

// errConverted stops reference minting when the pre-complaint was
// converted meanwhile (not a collision of references).
var errConverted = errors.New("converted meanwhile")

func (s *Service) personalForm(ctx context.Context, c casefile.Case) (*complaint.Form, error) {
	_, pers, err := s.openPersonal(ctx, c)
	if err != nil {
		return nil, err
	}
	if f := complaintForm(pers); f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("case %s: %s has no complaint form: %w", c.Ref, c.Kind, guichet.ErrConflict)
}
