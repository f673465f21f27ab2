package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"sync"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
)

// DemoPassword is the password of every seeded agent.
const DemoPassword = "guichet demo 2026"

// SubUnit is the seeded sub-unit of CSP-LYON03, so that a supervisor's
// scope (their unit and every sub-unit) is visible on the demo.
var SubUnit = station.Unit{
	Code: "BPF-LYON03", Name: "Brigade de protection de la famille de Lyon 3e", Kind: station.Commissariat,
	Address: "47 rue de la Charité", Postcode: "69002", City: "Lyon", Lat: 45.7561, Lon: 4.8323,
	Phone: "04 78 78 40 40", Hours: []string{"Sur convocation"},
}

// AgentLogin is a seeded account as printed for testers.
type AgentLogin struct {
	ServiceNumber string
	Name          string
	Role          account.Role
	UnitCode      string
	Pseudonym     string
	Password      string
	TOTPSecret    string // base32, for any authenticator app
}

// demoAgents are the seeded accounts: agents in two units of Paris and in
// Lyon 3e and its sub-unit, a supervisor of Lyon 3e (who therefore sees
// the sub-unit), one of Paris 5e, and one analyst and one administrator
// (who see no case).
var demoAgents = []struct {
	sn, name, unit string
	role           account.Role
}{
	{"AGT-P05", "Camille Martin", "CSP-PARIS05", account.RoleAgent},
	{"AGT-P11", "Karim Benali", "CSP-PARIS11", account.RoleAgent},
	{"AGT-L03", "Julie Moreau", "CSP-LYON03", account.RoleAgent},
	{"AGT-BPF", "Thomas Petit", "BPF-LYON03", account.RoleAgent},
	{"SUP-L03", "Nadia Lefèvre", "CSP-LYON03", account.RoleSupervisor},
	{"SUP-P05", "Marc Dubois", "CSP-PARIS05", account.RoleSupervisor},
	{"ANA-P05", "Sophie Laurent", "CSP-PARIS05", account.RoleAnalyst},
	{"DSP-L03", "Yanis Haddad", "CSP-LYON03", account.RoleDispatcher},
	{"ADM-01", "Paul Girard", "CSP-PARIS05", account.RoleAdmin},
}

// DemoTOTPSecret is the TOTP secret (base32) of a seeded service number:
// the same on every run, so browser tests can compute codes.
func DemoTOTPSecret(serviceNumber string) string {
	h := sha256.Sum256([]byte("guichet demo totp " + serviceNumber))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h[:20])
}

// SeedAgents creates the sub-unit of CSP-LYON03 (returned with units) and
// the demo accounts, fully enrolled with DemoPassword and
// DemoTOTPSecret, plus one account waiting for activation (service number
// AGT-NEW), whose activation link path is returned. units are the seeded
// units, with their IDs.
func SeedAgents(ctx context.Context, w Writer, ids *uuid7.Generator, svc *account.Service, units []station.Unit) ([]station.Unit, []AgentLogin, string, error) {
	byCode := make(map[string]station.Unit, len(units)+1)
	for _, u := range units {
		byCode[u.Code] = u
	}
	parent, ok := byCode["CSP-LYON03"]
	if !ok {
		return nil, nil, "", fmt.Errorf("seed agents: unit CSP-LYON03 missing")
	}
	sub := SubUnit
	sub.ID, sub.ParentID = ids.New(), parent.ID
	if err := w.CreateUnit(ctx, sub); err != nil {
		return nil, nil, "", fmt.Errorf("seed unit %s: %w", sub.Code, err)
	}
	byCode[sub.Code] = sub
	units = append(units, sub)

	hash, err := svc.HashPassword(DemoPassword)
	if err != nil {
		return nil, nil, "", err
	}
	out := make([]AgentLogin, len(demoAgents))
	errs := make([]error, len(demoAgents))
	var wg sync.WaitGroup
	for i, d := range demoAgents {
		wg.Go(func() {
			u, ok := byCode[d.unit]
			if !ok {
				errs[i] = fmt.Errorf("seed agent %s: unit %s missing", d.sn, d.unit)
				return
			}
			secret := DemoTOTPSecret(d.sn)
			a, err := svc.Seed(ctx, account.Seeded{
				NewAgent: account.NewAgent{ServiceNumber: d.sn, Name: d.name, UnitID: u.ID, Role: d.role},
				Password: DemoPassword, PasswordHash: hash, TOTPSecret: secret,
			})
			if err != nil {
				errs[i] = fmt.Errorf("seed agent %s: %w", d.sn, err)
				return
			}
			out[i] = AgentLogin{ServiceNumber: d.sn, Name: d.name, Role: d.role, UnitCode: d.unit,
				Pseudonym: a.Pseudonym, Password: DemoPassword, TOTPSecret: secret}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, "", err
		}
	}
	_, token, err := svc.CreateAgent(ctx, account.NewAgent{ServiceNumber: "AGT-NEW", Name: "Léa Roux", UnitID: parent.ID, Role: account.RoleAgent})
	if err != nil {
		return nil, nil, "", fmt.Errorf("seed agent AGT-NEW: %w", err)
	}
	return units, out, account.EnrolmentPath(token), nil
}
