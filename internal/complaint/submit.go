package complaint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/station"
)

// Submitted is what the citizen receives once, on submission.
type Submitted struct {
	Ref          string
	TrackingCode caseref.Code
	Case         casefile.Case
	// View is the new case as its citizen sees it, built from what was
	// just written (no second read).
	View *CaseView
}

// Submit validates the whole draft and, when valid, turns it into a case:
// reference, tracking code, booked slot, events — all at once. An invalid
// draft returns the first failing step with its *guichet.ValidationError; a
// slot taken meanwhile returns guichet.ErrConflict (the draft is kept).
func (s *Service) Submit(ctx context.Context, code caseref.Code) (*Submitted, Step, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, "", err
	}
	return s.submit(ctx, d, st)
}

// ReviewOutcome is what the review page's post came to: exactly one of
// Submitted, Stale or Invalid is set.
type ReviewOutcome struct {
	// Submitted is the new case, when the pre-complaint was submitted.
	Submitted *Submitted
	// Draft is the draft as saved, when it was not submitted.
	Draft *DraftState
	// Stale: the page was built from an older version of the draft, saved
	// elsewhere since; nothing was saved.
	Stale bool
	// Step is the first step to correct, and Invalid its errors, when the
	// draft failed validation or consent was not given; the consent as
	// typed was saved, so nothing typed is lost.
	Step    Step
	Invalid *guichet.ValidationError
}

// SubmitReview is the review page's post in one step: it records the
// citizen's consent and, when given, submits the draft (see Submit),
// reading and decrypting the draft once. version is the draft version the
// page was built from (0: any). Errors are for what the citizen cannot
// correct: a draft gone (guichet.ErrNotFound) or a failure of the service.
func (s *Service) SubmitReview(ctx context.Context, code caseref.Code, consent bool, version int) (ReviewOutcome, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return ReviewOutcome{}, err
	}
	if version != 0 && version != d.Version {
		return ReviewOutcome{Draft: st, Stale: true}, nil
	}
	MergeStep(&st.Form, StepReview, Form{Consent: consent})
	invalid := func(step Step, err error) (ReviewOutcome, error) {
		// Keep the consent given; the citizen fixes the failing step.
		if serr := s.saveDraft(ctx, d, st); serr != nil {
			return ReviewOutcome{}, serr
		}
		var verr *guichet.ValidationError
		errors.As(err, &verr)
		return ReviewOutcome{Draft: st, Step: step, Invalid: verr}, nil
	}
	if verr := ValidateStep(StepReview, &st.Form, s.d.Clock.Now()); verr != nil {
		return invalid(StepReview, verr)
	}
	sub, failed, err := s.submit(ctx, d, st)
	var verr *guichet.ValidationError
	if err != nil && failed != "" && errors.As(err, &verr) {
		return invalid(failed, err)
	}
	if err != nil {
		return ReviewOutcome{}, err
	}
	return ReviewOutcome{Submitted: sub}, nil
}

// submit turns the loaded draft d, whose answers are st, into a case.
func (s *Service) submit(ctx context.Context, d Draft, st *DraftState) (*Submitted, Step, error) {
	now := s.d.Clock.Now()
	if reason, err := Eligibility(st.Form); err != nil || reason != ReasonNone {
		return nil, StepIdentity, fmt.Errorf("draft %s: not eligible: %w", d.ID, guichet.ErrInvalid)
	}
	if step, err := ValidateAll(&st.Form, now); err != nil {
		return nil, step, err
	}
	slot, err := s.d.Store.Slot(ctx, st.Form.SlotID)
	if err != nil || slot.UnitID != st.Form.UnitID || slot.Start.Before(now.Add(s.cfg.MinNotice)) {
		var v guichet.ValidationError
		v.Add("slot_id", "err.slot.gone")
		return nil, StepStation, v.Err()
	}
	track, err := caseref.NewCode(s.d.Rand)
	if err != nil {
		return nil, "", err
	}
	salt := make([]byte, 32)
	if _, err := io.ReadFull(s.d.Rand, salt); err != nil {
		return nil, "", err
	}
	st.Form.Consent = true
	personal, digest, err := PreComplaint.Seal(s.d.Vault, d.ID, d.Sealed.WrappedKey, &st.Form)
	if err != nil {
		return nil, "", err
	}
	link, err := s.linkedReport(ctx, st.Form.Report)
	if err != nil {
		return nil, "", fmt.Errorf("draft %s: %w", d.ID, err)
	}
	file := func(link *casefile.Case) (Submission, error) {
		var sub Submission
		_, err := casefile.MintRef(s.d.Rand, caseref.PreComplaint, now.In(Paris).Year(), func(ref caseref.Ref) error {
			c := casefile.Case{
				ID: d.ID, Ref: ref.String(), Kind: caseref.PreComplaint, Category: string(st.Form.Category),
				Status: PreComplaint.Initial, UnitID: st.Form.UnitID,
				CreatedAt: d.CreatedAt, SubmittedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.cfg.TTL),
			}
			sub = Submission{
				Case:     c,
				Secrets:  casefile.Secrets{TrackingHash: s.d.Codes.Sum(purposeTracking, track), LedgerSalt: salt},
				Personal: personal, DraftID: d.ID, SlotID: slot.ID,
				Events: []casefile.Event{
					s.event(c.ID, casefile.EventSubmitted, "citizen", now, map[string]string{
						"category": c.Category, "unit": slot.UnitID, "content": digest,
					}),
					s.event(c.ID, casefile.EventAppointmentBooked, "citizen", now, map[string]string{
						"unit": slot.UnitID, "start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
					}),
				},
			}
			if link != nil {
				// Both ways, in the submission's transaction; the data
				// is the other reference only (events reach the log).
				sub.Events = append(sub.Events, s.event(c.ID, casefile.EventLinked, "citizen", now, map[string]string{"ref": link.Ref}))
				sub.Linked = []LinkedEvents{{CaseID: link.ID, Events: []casefile.Event{
					s.event(link.ID, casefile.EventLinked, "citizen", now, map[string]string{"ref": c.Ref}),
				}}}
			}
			err := s.d.Store.SubmitCase(ctx, sub)
			if errors.Is(err, guichet.ErrConflict) {
				// Either the reference collided (draw another) or the slot is
				// full, which says so.
				if sl, serr := s.d.Store.Slot(ctx, slot.ID); serr == nil && sl.Free() <= 0 {
					var v guichet.ValidationError
					v.Add("slot_id", "err.slot.full")
					return v.Err()
				}
			}
			return err
		})
		return sub, err
	}
	sub, err := file(link)
	if link != nil && errors.Is(err, guichet.ErrNotFound) {
		// The report may have been erased since it was read: then the
		// pre-complaint is filed unlinked rather than not at all.
		if again, lerr := s.linkedReport(ctx, link.Ref); lerr == nil && again == nil {
			s.d.Logger.InfoContext(ctx, "linked report gone, pre-complaint filed unlinked", "report", link.Ref)
			sub, err = file(nil)
		}
	}
	var verr *guichet.ValidationError
	if errors.As(err, &verr) {
		return nil, StepStation, err
	}
	if err != nil {
		return nil, "", fmt.Errorf("draft %s: submit: %w", d.ID, err)
	}
	c := sub.Case
	s.d.Logger.InfoContext(ctx, "pre-complaint submitted", "ref", c.Ref, "category", c.Category, "unit", c.UnitID)
	form := st.Form
	view := &CaseView{
		Case: c, Events: sub.Events, Form: &form, Salt: salt,
		Appointment: &station.Appointment{CaseID: c.ID, SlotID: slot.ID, UnitID: slot.UnitID, Start: slot.Start, End: slot.End},
	}
	if u, err := s.d.Store.Unit(ctx, slot.UnitID); err == nil {
		view.Unit = &u
	}
	return &Submitted{Ref: c.Ref, TrackingCode: track, Case: c, View: view}, "", nil
}

func (s *Service) event(caseID, typ, actor string, at time.Time, data map[string]string) casefile.Event {
	return casefile.Event{ID: s.d.IDs.New(), CaseID: caseID, Type: typ, At: at, Actor: actor, Visible: true, Data: data}
}

// linkedReport returns the report a draft was started from, to link the
// pre-complaint to; nil when there is none, or when it is gone or erased
// (the pre-complaint is then filed unlinked: the victim's filing matters
// more than the link).
func (s *Service) linkedReport(ctx context.Context, ref string) (*casefile.Case, error) {
	if ref == "" {
		return nil, nil
	}
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	switch {
	case errors.Is(err, guichet.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("linked report %s: %w", ref, err)
	case c.Kind != caseref.Report || c.Erased():
		return nil, nil
	}
	return &c, nil
}
