package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/casefile"
)

// AccountStore is a store that also keeps agents' accounts.
type AccountStore interface {
	Store
	account.Store
}

// RunAccounts runs the contract suite of account.Store: agents and their
// uniqueness, activation links used once, TOTP steps and recovery codes
// accepted once (also under concurrency), failure counting, sessions, and
// the wipes of disable and reset, the purge of expired sessions and links.
// open is as for Run.
func RunAccounts(t *testing.T, open func(t *testing.T) AccountStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *acctFixture)
	}{
		{"Agents", testAgents},
		{"Failures", testAgentFailures},
		{"TOTPStepOnce", testTOTPStep},
		{"Enrolment", testEnrolment},
		{"RecoveryCodes", testRecoveryCodes},
		{"Sessions", testSessions},
		{"DeleteExpired", testDeleteExpired},
		{"DisableAndReset", testDisableReset},
		{"Passkeys", testPasskeys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			tt.fn(t, &acctFixture{fixture: newFixture(t, s), s: s})
		})
	}
}

type acctFixture struct {
	*fixture
	s AccountStore
	n int
}

func (f *acctFixture) sealed(tag string) casefile.Sealed {
	return casefile.Sealed{WrappedKey: []byte("key-" + tag), Ciphertext: []byte("secret-" + tag)}
}

// newAgent stores an agent (with an activation link) and returns both.
func (f *acctFixture) newAgent(role account.Role) (account.Agent, account.Enrolment) {
	f.t.Helper()
	f.n++
	a := account.Agent{
		ID: f.ids.New(), ServiceNumber: fmt.Sprintf("SN%04d", f.n), Pseudonym: fmt.Sprintf("P%03d", f.n),
		Name: "Agent " + fmt.Sprint(f.n), UnitID: f.defaultUnit().ID, Role: role, CreatedAt: f.now,
	}
	e := account.Enrolment{TokenHash: fmt.Sprintf("tok-%d", f.n), AgentID: a.ID, ExpiresAt: f.now.Add(72 * time.Hour)}
	ok(f.t, f.s.CreateAgent(f.ctx(), a, e))
	return a, e
}

func (f *acctFixture) session(agentID, id string, stage account.Stage) account.Session {
	f.t.Helper()
	sess := account.Session{ID: id, AgentID: agentID, Stage: stage, CreatedAt: f.now, LastSeen: f.now}
	ok(f.t, f.s.CreateSession(f.ctx(), sess))
	return sess
}

func testAgents(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleSupervisor)
	got, err := f.s.Agent(ctx, a.ID)
	ok(t, err)
	same(t, "agent", got, a)
	got, err = f.s.AgentByServiceNumber(ctx, a.ServiceNumber)
	ok(t, err)
	same(t, "agent by service number", got.ID, a.ID)
	if got.Enrolled() {
		t.Error("a new agent is enrolled")
	}

	dup := a
	dup.ID = f.ids.New()
	dup.Pseudonym = "OTHER"
	is(t, f.s.CreateAgent(ctx, dup, account.Enrolment{TokenHash: "x1", AgentID: dup.ID, ExpiresAt: f.now}), guichet.ErrConflict)
	dup.ServiceNumber, dup.Pseudonym = "SN-OTHER", a.Pseudonym
	is(t, f.s.CreateAgent(ctx, dup, account.Enrolment{TokenHash: "x2", AgentID: dup.ID, ExpiresAt: f.now}), guichet.ErrConflict)
	dup.Pseudonym, dup.UnitID = "OTHER", f.ids.New()
	is(t, f.s.CreateAgent(ctx, dup, account.Enrolment{TokenHash: "x3", AgentID: dup.ID, ExpiresAt: f.now}), guichet.ErrNotFound)
	// Nothing of the refused creations remains.
	_, err = f.s.AgentByServiceNumber(ctx, "SN-OTHER")
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.Enrolment(ctx, "x3")
	is(t, err, guichet.ErrNotFound)

	b, _ := f.newAgent(account.RoleAgent)
	list, err := f.s.ListAgents(ctx)
	ok(t, err)
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Errorf("ListAgents = %v, want [%s %s]", list, a.ServiceNumber, b.ServiceNumber)
	}
	_, err = f.s.Agent(ctx, f.ids.New())
	is(t, err, guichet.ErrNotFound)
	_, err = f.s.AgentByServiceNumber(ctx, "nobody")
	is(t, err, guichet.ErrNotFound)
	ok(t, f.s.SetPassword(ctx, a.ID, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw"))
	got, _ = f.s.Agent(ctx, a.ID)
	same(t, "password hash", got.PasswordHash, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	is(t, f.s.SetPassword(ctx, f.ids.New(), "x"), guichet.ErrNotFound)
}

func testAgentFailures(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleAgent)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := f.s.RecordFailure(ctx, a.ID); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	n, err := f.s.RecordFailure(ctx, a.ID)
	ok(t, err)
	same(t, "failures after 21 concurrent and sequential records", n, 21)
	until := f.now.Add(time.Minute)
	ok(t, f.s.LockAgent(ctx, a.ID, until))
	got, _ := f.s.Agent(ctx, a.ID)
	same(t, "locked until", got.LockedUntil, until)
	same(t, "failures", got.Failures, 21)
	ok(t, f.s.ClearFailures(ctx, a.ID))
	got, _ = f.s.Agent(ctx, a.ID)
	if got.Failures != 0 || !got.LockedUntil.IsZero() {
		t.Errorf("after ClearFailures: failures %d, locked until %v", got.Failures, got.LockedUntil)
	}
	_, err = f.s.RecordFailure(ctx, f.ids.New())
	is(t, err, guichet.ErrNotFound)
}

func testTOTPStep(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleAgent)
	ok(t, f.s.UseTOTPStep(ctx, a.ID, 1000))
	is(t, f.s.UseTOTPStep(ctx, a.ID, 1000), guichet.ErrConflict)
	is(t, f.s.UseTOTPStep(ctx, a.ID, 999), guichet.ErrConflict)
	ok(t, f.s.UseTOTPStep(ctx, a.ID, 1001))
	got, _ := f.s.Agent(ctx, a.ID)
	same(t, "totp step", got.TOTPStep, int64(1001))

	// The same code sent twice at once is accepted once.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			switch err := f.s.UseTOTPStep(ctx, a.ID, 1002); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, guichet.ErrConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	same(t, "concurrent uses of one step accepted", wins.Load(), int32(1))
}

func testEnrolment(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, e := f.newAgent(account.RoleAgent)
	got, err := f.s.Enrolment(ctx, e.TokenHash)
	ok(t, err)
	same(t, "enrolment", got, e)
	e.TOTP = f.sealed("pending")
	ok(t, f.s.SetEnrolmentTOTP(ctx, e.TokenHash, e.TOTP))
	got, _ = f.s.Enrolment(ctx, e.TokenHash)
	same(t, "enrolment TOTP", got.TOTP, e.TOTP)
	is(t, f.s.SetEnrolmentTOTP(ctx, "unknown", e.TOTP), guichet.ErrNotFound)

	sess := account.Session{ID: "s-enrol", AgentID: a.ID, Stage: account.StageFull, CreatedAt: f.now, LastSeen: f.now}
	ok(t, f.s.CompleteEnrolment(ctx, e.TokenHash, e.TOTP, 77, []string{"h1", "h2", "h3"}, sess))
	ag, _ := f.s.Agent(ctx, a.ID)
	same(t, "agent TOTP", ag.TOTP, e.TOTP)
	same(t, "agent TOTP step", ag.TOTPStep, int64(77))
	n, err := f.s.RecoveryCodesLeft(ctx, a.ID)
	ok(t, err)
	same(t, "recovery codes", n, 3)
	gs, err := f.s.Session(ctx, sess.ID)
	ok(t, err)
	same(t, "session", gs, sess)
	_, err = f.s.Enrolment(ctx, e.TokenHash)
	is(t, err, guichet.ErrNotFound)

	// A link works once: completing again fails and writes nothing.
	sess2 := sess
	sess2.ID = "s-enrol-2"
	is(t, f.s.CompleteEnrolment(ctx, e.TokenHash, f.sealed("other"), 99, []string{"h9"}, sess2), guichet.ErrNotFound)
	_, err = f.s.Session(ctx, sess2.ID)
	is(t, err, guichet.ErrNotFound)
	ag, _ = f.s.Agent(ctx, a.ID)
	same(t, "agent TOTP after a second completion", ag.TOTP, e.TOTP)
}

func testRecoveryCodes(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleAgent)
	b, _ := f.newAgent(account.RoleAgent)
	ok(t, f.s.SetRecoveryCodes(ctx, a.ID, []string{"h1", "h2"}))
	ok(t, f.s.SetRecoveryCodes(ctx, b.ID, []string{"h1"}))
	ok(t, f.s.UseRecoveryCode(ctx, a.ID, "h1", f.now))
	is(t, f.s.UseRecoveryCode(ctx, a.ID, "h1", f.now), guichet.ErrNotFound)
	is(t, f.s.UseRecoveryCode(ctx, a.ID, "nope", f.now), guichet.ErrNotFound)
	n, _ := f.s.RecoveryCodesLeft(ctx, a.ID)
	same(t, "codes left", n, 1)
	n, _ = f.s.RecoveryCodesLeft(ctx, b.ID)
	same(t, "other agent's codes left", n, 1)

	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if f.s.UseRecoveryCode(ctx, a.ID, "h2", f.now) == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	same(t, "concurrent uses of one code accepted", wins.Load(), int32(1))

	ok(t, f.s.SetRecoveryCodes(ctx, a.ID, []string{"h3", "h4", "h5"}))
	n, _ = f.s.RecoveryCodesLeft(ctx, a.ID)
	same(t, "codes left after replacement", n, 3)
}

func testSessions(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleAgent)
	s1 := f.session(a.ID, "s1", account.StagePassword)
	is(t, f.s.CreateSession(ctx, s1), guichet.ErrConflict)
	later := f.now.Add(90 * time.Second)
	ok(t, f.s.TouchSession(ctx, s1.ID, later))
	ok(t, f.s.SetSessionChallenge(ctx, s1.ID, []byte(`{"challenge":"x"}`)))
	got, err := f.s.Session(ctx, s1.ID)
	ok(t, err)
	same(t, "last seen", got.LastSeen, later)
	same(t, "challenge", string(got.Challenge), `{"challenge":"x"}`)
	ok(t, f.s.SetSessionChallenge(ctx, s1.ID, nil))
	got, _ = f.s.Session(ctx, s1.ID)
	if len(got.Challenge) != 0 {
		t.Errorf("challenge not cleared: %q", got.Challenge)
	}

	s2 := account.Session{ID: "s2", AgentID: a.ID, Stage: account.StageFull, CreatedAt: later, LastSeen: later}
	ok(t, f.s.ReplaceSession(ctx, s1.ID, s2))
	_, err = f.s.Session(ctx, s1.ID)
	is(t, err, guichet.ErrNotFound)
	got, _ = f.s.Session(ctx, s2.ID)
	same(t, "replacing session", got, s2)
	s3 := s2
	s3.ID = "s3"
	is(t, f.s.ReplaceSession(ctx, s1.ID, s3), guichet.ErrNotFound)
	_, err = f.s.Session(ctx, s3.ID)
	is(t, err, guichet.ErrNotFound)
	is(t, f.s.TouchSession(ctx, "gone", later), guichet.ErrNotFound)

	f.session(a.ID, "s4", account.StageFull)
	b, _ := f.newAgent(account.RoleAgent)
	f.session(b.ID, "s5", account.StageFull)
	ok(t, f.s.DeleteSession(ctx, "s4"))
	ok(t, f.s.DeleteSession(ctx, "s4"))
	f.session(a.ID, "s6", account.StageFull)
	list, err := f.s.AgentSessions(ctx, a.ID)
	ok(t, err)
	same(t, "agent sessions by creation", list, []account.Session{{ID: "s6", AgentID: a.ID, Stage: account.StageFull, CreatedAt: f.now, LastSeen: f.now}, s2})
	list, err = f.s.AgentSessions(ctx, "nobody")
	ok(t, err)
	if list == nil || len(list) != 0 {
		t.Errorf("sessions of an unknown agent = %#v, want empty, not nil", list)
	}
	n, err := f.s.DeleteAgentSessions(ctx, a.ID)
	ok(t, err)
	same(t, "sessions ended", n, 2)
	_, err = f.s.Session(ctx, "s5")
	ok(t, err) // another agent's session lives on
}

func testDeleteExpired(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, live := f.newAgent(account.RoleAgent)
	b, _ := f.newAgent(account.RoleAgent)
	now := f.now
	at := func(id string, stage account.Stage, created, seen time.Duration) {
		ok(t, f.s.CreateSession(ctx, account.Session{ID: id, AgentID: a.ID, Stage: stage, CreatedAt: now.Add(created), LastSeen: now.Add(seen)}))
	}
	x := account.Expiry{
		IdleBefore:    now.Add(-30 * time.Minute),
		StartedBefore: now.Add(-10 * time.Hour),
		PreAuthBefore: now.Add(-5 * time.Minute),
		LinksAt:       now,
	}
	at("full-live", account.StageFull, -9*time.Hour, -29*time.Minute)
	at("full-edge", account.StageFull, -10*time.Hour, -30*time.Minute) // at the deadlines: not past
	at("full-idle", account.StageFull, -time.Hour, -31*time.Minute)
	at("full-old", account.StageFull, -10*time.Hour-time.Second, -time.Minute) // used, but too old
	at("pre-live", account.StagePassword, -4*time.Minute, -4*time.Minute)
	at("pre-old", account.StagePassword, -6*time.Minute, -time.Minute)
	at("pre-stale", account.StagePassword, -5*time.Minute-time.Second, -5*time.Minute-time.Second)
	// pre-stale was seen 5 min 1 s ago: well within the signed-in idle
	// limit, but past the (shorter) one of a password-stage session.
	// Another agent's fresh session:
	ok(t, f.s.CreateSession(ctx, account.Session{ID: "b-live", AgentID: b.ID, Stage: account.StageFull, CreatedAt: now, LastSeen: now}))

	// Links: a's is live (72 h); c's expires exactly now, d's expired.
	c, _ := f.newAgent(account.RoleAgent)
	d, _ := f.newAgent(account.RoleAgent)
	ok(t, f.s.ResetAgent(ctx, c.ID, account.Enrolment{TokenHash: "tok-now", AgentID: c.ID, ExpiresAt: now}))
	ok(t, f.s.ResetAgent(ctx, d.ID, account.Enrolment{TokenHash: "tok-old", AgentID: d.ID, ExpiresAt: now.Add(-time.Hour)}))

	p, err := f.s.DeleteExpired(ctx, x)
	ok(t, err)
	same(t, "purged", p, account.Purged{Sessions: 4, Enrolments: 2})
	for _, id := range []string{"full-live", "full-edge", "pre-live", "b-live"} {
		_, err := f.s.Session(ctx, id)
		ok(t, err)
	}
	for _, id := range []string{"full-idle", "full-old", "pre-old", "pre-stale"} {
		_, err := f.s.Session(ctx, id)
		is(t, err, guichet.ErrNotFound)
	}
	_, err = f.s.Enrolment(ctx, live.TokenHash)
	ok(t, err)
	for _, h := range []string{"tok-now", "tok-old"} {
		_, err := f.s.Enrolment(ctx, h)
		is(t, err, guichet.ErrNotFound)
	}
	// The agents themselves are untouched.
	for _, id := range []string{a.ID, b.ID, c.ID, d.ID} {
		_, err := f.s.Agent(ctx, id)
		ok(t, err)
	}

	p, err = f.s.DeleteExpired(ctx, x)
	ok(t, err)
	same(t, "second purge", p, account.Purged{})
	// A zero Expiry removes nothing.
	p, err = f.s.DeleteExpired(ctx, account.Expiry{})
	ok(t, err)
	same(t, "zero expiry", p, account.Purged{})
}

func testDisableReset(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, e := f.newAgent(account.RoleAgent)
	ok(t, f.s.SetPassword(ctx, a.ID, "hash"))
	ok(t, f.s.CompleteEnrolment(ctx, e.TokenHash, f.sealed("t"), 5, []string{"h1"}, account.Session{ID: "s1", AgentID: a.ID, Stage: account.StageFull, CreatedAt: f.now, LastSeen: f.now}))
	ok(t, f.s.AddPasskey(ctx, account.Passkey{ID: []byte{1, 2, 3}, AgentID: a.ID, Name: "clé", Data: []byte("{}"), CreatedAt: f.now}))
	_, _ = f.s.RecordFailure(ctx, a.ID)

	ok(t, f.s.SetAgentDisabled(ctx, a.ID, true))
	got, _ := f.s.Agent(ctx, a.ID)
	if !got.Disabled {
		t.Error("agent not disabled")
	}
	_, err := f.s.Session(ctx, "s1")
	is(t, err, guichet.ErrNotFound)
	ok(t, f.s.SetAgentDisabled(ctx, a.ID, false))
	is(t, f.s.SetAgentDisabled(ctx, f.ids.New(), true), guichet.ErrNotFound)

	f.session(a.ID, "s2", account.StageFull)
	e2 := account.Enrolment{TokenHash: "tok-reset", AgentID: a.ID, ExpiresAt: f.now.Add(time.Hour)}
	ok(t, f.s.ResetAgent(ctx, a.ID, e2))
	got, _ = f.s.Agent(ctx, a.ID)
	if got.PasswordHash != "" || len(got.TOTP.Ciphertext) != 0 || got.TOTPStep != 0 || got.Failures != 0 || got.Enrolled() {
		t.Errorf("after reset: %+v", got)
	}
	_, err = f.s.Session(ctx, "s2")
	is(t, err, guichet.ErrNotFound)
	pks, _ := f.s.Passkeys(ctx, a.ID)
	same(t, "passkeys after reset", len(pks), 0)
	n, _ := f.s.RecoveryCodesLeft(ctx, a.ID)
	same(t, "recovery codes after reset", n, 0)
	ge, err := f.s.Enrolment(ctx, e2.TokenHash)
	ok(t, err)
	same(t, "new enrolment", ge, e2)
	is(t, f.s.ResetAgent(ctx, f.ids.New(), account.Enrolment{TokenHash: "t3", AgentID: a.ID, ExpiresAt: f.now}), guichet.ErrNotFound)
}

func testPasskeys(t *testing.T, f *acctFixture) {
	ctx := t.Context()
	a, _ := f.newAgent(account.RoleAgent)
	p1 := account.Passkey{ID: []byte{1}, AgentID: a.ID, Name: "Téléphone", Data: []byte(`{"n":1}`), CreatedAt: f.now}
	p2 := account.Passkey{ID: []byte{2}, AgentID: a.ID, Name: "Clé USB", Data: []byte(`{"n":2}`), CreatedAt: f.now.Add(time.Second)}
	ok(t, f.s.AddPasskey(ctx, p1))
	ok(t, f.s.AddPasskey(ctx, p2))
	is(t, f.s.AddPasskey(ctx, p1), guichet.ErrConflict)
	list, err := f.s.Passkeys(ctx, a.ID)
	ok(t, err)
	same(t, "passkeys", list, []account.Passkey{p1, p2})
	used := f.now.Add(time.Hour)
	ok(t, f.s.UpdatePasskey(ctx, a.ID, p1.ID, []byte(`{"n":3}`), used))
	list, _ = f.s.Passkeys(ctx, a.ID)
	if !bytes.Equal(list[0].Data, []byte(`{"n":3}`)) || !list[0].LastUsed.Equal(used) {
		t.Errorf("after update: %+v", list[0])
	}
	b, _ := f.newAgent(account.RoleAgent)
	is(t, f.s.DeletePasskey(ctx, b.ID, p1.ID), guichet.ErrNotFound) // not theirs
	is(t, f.s.UpdatePasskey(ctx, b.ID, p1.ID, nil, used), guichet.ErrNotFound)
	ok(t, f.s.DeletePasskey(ctx, a.ID, p1.ID))
	list, _ = f.s.Passkeys(ctx, a.ID)
	same(t, "passkeys after delete", len(list), 1)
	list, _ = f.s.Passkeys(ctx, b.ID)
	if list == nil || len(list) != 0 {
		t.Errorf("Passkeys of an agent without any = %#v, want empty non-nil", list)
	}
}
