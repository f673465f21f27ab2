package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/receipt"
)

// ComplaintRecord returns the PDF récépissé de dépôt de plainte of a formal
// complaint (PL reference), with the transparency-log index of the
// "converted" event when it is sequenced. It decrypts the complaint and so
// records an "accessed" event (purpose "conversion"). A reference that is
// not a complaint in scope fails with guichet.ErrNotFound.
func (s *Service) ComplaintRecord(ctx context.Context, p account.Principal, plRef string) ([]byte, error) {
	pl, _, err := s.caseInScope(ctx, p, plRef)
	if err != nil {
		return nil, err
	}
	if pl.Kind != caseref.Complaint || pl.Erased() {
		return nil, notFound("complaint " + pl.Ref)
	}
	_, pers, err := s.openPersonal(ctx, pl)
	if err != nil {
		return nil, err
	}
	filed, ok := pers.(*complaint.Filed)
	if !ok {
		return nil, fmt.Errorf("complaint %s: personal part is %T", pl.Ref, pers)
	}
	form, id := &filed.Form, &filed.Identity
	rec := receipt.Complaint{
		Ref: pl.Ref, PreComplaintRef: pl.LinkedRef, At: pl.SubmittedAt,
		Civility: form.Civility, LastName: form.LastName, FirstName: form.FirstName,
		BirthDate: form.BirthDate, BirthPlace: form.BirthPlace,
		Address: form.Address, Postcode: form.Postcode, City: form.City, Email: form.Email, Phone: form.Phone,
		Category: string(form.Category), FactsFrom: form.FactsFrom, FactsTo: form.FactsTo,
		Place:       form.PlaceLine(),
		Description: form.Description, LogIndex: -1,
	}
	if !form.HomeInFrance() {
		rec.Country = complaint.CountryName(form.Country, "fr") // the record is in French
	}
	if id != nil {
		rec.IDDocument, rec.AgentPseudonym, rec.AgentServiceNumber = string(id.Document), id.Agent, id.ServiceNumber
	}
	for _, it := range form.Items {
		rec.Items = append(rec.Items, receipt.ComplaintItem{Kind: it.Kind, Description: it.Description, Value: it.Value, Serial: it.Serial, Plate: it.Plate, ForeignPlate: it.ForeignPlate()})
	}
	if pl.UnitID != "" {
		if u, err := s.d.Store.Unit(ctx, pl.UnitID); err == nil {
			rec.UnitName, rec.UnitAddress = u.Name, strings.TrimSpace(u.Address+", "+u.Postcode+" "+u.City)
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, err
		}
	}
	if s.d.LogIndex != nil && pl.LinkedRef != "" {
		if idx, err := s.convertedIndex(ctx, pl); err == nil {
			rec.LogIndex = idx
		} else if !errors.Is(err, guichet.ErrNotFound) {
			return nil, err
		}
	}
	pdf, err := receipt.ComplaintPDF(rec)
	if err != nil {
		return nil, err
	}
	now := s.d.Clock.Now()
	if err := s.recordAccess(ctx, p, &pl, now, s.accessEvent(pl, p, now, PurposeConversion)); err != nil {
		return nil, err
	}
	return pdf, nil
}

// convertedIndex finds the log index of the "converted" event of the PP
// that names pl.
func (s *Service) convertedIndex(ctx context.Context, pl casefile.Case) (int64, error) {
	pp, _, err := s.d.Store.CaseByRef(ctx, pl.LinkedRef)
	if err != nil {
		return -1, err
	}
	evs, err := s.d.Store.CaseEvents(ctx, pp.ID)
	if err != nil {
		return -1, err
	}
	for _, e := range evs {
		if e.Type == casefile.EventConverted && e.Data["complaint"] == pl.Ref {
			return s.d.LogIndex(ctx, e.ID)
		}
	}
	return -1, fmt.Errorf("complaint %s: no conversion event: %w", pl.Ref, guichet.ErrNotFound)
}
