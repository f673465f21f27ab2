// Package complaint is the online pre-complaint (pré-plainte en ligne): a
// victim of an offence against property by an unknown author writes it from
// home, books a slot at a station, and signs the formal complaint there.
//
// The service keeps every answer server-side in a sealed draft, turns the
// draft into a case with a checksummed reference and a secret tracking
// code, lets the citizen follow and reschedule, and erases personal data
// when the pre-complaint expires unconfirmed.
package complaint

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// Sealer seals and opens personal data (see internal/vault).
type Sealer = casefile.Sealer

// Blobs keeps evidence files (already sealed by the service).
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// Sniffer decides a file's type from its first bytes, refusing what is not
// an accepted evidence type with an error wrapping guichet.ErrInvalid.
type Sniffer func(head []byte) (string, error)

// Config holds the service's rules.
type Config struct {
	// TTL is how long a submitted pre-complaint waits for confirmation
	// before it expires and its personal data is erased (30 days).
	TTL time.Duration
	// DraftTTL is how long an untouched draft is kept (30 days).
	DraftTTL time.Duration
	// MaxFileSize and MaxFiles bound evidence uploads.
	MaxFileSize int64
	MaxFiles    int
	// SlotHorizon is how far ahead slots are offered (14 days).
	SlotHorizon time.Duration
	// MinNotice is the least time between now and a bookable slot.
	MinNotice time.Duration
}

// DefaultConfig returns the rules of the real service.
func DefaultConfig() Config {
	return Config{
		TTL:         PreComplaint.Retention.Open,
		DraftTTL:    30 * 24 * time.Hour,
		MaxFileSize: 10 << 20,
		MaxFiles:    5,
		SlotHorizon: 14 * 24 * time.Hour,
		MinNotice:   time.Hour,
	}
}

// Deps are the parts the service is built from.
type Deps struct {
	Store  Store
	Vault  Sealer
	Blobs  Blobs
	Sniff  Sniffer
	Codes  *caseref.Hasher
	Clock  guichet.Clock
	Rand   io.Reader
	IDs    *uuid7.Generator
	Logger *slog.Logger
}

// Service runs the pre-complaint journey. It is safe for concurrent use.
type Service struct {
	cfg Config
	d   Deps
}

// New returns a Service.
func New(cfg Config, d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, d: d}
}

// Config returns the rules the service applies.
func (s *Service) Config() Config { return s.cfg }

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

// StartDraft opens a new draft holding f (the eligibility answers) and
// returns the secret draft code that resumes it.
func (s *Service) StartDraft(ctx context.Context, f Form) (caseref.Code, *DraftState, error) {
	if reason, err := Eligibility(f); err != nil {
		return "", nil, err
	} else if reason != ReasonNone {
		return "", nil, fmt.Errorf("start draft: not eligible (%s): %w", reason, guichet.ErrInvalid)
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
		dst.Address, dst.Postcode, dst.City = in.Address, in.Postcode, in.City
	case StepFacts:
		dst.FactsFrom, dst.FactsTo = in.FactsFrom, in.FactsTo
		dst.PlaceAddress, dst.PlacePostcode, dst.PlaceCity, dst.Description = in.PlaceAddress, in.PlacePostcode, in.PlaceCity, in.Description
	case StepItems:
		dst.Items = append([]Item(nil), in.Items...)
	case StepStation:
		dst.UnitID, dst.SlotID = in.UnitID, in.SlotID
	case StepReview:
		dst.Consent = in.Consent
	}
}

// AddEvidence seals and stores one uploaded file for the draft. The type is
// sniffed from the content; too large, too many or refused types fail with
// a *guichet.ValidationError on field "evidence" and store nothing.
func (s *Service) AddEvidence(ctx context.Context, code caseref.Code, name string, r io.Reader) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	var v guichet.ValidationError
	if len(st.Form.Evidence) >= s.cfg.MaxFiles {
		v.Add("evidence", "err.evidence.count", s.cfg.MaxFiles)
		return st, v.Err()
	}
	data, err := io.ReadAll(io.LimitReader(r, s.cfg.MaxFileSize+1))
	if err != nil {
		return st, fmt.Errorf("draft %s: read upload: %w", d.ID, err)
	}
	switch {
	case len(data) == 0:
		v.Add("evidence", "err.evidence.empty")
	case int64(len(data)) > s.cfg.MaxFileSize:
		v.Add("evidence", "err.evidence.size", s.cfg.MaxFileSize>>20)
	}
	if err := v.Err(); err != nil {
		return st, err
	}
	ctype, err := s.d.Sniff(data)
	if err != nil {
		v.Add("evidence", "err.evidence.type")
		return st, v.Err()
	}
	id := s.d.IDs.New()
	sealed, err := s.d.Vault.SealWith(d.Sealed.WrappedKey, data, casefile.EvidenceAAD(d.ID, id))
	if err != nil {
		return st, fmt.Errorf("draft %s: seal evidence: %w", d.ID, err)
	}
	key := "evidence/" + id
	if err := s.d.Blobs.Put(ctx, key, sealed.Ciphertext); err != nil {
		return st, fmt.Errorf("draft %s: store evidence: %w", d.ID, err)
	}
	sum := sha256.Sum256(data)
	rec := casefile.Evidence{ID: id, OwnerID: d.ID, BlobKey: key, ContentType: ctype, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), CreatedAt: s.d.Clock.Now()}
	if err := s.d.Store.AddEvidence(ctx, rec); err != nil {
		_ = s.d.Blobs.Delete(ctx, key)
		return st, fmt.Errorf("draft %s: record evidence: %w", d.ID, err)
	}
	st.Form.Evidence = append(st.Form.Evidence, EvidenceFile{ID: id, Name: cleanName(name), ContentType: ctype, Size: rec.Size})
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	s.d.Logger.InfoContext(ctx, "evidence added", "draft", d.ID, "evidence", id, "type", ctype, "size", rec.Size)
	return st, nil
}

// cleanName keeps a file name displayable: base name only, bounded.
func cleanName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' || name[i] == '\\' {
			name = name[i+1:]
			break
		}
	}
	r := []rune(name)
	if len(r) > 120 {
		r = r[:120]
	}
	if len(r) == 0 {
		return "fichier"
	}
	return string(r)
}

// RemoveEvidence deletes one file from the draft.
func (s *Service) RemoveEvidence(ctx context.Context, code caseref.Code, id string) (*DraftState, error) {
	d, st, err := s.loadDraft(ctx, code)
	if err != nil {
		return nil, err
	}
	idx := -1
	for i, e := range st.Form.Evidence {
		if e.ID == id {
			idx = i
		}
	}
	if idx < 0 {
		return st, fmt.Errorf("draft %s: evidence %s: %w", d.ID, id, guichet.ErrNotFound)
	}
	if err := s.d.Store.DeleteEvidence(ctx, d.ID, id); err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return st, err
	}
	st.Form.Evidence = append(st.Form.Evidence[:idx], st.Form.Evidence[idx+1:]...)
	if err := s.saveDraft(ctx, d, st); err != nil {
		return nil, err
	}
	if err := s.d.Blobs.Delete(ctx, "evidence/"+id); err != nil {
		s.d.Logger.WarnContext(ctx, "evidence blob not deleted", "draft", d.ID, "evidence", id, "err", err)
	}
	return st, nil
}

// Stations ranks the units taking appointments by nearness to the query (a
// postcode or town) or to coordinates.
func (s *Service) Stations(ctx context.Context, query string, lat, lon float64, haveCoords bool) ([]station.Ranked, error) {
	units, err := s.d.Store.ListUnits(ctx)
	if err != nil {
		return nil, err
	}
	open := units[:0:0]
	for _, u := range units {
		if u.AcceptsAppointments {
			open = append(open, u)
		}
	}
	return station.Rank(open, query, lat, lon, haveCoords), nil
}

// Unit returns one unit.
func (s *Service) Unit(ctx context.Context, id string) (station.Unit, error) {
	return s.d.Store.Unit(ctx, id)
}

// FreeSlots returns the unit's slots with a free place, from MinNotice
// ahead to SlotHorizon.
func (s *Service) FreeSlots(ctx context.Context, unitID string) ([]station.Slot, error) {
	now := s.d.Clock.Now()
	all, err := s.d.Store.ListSlots(ctx, unitID, now.Add(s.cfg.MinNotice), now.Add(s.cfg.SlotHorizon))
	if err != nil {
		return nil, err
	}
	free := all[:0:0]
	for _, sl := range all {
		if sl.Free() > 0 {
			free = append(free, sl)
		}
	}
	return free, nil
}

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
	var sub Submission
	_, err = casefile.MintRef(s.d.Rand, caseref.PreComplaint, now.In(Paris).Year(), func(ref caseref.Ref) error {
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

// CaseView is a case as its citizen sees it.
type CaseView struct {
	Case        casefile.Case
	Events      []casefile.Event
	Appointment *station.Appointment // nil when none
	Unit        *station.Unit        // nil when none
	Form        *Form                // nil once erased
	// Salt is the case's ledger salt (nil once erased): the citizen's copy
	// lets them tie transparency-log leaves to their reference.
	Salt []byte
}

// Authenticate checks a reference and tracking code. A malformed or
// unknown reference and a wrong code all fail with
// guichet.ErrUnauthenticated, and a well-formed reference costs the same
// work whether it exists or not (one lookup, one keyed hash, one
// constant-time comparison), so that references cannot be probed.
//
// Authenticate MUST NOT refuse the right code and writes nothing on a
// failure: no per-case failure counter, no lockout, no event on the case.
// A per-case lockout let anyone who knew a reference lock its citizen out
// and told which references exist (locked ones answered differently);
// with a tracking code of at least 80 bits, guessing is bounded by the
// callers' per-client limits (see internal/web), which count failures
// only. The stores' code-failure columns are left unused.
func (s *Service) Authenticate(ctx context.Context, ref, code string) (casefile.Case, error) {
	r, err := caseref.Parse(ref)
	if err != nil {
		return casefile.Case{}, fmt.Errorf("authenticate: %w: %w", guichet.ErrUnauthenticated, err)
	}
	c, sec, err := s.d.Store.CaseByRef(ctx, r.String())
	found := err == nil
	if err != nil && !errors.Is(err, guichet.ErrNotFound) {
		return casefile.Case{}, err
	}
	want := sec.TrackingHash
	if !found {
		// Compared all the same, so that a missing case takes as long as
		// a wrong code; no code's digest is all zeros.
		want = make([]byte, sha256.Size)
	}
	cd, perr := caseref.ParseCode(code)
	match := caseref.Equal(s.d.Codes.Sum(purposeTracking, cd), want)
	if !found || perr != nil || !match {
		s.d.Logger.InfoContext(ctx, "tracking code refused", "ref", r.String())
		return casefile.Case{}, fmt.Errorf("authenticate %s: %w", r, guichet.ErrUnauthenticated)
	}
	return c, nil
}

// View returns the citizen's view of a case. The caller MUST have
// authenticated the citizen for ref (Authenticate) first.
func (s *Service) View(ctx context.Context, ref string) (*CaseView, error) {
	c, sec, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", ref, err)
	}
	v := &CaseView{Case: c, Salt: sec.LedgerSalt}
	if v.Events, err = s.d.Store.CaseEvents(ctx, c.ID); err != nil {
		return nil, err
	}
	if a, err := s.d.Store.Appointment(ctx, c.ID); err == nil {
		v.Appointment = &a
	} else if !errors.Is(err, guichet.ErrNotFound) {
		return nil, err
	}
	if c.UnitID != "" {
		if u, err := s.d.Store.Unit(ctx, c.UnitID); err == nil {
			v.Unit = &u
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, err
		}
	}
	if !c.Erased() {
		sealed, err := s.d.Store.CasePersonal(ctx, c.ID)
		if err != nil {
			return nil, fmt.Errorf("case %s: personal: %w", ref, err)
		}
		p, err := PreComplaint.OpenPersonal(s.d.Vault, c.ID, sealed)
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", ref, err)
		}
		v.Form = p.(*Form)
	}
	return v, nil
}

// Changeable reports whether the citizen may still move or cancel the
// appointment of c.
func Changeable(c casefile.Case) bool {
	return !c.Status.Final() && !c.Erased()
}

// Reschedule moves the appointment of an authenticated citizen's case to
// another free slot of the same unit.
func (s *Service) Reschedule(ctx context.Context, ref, slotID string) error {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return err
	}
	if !Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", ref, c.Status, guichet.ErrConflict)
	}
	now := s.d.Clock.Now()
	slot, err := s.d.Store.Slot(ctx, slotID)
	if err != nil || slot.UnitID != c.UnitID || slot.Start.Before(now.Add(s.cfg.MinNotice)) {
		var v guichet.ValidationError
		v.Add("slot_id", "err.slot.gone")
		return v.Err()
	}
	ev := s.event(c.ID, casefile.EventAppointmentChanged, "citizen", now, map[string]string{
		"unit": slot.UnitID, "start": slot.Start.UTC().Format(time.RFC3339), "end": slot.End.UTC().Format(time.RFC3339),
	})
	if err := s.d.Store.Reschedule(ctx, c.ID, slot.ID, []casefile.Event{ev}); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			var v guichet.ValidationError
			v.Add("slot_id", "err.slot.full")
			return v.Err()
		}
		return fmt.Errorf("case %s: reschedule: %w", ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment rescheduled", "ref", ref)
	return nil
}

// CancelAppointment frees the case's appointment; the pre-complaint stays
// open (a new slot can be booked) until it expires.
func (s *Service) CancelAppointment(ctx context.Context, ref string) error {
	c, _, err := s.d.Store.CaseByRef(ctx, ref)
	if err != nil {
		return err
	}
	if !Changeable(c) {
		return fmt.Errorf("case %s: %s: %w", ref, c.Status, guichet.ErrConflict)
	}
	ev := s.event(c.ID, casefile.EventAppointmentCancelled, "citizen", s.d.Clock.Now(), nil)
	if err := s.d.Store.CancelAppointment(ctx, c.ID, []casefile.Event{ev}); err != nil {
		return fmt.Errorf("case %s: cancel appointment: %w", ref, err)
	}
	s.d.Logger.InfoContext(ctx, "appointment cancelled", "ref", ref)
	return nil
}

// Retention is what one retention run did.
type Retention struct {
	Expired    int // pre-complaints expired and erased
	DraftFiles int // evidence files of abandoned drafts deleted
}

// RunRetention expires pre-complaints past their deadline — erasing their
// personal data, evidence and ledger salt, keeping a statistical tombstone
// — and deletes abandoned drafts. It is safe to run concurrently with
// itself and with citizens' requests.
func (s *Service) RunRetention(ctx context.Context) (Retention, error) {
	var r Retention
	now := s.d.Clock.Now()
	for {
		cases, err := s.d.Store.ExpirableCases(ctx, now, 100)
		if err != nil {
			return r, fmt.Errorf("retention: %w", err)
		}
		if len(cases) == 0 {
			break
		}
		for _, c := range cases {
			// Read it again just before erasing: an agent may have
			// confirmed or closed it since the batch was listed. EraseCase
			// checks the deadline again inside its transaction, which
			// closes the window; this read picks the status to record.
			cur, _, err := s.d.Store.CaseByRef(ctx, c.Ref)
			if err != nil || cur.ExpiresAt.IsZero() || cur.ExpiresAt.After(now) {
				continue
			}
			c = cur
			// A case closed by an agent stays closed: its retention period
			// is over, it did not expire unconfirmed.
			status, reason := casefile.StatusExpired, "not_confirmed"
			if c.Status == casefile.StatusClosed {
				status, reason = casefile.StatusClosed, "retention"
			}
			evs := []casefile.Event{
				s.event(c.ID, casefile.EventExpired, "system", now, map[string]string{"reason": reason}),
				s.event(c.ID, casefile.EventErased, "system", now, nil),
			}
			keys, err := s.d.Store.EraseCase(ctx, c.ID, status, now, evs)
			if errors.Is(err, guichet.ErrNotFound) || errors.Is(err, guichet.ErrConflict) {
				continue // erased or confirmed meanwhile
			}
			if err != nil {
				return r, fmt.Errorf("retention: case %s: %w", c.Ref, err)
			}
			r.Expired++
			s.deleteBlobs(ctx, keys)
			s.d.Logger.InfoContext(ctx, "pre-complaint expired and erased", "ref", c.Ref)
		}
		if len(cases) < 100 {
			break
		}
	}
	keys, err := s.d.Store.DeleteExpiredDrafts(ctx, now)
	if err != nil {
		return r, fmt.Errorf("retention: drafts: %w", err)
	}
	s.deleteBlobs(ctx, keys)
	r.DraftFiles = len(keys)
	return r, nil
}

// deleteBlobs removes blobs after their rows are gone. A blob left behind
// stays unreadable: it was sealed with a data key that no longer exists.
func (s *Service) deleteBlobs(ctx context.Context, keys []string) {
	for _, k := range keys {
		if err := s.d.Blobs.Delete(ctx, k); err != nil {
			s.d.Logger.WarnContext(ctx, "blob not deleted", "key", k, "err", err)
		}
	}
}
