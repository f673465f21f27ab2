package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// benchIntakeNodes measures pre-complaint intake over HTTP with several
// nodes on one PostgreSQL database and one shared log bucket: first with
// one node serving every client, then with all nodes, the clients spread
// over them, in the same run and on the same database. The first figure
// is the floor the second is compared with.
func benchIntakeNodes(ctx context.Context, stdout io.Writer, database, logBlob string, nodes, n, conc int) error {
	if !strings.HasPrefix(database, "postgres") {
		return usageError{"bench intake --nodes: needs --database postgres://…"}
	}
	if !strings.HasPrefix(logBlob, "s3://") {
		return usageError{"bench intake --nodes: needs --log-blob s3://… (the nodes share the log)"}
	}
	apps := make([]*app, nodes)
	bases := make([]string, nodes)
	root, err := os.MkdirTemp("", "guichet-bench-nodes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	srvCtx, stop := context.WithCancel(ctx)
	var served sync.WaitGroup
	defer func() { stop(); served.Wait() }()
	for i := range apps {
		dir := filepath.Join(root, fmt.Sprintf("node%d", i))
		if i > 0 {
			// Every node holds the first one's keys, as operators give them.
			if err := copyKeys(filepath.Join(root, "node0"), dir); err != nil {
				return err
			}
		}
		cfg := config{DataDir: dir, Database: database, LogBlob: logBlob, LogFormat: "text", noRateLimit: true}
		if err := cfg.finish(); err != nil {
			return err
		}
		a, err := openApp(ctx, cfg, os.Getenv, newLogger(io.Discard, "text"), nil)
		if err != nil {
			return fmt.Errorf("node %d: %w", i, err)
		}
		defer a.Close()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		served.Go(func() { _ = a.serve(srvCtx, ln) })
		apps[i], bases[i] = a, "http://"+ln.Addr().String()
	}
	fmt.Fprintf(stdout, "bench intake: store postgres, %d nodes, %d submissions per run, %d clients\n", nodes, n, conc)
	client := &http.Client{
		Transport:     &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	var single float64
	for _, using := range []int{1, nodes} {
		a := apps[0]
		u, slot, err := benchUnit(ctx, a, n+10)
		if err != nil {
			return err
		}
		codes, err := prepareDrafts(ctx, a.complaints, u.ID, slot.ID, n, conc)
		if err != nil {
			return err
		}
		perNode := make([]atomic.Int64, using)
		lat := make([]time.Duration, len(codes))
		var next atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		start := time.Now()
		for c := range conc {
			node := c % using
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(codes) || ctx.Err() != nil {
						return
					}
					t0 := time.Now()
					if err := submitOnce(ctx, client, bases[node], codes[i]); err != nil {
						firstErr.CompareAndSwap(nil, err)
						return
					}
					lat[i] = time.Since(t0)
					perNode[node].Add(1)
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		if err, _ := firstErr.Load().(error); err != nil {
			return fmt.Errorf("bench intake: %w", err)
		}
		if sl, err := a.store.Slot(ctx, slot.ID); err != nil || sl.Booked != n {
			return errors.Join(err, fmt.Errorf("bench intake: %d places booked, want %d", sl.Booked, n))
		}
		slices.Sort(lat)
		pct := func(p float64) time.Duration {
			return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
		}
		total := float64(n) / elapsed.Seconds()
		fmt.Fprintf(stdout, "  %d node(s): %.0f/s in total, p50 %s p99 %s", using, total, pct(0.5), pct(0.99))
		if using == 1 {
			single = total
			fmt.Fprintln(stdout, "  (the floor)")
			continue
		}
		fmt.Fprintf(stdout, "  (×%.2f of one node)\n", total/single)
		for i := range perNode {
			fmt.Fprintf(stdout, "    node %d: %.0f/s\n", i, float64(perNode[i].Load())/elapsed.Seconds())
		}
	}
	return nil
}

// copyKeys gives the data directory to its copy of from's keys and log key.
func copyKeys(from, to string) error {
	if err := os.MkdirAll(filepath.Join(to, "keys"), 0o700); err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(from, "keys", "*"))
	if err != nil {
		return err
	}
	for _, name := range append(names, filepath.Join(from, "ledger.key")) {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, name)
		if err := os.WriteFile(filepath.Join(to, rel), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
