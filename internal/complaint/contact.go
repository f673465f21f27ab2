package complaint

import (
	"context"
	"fmt"
	"strings"

	"github.com/guichet/guichet"
)

// ContactEmail returns the email address the citizen of case caseID left,
// read from the case's sealed personal part. It fails with an error
// wrapping guichet.ErrNotFound when the case left none or its personal data
// is erased, so nothing can reach a citizen after erasure. The address MUST
// NOT be logged or stored elsewhere.
func (s *Service) ContactEmail(ctx context.Context, caseID string) (string, error) {
	sealed, err := s.d.Store.CasePersonal(ctx, caseID)
	if err != nil {
		return "", fmt.Errorf("case %s: contact: %w", caseID, err)
	}
	p, err := PreComplaint.OpenPersonal(s.d.Vault, caseID, sealed)
	if err != nil {
		return "", fmt.Errorf("case %s: contact: %w", caseID, err)
	}
	f := p.(*Form)
	if strings.TrimSpace(f.Email) == "" {
		return "", fmt.Errorf("case %s: contact: no address: %w", caseID, guichet.ErrNotFound)
	}
	return strings.TrimSpace(f.Email), nil
}
