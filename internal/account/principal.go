// Package account owns the agents of the back-office: their accounts,
// credentials (argon2id passwords, TOTP, recovery codes, WebAuthn passkeys),
// server-side sessions, and what each agent may see (roles and unit scopes).
package account

import "slices"

// Role is what an agent does; it decides which pages and cases they reach.
type Role string

// Roles. Only agents and supervisors handle pre-complaints; analysts work on
// reports and indicators, dispatchers on silent alerts, and admins on
// configuration — never on case content.
const (
	RoleAgent      Role = "agent"
	RoleAnalyst    Role = "analyst"
	RoleDispatcher Role = "dispatcher"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Roles lists every role, in the order forms show them.
var Roles = []Role{RoleAgent, RoleAnalyst, RoleDispatcher, RoleSupervisor, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Principal is an authenticated agent as the rest of the system sees them:
// who they are, in which unit, with which role, and which units' cases they
// may open. It is built by the account service at each request from the
// server-side session; nothing in it comes from the client.
type Principal struct {
	AgentID string // UUIDv7, never shown to citizens
	// Pseudonym is the agent's stable public handle ("A7F2"), the only
	// identity of an agent a citizen ever sees.
	Pseudonym     string
	ServiceNumber string // the login name (matricule)
	Name          string
	UnitID        string
	UnitName      string // the unit's name, for page headers
	Role          Role
	// Units are the units whose cases this principal may open: their own
	// unit for agents, their unit and every sub-unit for supervisors, none
	// for the other roles.
	Units     []string
	SessionID string
}

// HandlesCases reports whether the principal's role works on citizens'
// cases (pre-complaints) at all.
func (p Principal) HandlesCases() bool {
	return p.Role == RoleAgent || p.Role == RoleSupervisor
}

// CanSeeUnit reports whether the principal may open the cases of unit id.
// It MUST be checked, server-side, before any case content is read.
func (p Principal) CanSeeUnit(id string) bool {
	return id != "" && p.HandlesCases() && slices.Contains(p.Units, id)
}
