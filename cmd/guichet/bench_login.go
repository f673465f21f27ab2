package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/sqlite"
	"github.com/guichet/guichet/internal/station"
	"github.com/guichet/guichet/internal/uuid7"
	"github.com/guichet/guichet/internal/vault"
)

// benchLogin prints the argon2id parameters, the time of one hash and of
// one verification (p50/p99 over --n), and the throughput of whole
// sign-ins (password + TOTP code + new session) on SQLite.
func benchLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench login", "Measure agents' password hashing and sign-in throughput.", stderr)
	n := fs.Int("n", 20, "`number` of hashes, verifications and sign-ins to time")
	workers := fs.Int("workers", 2, "concurrent sign-ins")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 2 || *workers < 1 {
		return usageError{"bench login: --n ≥ 2 and --workers ≥ 1"}
	}
	dir, err := os.MkdirTemp("", "guichet-bench-login-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	key := make([]byte, vault.KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	v, err := vault.New(key, "bench", nil)
	if err != nil {
		return err
	}
	clock := guichet.SystemClock{}
	ids := uuid7.New(clock.Now, nil)
	svc, err := account.New(account.DefaultConfig("https://guichet.example"), account.Deps{Store: st, Vault: v, Clock: clock, IDs: ids})
	if err != nil {
		return err
	}
	p := svc.Config().Argon2
	fmt.Fprintf(stdout, "argon2id: m=%d KiB (%d MiB), t=%d, p=%d, 32-byte key, 16-byte salt\n", p.Memory, p.Memory/1024, p.Time, p.Threads)

	hashes := make([]time.Duration, *n)
	var hash string
	for i := range hashes {
		t0 := time.Now()
		if hash, err = svc.HashPassword(demo.DemoPassword); err != nil {
			return err
		}
		hashes[i] = time.Since(t0)
	}
	fmt.Fprintf(stdout, "hash:    %s\n", percentiles(hashes))

	unit := station.Unit{ID: ids.New(), Code: "BENCH", Name: "Bench", Kind: station.Commissariat}
	if err := st.CreateUnit(ctx, unit); err != nil {
		return err
	}
	// One agent per sign-in: a TOTP code is accepted once per agent.
	secret := demo.DemoTOTPSecret("bench")
	sns := make([]string, *n)
	for i := range sns {
		sns[i] = fmt.Sprintf("B%05d", i)
		if _, err := svc.Seed(ctx, account.Seeded{
			NewAgent:     account.NewAgent{ServiceNumber: sns[i], Name: "Bench", UnitID: unit.ID, Role: account.RoleAgent},
			PasswordHash: hash, TOTPSecret: secret,
		}); err != nil {
			return err
		}
	}
	verifies := make([]time.Duration, *n)
	for i := range verifies {
		t0 := time.Now()
		if _, err := svc.Login(ctx, "NOBODY", demo.DemoPassword); err == nil {
			return fmt.Errorf("bench login: unknown login accepted")
		}
		verifies[i] = time.Since(t0)
	}
	fmt.Fprintf(stdout, "verify:  %s (unknown login, against the dummy hash)\n", percentiles(verifies))

	logins := make([]time.Duration, *n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var first error
	var mu sync.Mutex
	t0 := time.Now()
	for range *workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= *n {
					return
				}
				s := time.Now()
				pre, err := svc.Login(ctx, sns[i], demo.DemoPassword)
				if err == nil {
					var code string
					code, _ = account.TOTPCode(secret, time.Now())
					_, err = svc.VerifyCode(ctx, pre, code)
				}
				if err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
				logins[i] = time.Since(s)
			}
		})
	}
	wg.Wait()
	if first != nil {
		return fmt.Errorf("bench login: %w", first)
	}
	total := time.Since(t0)
	fmt.Fprintf(stdout, "sign-in: %s; %.1f sign-ins/s with %d workers (password + TOTP + session, SQLite)\n",
		percentiles(logins), float64(*n)/total.Seconds(), *workers)
	return nil
}

// percentiles formats the p50 and p99 of ds.
func percentiles(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return fmt.Sprintf("p50 %s, p99 %s over %d", at(0.50).Round(time.Millisecond), at(0.99).Round(time.Millisecond), len(s))
}
