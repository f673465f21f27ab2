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
	Phone: "04 78 78 40 40", Hours: station.Hours{Notes: []station.Note{station.NoteSummoned}},
}

// AgentLogin is a seeded account as printed for testers.
type AgentLogin struct {
	ID            string
	ServiceNumber string
	Name          string
	Role          account.Role
	UnitCode      string
	Pseudonym     string
	Password      string
	TOTPSecret    string // base32, for any authenticator app
	// Colleague marks the accounts seeded only so that every unit has
	// someone to work its cases; the demo does not print them.
	Colleague bool
}

// demoAgents are the seeded accounts: agents in two units of Paris and in
// Lyon 3e and its sub-unit, a supervisor of Lyon 3e (who therefore sees
// the sub-unit), one of Paris 5e, and one analyst and one administrator
// (who see no case).
var demoAgents = []seedAgent{
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

type seedAgent struct {
	sn, name, unit string
	role           account.Role
}

// colleagues are the agents who work the cases of the units taking
// appointments besides the demo accounts: two per unit, one where a demo
// agent already works. Their names come from the month's tables.
func colleagues(units []station.Unit) []seedAgent {
	staffed := map[string]int{}
	for _, d := range demoAgents {
		if d.role == account.RoleAgent || d.role == account.RoleSupervisor {
			staffed[d.unit]++
		}
	}
	var out []seedAgent
	k := 0
	for _, u := range units {
		if !u.AcceptsAppointments {
			continue
		}
		n := 2
		if staffed[u.Code] > 0 {
			n = 1
		}
		for i := range n {
			first := menNames[(7*k+3)%len(menNames)]
			if k%2 == 0 {
				first = womenNames[(5*k+1)%len(womenNames)]
			}
			name := first + " " + surnames[(11*k+5)%len(surnames)]
			out = append(out, seedAgent{sn: fmt.Sprintf("%s-A%d", u.Code, i+1), name: name, unit: u.Code, role: account.RoleAgent})
			k++
		}
	}
	return out
}

// Staff returns the handlers of each unit's cases (agents and
// supervisors), by unit ID, from the seeded logins.
func Staff(units []station.Unit, logins []AgentLogin) map[string][]Handler {
	ids := map[string]string{}
	for _, u := range units {
		ids[u.Code] = u.ID
	}
	out := map[string][]Handler{}
	for _, l := range logins {
		if l.Role != account.RoleAgent && l.Role != account.RoleSupervisor {
			continue
		}
		out[ids[l.UnitCode]] = append(out[ids[l.UnitCode]], Handler{ID: l.ID, Pseudonym: l.Pseudonym, ServiceNumber: l.ServiceNumber, Role: l.Role})
	}
	return out
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
// passwordHash is DemoPassword hashed by svc.HashPassword, shared by all
// the accounts: the caller may make it while it seeds something else.
func SeedAgents(ctx context.Context, w Writer, ids *uuid7.Generator, svc *account.Service, units []station.Unit, passwordHash string) ([]station.Unit, []AgentLogin, string, error) {
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

	all := append(demoAgents[:len(demoAgents):len(demoAgents)], colleagues(units)...)
	out := make([]AgentLogin, len(all))
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, d := range all {
		wg.Go(func() {
			u, ok := byCode[d.unit]
			if !ok {
				errs[i] = fmt.Errorf("seed agent %s: unit %s missing", d.sn, d.unit)
				return
			}
			secret := DemoTOTPSecret(d.sn)
			a, err := svc.Seed(ctx, account.Seeded{
				NewAgent: account.NewAgent{ServiceNumber: d.sn, Name: d.name, UnitID: u.ID, Role: d.role},
				Password: DemoPassword, PasswordHash: passwordHash, TOTPSecret: secret,
			})
			if err != nil {
				errs[i] = fmt.Errorf("seed agent %s: %w", d.sn, err)
				return
			}
			out[i] = AgentLogin{ID: a.ID, ServiceNumber: d.sn, Name: d.name, Role: d.role, UnitCode: d.unit,
				Pseudonym: a.Pseudonym, Password: DemoPassword, TOTPSecret: secret, Colleague: i >= len(demoAgents)}
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
