package complaint

import (
	"context"
	"fmt"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/caseref"
)

// Purposes of secret codes, so a draft code never opens a case.
const (
	purposeDraft    = "draft"
	purposeTracking = "tracking"
)

// DraftState is a draft as the citizen sees it.
type DraftState struct {
	ID        string
	Step      Step // furthest step reached
	Form      Form
	Version   int
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// StartDraft opens a new draft holding f (the eligibility answers, and
// for a draft started from a report the answers taken from it, with
// f.Report its reference) and returns the secret draft code that resumes
// it. The caller MUST have authenticated the reporter of f.Report.
func (s *Service) StartDraft(ctx context.Context, f Form) (caseref.Code, *DraftState, error) {
	if reason, err := Eligibility(f); err != nil {
		return "", nil, err
	} else if reason != ReasonNone {
		return "", nil, fmt.Errorf("start draft: not eligible (%s): %w", reason, guichet.ErrInvalid)
	}
	if f.Report != "" {
		r, err := caseref.Parse(f.Report)
		if err != nil || r.Kind != caseref.Report {
			return "", nil, fmt.Errorf("start draft: report %q: %w", f.Report, guichet.ErrInvalid)
		}
		f.Report = r.String()
	}
	code, err := caseref.NewCode(s.d.Rand)
	if err != nil {
		return "", nil, err
	}
	now := s.d.Clock.Now()
	id := s.d.IDs.New()
	sealed, _, err := PreComplaint.Seal(s.d.Vault, id, nil, &f)
	if err != nil {
		return "", nil, fmt.Errorf("start draft: seal: %w", err)
	}
	d := Draft{
		ID: id, CodeHash: s.d.Codes.Sum(purposeDraft, code), Step: string(StepIdentity),
		Sealed: sealed, CreatedAt: now, UpdatedAt: now, ExpiresAt: now.Add(s.cfg.DraftTTL), Version: 1,
	}
	if err := s.d.Store.CreateDraft(ctx, d); err != nil {
		return "", nil, fmt.Errorf("start draft: %w", err)
	}
	s.d.Logger.InfoContext(ctx, "draft started", "draft", id)
	return code, &DraftState{ID: id, Step: StepIdentity, Form: f, Version: 1, UpdatedAt: now, ExpiresAt: d.ExpiresAt}, nil
}

func (s *Service) loadDraft(ctx context.Context, code caseref.Code) (Draft, *DraftState, error) {
	d, err := s.d.Store.DraftByCode(ctx, s.d.Codes.Sum(purposeDraft, code))
	if err != nil {
		return Draft{}, nil, fmt.Errorf("draft: %w", err)
	}
	if !d.ExpiresAt.After(s.d.Clock.Now()) {
		return Draft{}, nil, fmt.Errorf("draft %s expired: %w", d.ID, guichet.ErrNotFound)
	}
	p, err := PreComplaint.OpenPersonal(s.d.Vault, d.ID, d.Sealed)
	if err != nil {
		return Draft{}, nil, fmt.Errorf("draft: %w", err)
	}
	st := &DraftState{ID: d.ID, Step: Step(d.Step), Version: d.Version, UpdatedAt: d.UpdatedAt, ExpiresAt: d.ExpiresAt}
	st.Form = *p.(*Form)
	return d, st, nil
}

// Draft returns the draft opened by code.
func (s *Service) Draft(ctx context.Context, code caseref.Code) (*DraftState, error) {
	_, st, err := s.loadDraft(ctx, code)
	return st, err
}

func (s *Service) saveDraft(ctx context.Context, d Draft, st *DraftState) error {
	sealed, _, err := PreComplaint.Seal(s.d.Vault, d.ID, d.Sealed.WrappedKey, &st.Form)
	if err != nil {
		return fmt.Errorf("draft %s: seal: %w", d.ID, err)
	}
	now := s.d.Clock.Now()
	d.Sealed, d.Step, d.UpdatedAt, d.ExpiresAt = sealed, string(st.Step), now, now.Add(s.cfg.DraftTTL)
	if err := s.d.Store.UpdateDraft(ctx, d); err != nil {
		return fmt.Errorf("draft %s: save: %w", d.ID, err)
	}
	st.Version, st.UpdatedAt, st.ExpiresAt = d.Version+1, now, d.ExpiresAt
	return nil
}

// SaveStep stores the fields of one step typed by the citizen, whatever
// their validity, so nothing typed is ever lost; it then returns the step's
// *guichet.ValidationError, if any. The furthest step reached advances only
// when the step is valid. Fields of other steps are left as they were.
// version is the draft version the page was built from; a stale version
// fails with guichet.ErrConflict and saves nothing.
func (s *Service) SaveStep(ctx context.Context, code caseref.Code, step Step, in Form, version int) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	if version != 0 && version != d.Version {
		return st, fmt.Errorf("draft %s: saved elsewhere since (version %d, page %d): %w", d.ID, d.Version, version, guichet.ErrConflict)
	}
	MergeStep(&st.Form, step, in)
	verr := ValidateStep(step, &st.Form, s.d.Clock.Now())
	if verr == nil && step.Index()+1 < len(Steps) && Steps[step.Index()+1].Index() > st.Step.Index() {
		st.Step = Steps[step.Index()+1]
	}
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	return st, verr
}

// MergeStep copies into dst the fields of in that belong to step: what
// SaveStep keeps of a step, for pages that show a step's answers again.
func MergeStep(dst *Form, step Step, in Form) {
	switch step {
	case StepIdentity:
		dst.Civility, dst.LastName, dst.FirstName, dst.BirthDate = in.Civility, in.LastName, in.FirstName, in.BirthDate
		dst.BirthPlace, dst.Email, dst.Phone = in.BirthPlace, in.Email, in.Phone
		dst.Address, dst.Postcode, dst.City, dst.Country = in.Address, in.Postcode, in.City, in.Country
	case StepFacts:
		dst.FactsFrom, dst.FactsTo = in.FactsFrom, in.FactsTo
		dst.PlaceKind, dst.PlaceDetails, dst.PlaceNear = in.PlaceKind, in.PlaceDetails, in.PlaceNear
		dst.PlaceAddress, dst.PlacePostcode, dst.PlaceCity, dst.Description = in.PlaceAddress, in.PlacePostcode, in.PlaceCity, in.Description
	case StepItems:
		dst.Items = append([]Item(nil), in.Items...)
		normalizePlates(dst.Items)
	case StepStation:
		dst.UnitID, dst.SlotID = in.UnitID, in.SlotID
	case StepReview:
		dst.Consent = in.Consent
	}
}

// ChangeCategory changes the kind of offence of a draft, chosen before it
// opened, to c, one of Categories. Every other answer is kept: the kind
// decides only what the items step asks (an item but for a fraud, the
// vehicle for a vehicle theft), so none becomes void; the caller shows
// that step again for the citizen to check against the new kind (see
// ValidateStep). The furthest step reached is kept. A c not eligible
// fails with a *guichet.ValidationError on "category"; a stale version
// with guichet.ErrConflict, saving nothing.
func (s *Service) ChangeCategory(ctx context.Context, code caseref.Code, c Category, version int) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	if !c.Valid() {
		var v guichet.ValidationError
		v.Add("category", "err.choose")
		return st, &v
	}
	if version != 0 && version != d.Version {
		return st, fmt.Errorf("draft %s: saved elsewhere since (version %d, page %d): %w", d.ID, d.Version, version, guichet.ErrConflict)
	}
	if st.Form.Category == c {
		return st, nil
	}
	st.Form.Category = c
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	s.d.Logger.InfoContext(ctx, "draft category changed", "draft", d.ID, "category", c)
	return st, nil
}
