package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/guichet/guichet/internal/witness"
)

const witnessUsage = `Usage:
  guichet witness --data DIR --name NAME --log VKEY [--log VKEY ...] [--addr :8090]
  guichet witness key --data DIR [--name NAME]

Runs a transparency-log witness (c2sp.org/tlog-witness): it checks that
each checkpoint a log submits to POST /add-checkpoint is consistent with
the last one it saw, and cosigns it (c2sp.org/tlog-cosignature). A partner
body runs it so that the log cannot show different histories to different
people. NAME identifies the witness (e.g. dpa.example.fr/witness); its key
is created in DIR/witness.key on first start. "key" prints the verifier key
to give to the log's operator and to verifiers.
`

// runWitness runs `guichet witness`.
func runWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	showKey := len(args) > 0 && args[0] == "key"
	if showKey {
		args = args[1:]
	}
	flags := flag.NewFlagSet("witness", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() { fmt.Fprint(stderr, witnessUsage); flags.PrintDefaults() }
	dir := flags.String("data", "", "directory for the witness key and state (required)")
	name := flags.String("name", "", "the witness's name, required to create its key")
	addr := flags.String("addr", ":8090", "address to listen on")
	var logs listFlag
	flags.Var(&logs, "log", "verifier key of a log to witness (repeatable)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		flags.Usage()
		return errors.New("witness: --data is required")
	}
	cosigner, err := witness.LoadOrCreateKey(filepath.Join(*dir, "witness.key"), *name, rand.Reader, nil)
	if err != nil {
		return err
	}
	if showKey {
		fmt.Fprintln(stdout, cosigner.VerifierKey())
		return nil
	}
	var keys []string
	for _, l := range logs {
		k, err := readKeyArg(l)
		if err != nil {
			return fmt.Errorf("witness: --log: %w", err)
		}
		keys = append(keys, k)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	w, err := witness.New(witness.Config{Cosigner: cosigner, Logs: keys, Dir: filepath.Join(*dir, "state"), Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	logger.InfoContext(ctx, "witness listening", "addr", ln.Addr().String(), "key", cosigner.VerifierKey(), "logs", len(keys))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}
