package account_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// clock is a test clock moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cheap argon2id parameters keep the tests fast; the benchmark and the
// password tests use the real ones.
var cheap = account.Argon2{Memory: 64, Time: 1, Threads: 1}

type env struct {
	svc   *account.Service
	store *sqlite.Store
	clk   *clock
	ids   *uuid7.Generator
	units map[string]station.Unit
}

const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
const password = "correct horse battery"

func newEnv(t testing.TB) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	key := make([]byte, vault.KeySize)
	_, _ = rand.Read(key)
	v, err := vault.New(key, "t1", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)}
	ids := uuid7.New(clk.Now, nil)
	cfg := account.DefaultConfig("https://guichet.example")
	cfg.Argon2 = cheap
	cfg.RefusalFloor = 0 // TestRefusalFloor checks it
	svc, err := account.New(cfg, account.Deps{Store: st, Vault: v, Clock: clk, IDs: ids})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{svc: svc, store: st, clk: clk, ids: ids, units: map[string]station.Unit{}}
	parent := e.unit(t, "CSP-LYON03", "")
	e.unit(t, "BPF-LYON03", parent.ID)
	e.unit(t, "CSP-PARIS05", "")
	return e
}

func (e *env) unit(t testing.TB, code, parent string) station.Unit {
	u := station.Unit{ID: e.ids.New(), Code: code, Name: "Unité " + code, Kind: station.Commissariat, ParentID: parent}
	if err := e.store.CreateUnit(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	e.units[code] = u
	return u
}

// agent seeds an enrolled agent of unit with role.
func (e *env) agent(t testing.TB, sn, unit string, role account.Role) account.Agent {
	t.Helper()
	a, err := e.svc.Seed(t.Context(), account.Seeded{
		NewAgent: account.NewAgent{ServiceNumber: sn, Name: "Agent " + sn, UnitID: e.units[unit].ID, Role: role},
		Password: password, TOTPSecret: secret, Recovery: []string{"AAAAA-BBBBB", "CCCCC-DDDDD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (e *env) code(t testing.TB) string {
	c, err := account.TOTPCode(secret, e.clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signIn goes through password and TOTP and returns the session token.
func (e *env) signIn(t testing.TB, sn string) string {
	t.Helper()
	pre, err := e.svc.Login(t.Context(), sn, password)
	if err != nil {
		t.Fatal(err)
	}
	full, err := e.svc.VerifyCode(t.Context(), pre, e.code(t))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Add(30 * time.Second) // the next sign-in needs a fresh code
	return full
}

func isKind(t testing.TB, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("got %v, want an error wrapping %v", err, kind)
	}
}

func TestSessionFixation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	pre, err := e.svc.Login(ctx, "AGT-1", password)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, pre)
	isKind(t, err, guichet.ErrUnauthenticated) // password alone is not signed in
	full, err := e.svc.VerifyCode(ctx, pre, e.code(t))
	if err != nil {
		t.Fatal(err)
	}
	if full == pre {
		t.Fatal("the token did not change at sign-in")
	}
	if _, err := e.svc.Authenticate(ctx, full); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, pre)
	isKind(t, err, guichet.ErrUnauthenticated)
	_, err = e.svc.PreAuth(ctx, pre)
	isKind(t, err, guichet.ErrUnauthenticated) // the pre-login token is dead
}

func TestBruteForceLockout(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	for i := range 5 {
		_, err := e.svc.Login(ctx, "AGT-1", "wrong password!!")
		if !errors.Is(err, account.ErrSignInRefused) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	// Locked: even the right password is refused, with the same error as
	// an unknown login.
	_, errLocked := e.svc.Login(ctx, "AGT-1", password)
	_, errUnknown := e.svc.Login(ctx, "NOBODY", password)
	if errLocked != errUnknown || !errors.Is(errLocked, guichet.ErrUnauthenticated) {
		t.Fatalf("locked: %v, unknown: %v: want the same error", errLocked, errUnknown)
	}
	e.clk.Add(61 * time.Second)
	if _, err := e.svc.Login(ctx, "AGT-1", password); err != nil {
		t.Fatalf("after the 1-minute lock: %v", err)
	}
	// One more failure doubles the lock (2 minutes).
	_, _ = e.svc.Login(ctx, "AGT-1", "wrong password!!")
	e.clk.Add(61 * time.Second)
	_, err := e.svc.Login(ctx, "AGT-1", password)
	isKind(t, err, guichet.ErrUnauthenticated)
	e.clk.Add(60 * time.Second)
	pre, err := e.svc.Login(ctx, "AGT-1", password)
	if err != nil {
		t.Fatal(err)
	}
	// A success clears the count.
	if _, err := e.svc.VerifyCode(ctx, pre, e.code(t)); err != nil {
		t.Fatal(err)
	}
	a, _ := e.store.AgentByServiceNumber(ctx, "AGT-1")
	if a.Failures != 0 || !a.LockedUntil.IsZero() {
		t.Errorf("after sign-in: failures %d, locked until %v", a.Failures, a.LockedUntil)
	}
}

func TestWrongCodesLock(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	pre, _ := e.svc.Login(ctx, "AGT-1", password)
	var err error
	for range 4 {
		_, err = e.svc.VerifyCode(ctx, pre, "000000")
		var v *guichet.ValidationError
		if !errors.As(err, &v) {
			t.Fatalf("wrong code: %v", err)
		}
	}
	_, err = e.svc.VerifyCode(ctx, pre, "000001")
	isKind(t, err, account.ErrSignInRefused) // fifth failure: locked, session ended
	_, err = e.svc.VerifyCode(ctx, pre, e.code(t))
	isKind(t, err, guichet.ErrUnauthenticated)
}

func TestTOTPReplayRefused(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	code := e.code(t)
	pre, _ := e.svc.Login(ctx, "AGT-1", password)
	if _, err := e.svc.VerifyCode(ctx, pre, code); err != nil {
		t.Fatal(err)
	}
	pre2, _ := e.svc.Login(ctx, "AGT-1", password)
	_, err := e.svc.VerifyCode(ctx, pre2, code)
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("replayed code: %v, want refused", err)
	}
	// Skew: the previous step's code is accepted once, if not used.
	e.clk.Add(30 * time.Second)
	prev, _ := account.TOTPCode(secret, e.clk.Now().Add(-30*time.Second))
	_, err = e.svc.VerifyCode(ctx, pre2, prev)
	if !errors.As(err, &v) {
		t.Fatalf("previous step's code after it was used: %v", err)
	}
	if _, err := e.svc.VerifyCode(ctx, pre2, e.code(t)); err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryCodeSingleUse(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	pre, _ := e.svc.Login(ctx, "AGT-1", password)
	if _, err := e.svc.VerifyCode(ctx, pre, "aaaaa bbbbb"); err != nil {
		t.Fatalf("recovery code typed loosely: %v", err)
	}
	pre, _ = e.svc.Login(ctx, "AGT-1", password)
	_, err := e.svc.VerifyCode(ctx, pre, "AAAAA-BBBBB")
	var v *guichet.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("recovery code used twice: %v", err)
	}
}

func TestTimeouts(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	tok := e.signIn(t, "AGT-1")
	e.clk.Add(29 * time.Minute)
	if _, err := e.svc.Authenticate(ctx, tok); err != nil {
		t.Fatalf("after 29 idle minutes: %v", err)
	}
	e.clk.Add(31 * time.Minute)
	_, err := e.svc.Authenticate(ctx, tok)
	isKind(t, err, guichet.ErrUnauthenticated)

	// Absolute: active every 20 minutes, the session still ends at 10 h.
	tok = e.signIn(t, "AGT-1")
	for range 29 {
		e.clk.Add(20 * time.Minute)
		if _, err := e.svc.Authenticate(ctx, tok); err != nil {
			t.Fatalf("active session refused before 10 h: %v", err)
		}
	}
	e.clk.Add(21 * time.Minute)
	_, err = e.svc.Authenticate(ctx, tok)
	isKind(t, err, guichet.ErrUnauthenticated)
}

func TestLogoutEverywhereDisableReset(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	t1, t2 := e.signIn(t, "AGT-1"), e.signIn(t, "AGT-1")
	p, err := e.svc.Authenticate(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.LogoutEverywhere(ctx, p); err != nil || n != 2 {
		t.Fatalf("LogoutEverywhere = %d, %v", n, err)
	}
	for _, tok := range []string{t1, t2} {
		_, err := e.svc.Authenticate(ctx, tok)
		isKind(t, err, guichet.ErrUnauthenticated)
	}

	t3 := e.signIn(t, "AGT-1")
	if err := e.svc.SetDisabled(ctx, "AGT-1", true); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, t3)
	isKind(t, err, guichet.ErrUnauthenticated)
	_, err = e.svc.Login(ctx, "AGT-1", password)
	isKind(t, err, account.ErrSignInRefused)
	if err := e.svc.SetDisabled(ctx, "AGT-1", false); err != nil {
		t.Fatal(err)
	}

	t4 := e.signIn(t, "AGT-1")
	link, err := e.svc.ResetAgent(ctx, "AGT-1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Authenticate(ctx, t4)
	isKind(t, err, guichet.ErrUnauthenticated)
	_, err = e.svc.Login(ctx, "AGT-1", password)
	isKind(t, err, account.ErrSignInRefused) // factors wiped
	v, err := e.svc.Enrolment(ctx, link)
	if err != nil || !v.NeedPassword {
		t.Fatalf("new link: %+v, %v", v, err)
	}
}

func TestEnrolment(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	a, link, err := e.svc.CreateAgent(ctx, account.NewAgent{ServiceNumber: "AGT-9", Name: "Léa", UnitID: e.units["CSP-PARIS05"].ID, Role: account.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(a.Pseudonym); n < 4 || n > 6 {
		t.Errorf("pseudonym %q", a.Pseudonym)
	}
	var v *guichet.ValidationError
	if err := e.svc.EnrolPassword(ctx, link, "short", "short"); !errors.As(err, &v) || v.Fields[0].Key != "agent.err.password_short" {
		t.Errorf("short password: %v", err)
	}
	if err := e.svc.EnrolPassword(ctx, link, "my login is agt-9 ok", "my login is agt-9 ok"); !errors.As(err, &v) || v.Fields[0].Key != "agent.err.password_login" {
		t.Errorf("password holding the login: %v", err)
	}
	if err := e.svc.EnrolPassword(ctx, link, password, password+"x"); !errors.As(err, &v) || v.Fields[0].Field != "password_confirm" {
		t.Errorf("mismatch: %v", err)
	}
	if err := e.svc.EnrolPassword(ctx, link, password, password); err != nil {
		t.Fatal(err)
	}
	// Not enrolled until the code is confirmed.
	_, err = e.svc.Login(ctx, "AGT-9", password)
	isKind(t, err, account.ErrSignInRefused)
	view, err := e.svc.Enrolment(ctx, link)
	if err != nil || view.NeedPassword || view.Secret == "" {
		t.Fatalf("view: %+v %v", view, err)
	}
	row, _ := e.store.AgentByServiceNumber(ctx, "AGT-9")
	if len(row.TOTP.Ciphertext) != 0 {
		t.Error("secret given to the agent before confirmation")
	}
	code, _ := account.TOTPCode(view.Secret, e.clk.Now())
	codes, tok, err := e.svc.EnrolTOTP(ctx, link, code)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != account.RecoveryCodes {
		t.Errorf("%d recovery codes", len(codes))
	}
	if _, err := e.svc.Authenticate(ctx, tok); err != nil {
		t.Fatal(err)
	}
	row, _ = e.store.AgentByServiceNumber(ctx, "AGT-9")
	if string(row.TOTP.Ciphertext) == view.Secret || len(row.TOTP.Ciphertext) == 0 {
		t.Error("TOTP secret not sealed")
	}
	_, err = e.svc.Enrolment(ctx, link)
	isKind(t, err, guichet.ErrNotFound) // the link works once

	// Expired links.
	_, link2, _ := e.svc.CreateAgent(ctx, account.NewAgent{ServiceNumber: "AGT-10", Name: "Noé", UnitID: e.units["CSP-PARIS05"].ID, Role: account.RoleAgent})
	e.clk.Add(72*time.Hour + time.Second)
	_, err = e.svc.Enrolment(ctx, link2)
	isKind(t, err, guichet.ErrNotFound)
}

func TestScopes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, a := range []struct {
		sn, unit string
		role     account.Role
		want     []string
	}{
		{"AGT", "CSP-LYON03", account.RoleAgent, []string{"CSP-LYON03"}},
		{"SUP", "CSP-LYON03", account.RoleSupervisor, []string{"CSP-LYON03", "BPF-LYON03"}},
		{"SUB", "BPF-LYON03", account.RoleSupervisor, []string{"BPF-LYON03"}},
		{"ANA", "CSP-LYON03", account.RoleAnalyst, nil},
		{"ADM", "CSP-LYON03", account.RoleAdmin, nil},
	} {
		e.agent(t, a.sn, a.unit, a.role)
		p, err := e.svc.Authenticate(ctx, e.signIn(t, a.sn))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, id := range p.Units {
			for code, u := range e.units {
				if u.ID == id {
					got = append(got, code)
				}
			}
		}
		if len(got) != len(a.want) {
			t.Errorf("%s: units %v, want %v", a.sn, got, a.want)
			continue
		}
		for i := range got {
			if got[i] != a.want[i] {
				t.Errorf("%s: units %v, want %v", a.sn, got, a.want)
			}
		}
		if p.CanSeeUnit(e.units["CSP-PARIS05"].ID) {
			t.Errorf("%s sees another unit", a.sn)
		}
		if p.UnitName == "" || p.Pseudonym == "" || p.SessionID == "" {
			t.Errorf("%s: principal %+v", a.sn, p)
		}
	}
}

func TestPasswordHashing(t *testing.T) {
	// The real parameters, and an upgrade at login of an outdated hash.
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent) // hashed with cheap parameters
	key := make([]byte, vault.KeySize)
	v, _ := vault.New(key, "t1", nil)
	cfg := account.DefaultConfig("https://guichet.example")
	svc, err := account.New(cfg, account.Deps{Store: e.store, Vault: v, Clock: e.clk, IDs: e.ids})
	if err != nil {
		t.Fatal(err)
	}
	// The seeded secret was sealed by another vault: only the password
	// step runs here.
	if _, err := svc.Login(ctx, "AGT-1", password); err != nil {
		t.Fatal(err)
	}
	a, _ := e.store.AgentByServiceNumber(ctx, "AGT-1")
	want := "$argon2id$v=19$m=65536,t=3,p=2$"
	if len(a.PasswordHash) < len(want) || a.PasswordHash[:len(want)] != want {
		t.Errorf("hash not upgraded: %s", a.PasswordHash)
	}
	if _, err := svc.Login(ctx, "AGT-1", password); err != nil {
		t.Fatalf("after upgrade: %v", err)
	}
}

// BenchmarkLoginHash measures one argon2id verification with the
// production parameters (the cost of every sign-in attempt).
func BenchmarkLoginHash(b *testing.B) {
	e := newEnv(b)
	key := make([]byte, vault.KeySize)
	v, _ := vault.New(key, "t1", nil)
	svc, err := account.New(account.DefaultConfig("https://guichet.example"), account.Deps{Store: e.store, Vault: v, Clock: e.clk, IDs: e.ids})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := svc.Login(context.Background(), "UNKNOWN", password); !errors.Is(err, account.ErrSignInRefused) {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginFull measures a whole sign-in on SQLite with the
// production parameters: password, TOTP code, new session.
func BenchmarkLoginFull(b *testing.B) {
	e := newEnv(b)
	key := make([]byte, vault.KeySize)
	v, _ := vault.New(key, "t1", nil)
	svc, err := account.New(account.DefaultConfig("https://guichet.example"), account.Deps{Store: e.store, Vault: v, Clock: e.clk, IDs: e.ids})
	if err != nil {
		b.Fatal(err)
	}
	e.svc = svc
	e.agent(b, "AGT-1", "CSP-LYON03", account.RoleAgent)
	for b.Loop() {
		e.signIn(b, "AGT-1")
	}
}

func TestActiveSessionsAndPurge(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	e.agent(t, "AGT-2", "CSP-LYON03", account.RoleAgent)
	_, link, err := e.svc.CreateAgent(ctx, account.NewAgent{ServiceNumber: "AGT-9", Name: "Léa", UnitID: e.units["CSP-PARIS05"].ID, Role: account.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	t1 := e.signIn(t, "AGT-1")
	start1 := e.clk.Now().Add(-30 * time.Second)
	t2 := e.signIn(t, "AGT-1")
	other := e.signIn(t, "AGT-2")
	if _, err := e.svc.Login(ctx, "AGT-1", password); err != nil { // never completed
		t.Fatal(err)
	}
	p1, err := e.svc.Authenticate(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	sessions := func(p account.Principal) []account.ActiveSession {
		t.Helper()
		v, err := e.svc.Security(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return v.Sessions
	}
	got := sessions(p1)
	if len(got) != 2 || got[0].Current || !got[1].Current || !got[1].CreatedAt.Equal(start1) || !got[0].CreatedAt.After(got[1].CreatedAt) {
		t.Fatalf("sessions of AGT-1 = %+v, want two, newest first, the older one current (started %v)", got, start1)
	}

	// Six minutes later the unfinished sign-in is past its 5 minutes.
	e.clk.Add(6 * time.Minute)
	if p, err := e.svc.PurgeExpired(ctx); err != nil || p != (account.Purged{Sessions: 1}) {
		t.Fatalf("purge after 6 min = %+v, %v; want the pending sign-in", p, err)
	}
	// t1 is used, t2 and AGT-2's are left idle past 30 minutes: the page
	// stops listing t2 before the purge deletes it.
	e.clk.Add(20 * time.Minute)
	if p1, err = e.svc.Authenticate(ctx, t1); err != nil {
		t.Fatal(err)
	}
	e.clk.Add(15 * time.Minute)
	if got := sessions(p1); len(got) != 1 || !got[0].Current || !got[0].LastSeen.Equal(e.clk.Now().Add(-15*time.Minute)) {
		t.Fatalf("sessions after t2 went idle = %+v", got)
	}
	if p, err := e.svc.PurgeExpired(ctx); err != nil || p != (account.Purged{Sessions: 2}) {
		t.Fatalf("purge of idle sessions = %+v, %v", p, err)
	}
	for _, tok := range []string{t2, other} {
		_, err := e.svc.Authenticate(ctx, tok)
		isKind(t, err, guichet.ErrUnauthenticated)
	}
	if _, err := e.svc.Authenticate(ctx, t1); err != nil {
		t.Fatalf("the used session was purged: %v", err)
	}
	if _, err := e.svc.Enrolment(ctx, link); err != nil {
		t.Fatalf("a live activation link was purged: %v", err)
	}

	// 72 hours on, the activation link and the last session are past.
	e.clk.Add(72 * time.Hour)
	if p, err := e.svc.PurgeExpired(ctx); err != nil || p != (account.Purged{Sessions: 1, Enrolments: 1}) {
		t.Fatalf("purge after 72 h = %+v, %v", p, err)
	}
	if p, err := e.svc.PurgeExpired(ctx); err != nil || p != (account.Purged{}) {
		t.Fatalf("second purge = %+v, %v", p, err)
	}
	_, err = e.svc.Enrolment(ctx, link)
	isKind(t, err, guichet.ErrNotFound)
}

// TestRefusalFloor: every refused sign-in — unknown login, wrong password
// (which also records a failure), locked account — takes at least the
// floor, so its time does not tell them apart; a good password is not
// slowed.
func TestRefusalFloor(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	e.agent(t, "AGT-1", "CSP-LYON03", account.RoleAgent)
	cfg := account.DefaultConfig("https://guichet.example")
	cfg.Argon2 = cheap
	cfg.RefusalFloor = 120 * time.Millisecond
	v, err := vault.New(bytes.Repeat([]byte{7}, vault.KeySize), "t2", nil) // Login opens no secret
	if err != nil {
		t.Fatal(err)
	}
	svc, err := account.New(cfg, account.Deps{Store: e.store, Vault: v, Clock: e.clk, IDs: e.ids})
	if err != nil {
		t.Fatal(err)
	}
	timed := func(login, pw string) (time.Duration, error) {
		began := time.Now()
		_, err := svc.Login(ctx, login, pw)
		return time.Since(began), err
	}
	for _, tc := range []struct{ name, login, pw string }{
		{"unknown login", "NOBODY", password},
		{"wrong password", "AGT-1", "wrong password!!"},
	} {
		d, err := timed(tc.login, tc.pw)
		if !errors.Is(err, account.ErrSignInRefused) || d < cfg.RefusalFloor {
			t.Errorf("%s: %v after %v, want a refusal after ≥ %v", tc.name, err, d, cfg.RefusalFloor)
		}
	}
	if d, err := timed("AGT-1", password); err != nil || d >= cfg.RefusalFloor {
		t.Errorf("good password: %v after %v, want no floor", err, d)
	}
}
