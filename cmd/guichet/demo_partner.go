package main

import (
	"context"
	"fmt"

	"github.com/guichet/guichet/internal/partner"
)

// demoPartnerName is the demo's one API partner.
const demoPartnerName = "Signal Spam (démo)"

// seedDemoPartner creates the demo's partner and a token for it, and
// returns the token (printed at start, as the sample logins are).
func seedDemoPartner(ctx context.Context, a *app) (string, error) {
	p, err := a.partners.CreatePartner(ctx, partner.CommandLine, partner.NewPartner{Name: demoPartnerName, Kind: partner.KindObservatory,
		Scopes: []partner.Scope{partner.ScopeReportsWrite, partner.ScopeReportsRead}})
	if err != nil {
		return "", fmt.Errorf("demo partner: %w", err)
	}
	iss, err := a.partners.CreateToken(ctx, partner.CommandLine, p.ID, partner.NewToken{})
	if err != nil {
		return "", fmt.Errorf("demo partner token: %w", err)
	}
	return iss.Secret, nil
}
