// Command guichet is the virtual police station: one binary that serves
// citizens, agents, partners and the transparency log.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "guichet:", err)
		}
		os.Exit(exitCode(err))
	}
}

// usageError marks errors in how the command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `guichet — virtual police station

Usage:
  guichet <command> [flags]

Commands:
  demo       start a seeded demonstration instance on a fresh SQLite database
  serve      run the service (SQLite or PostgreSQL, file or S3 evidence storage)
  migrate    apply database migrations and exit
  admin      administration tasks (retention, …)
  verify     check a receipt or a whole transparency log offline
  indicator  normalize indicators (URLs, phones, IBANs, wallets…) to their
             canonical form, one JSON object a line (indicator normalize)
  witness    run a transparency-log witness (C2SP tlog-witness)
  bench      print performance figures (intake, ledger)
  version    print the version

Run 'guichet <command> --help' for the flags of a command.
`

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "demo":
		return runDemo(ctx, rest, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, getenv, stdout, stderr)
	case "verify":
		return runVerify(ctx, rest, stdout, stderr)
	case "indicator":
		return runIndicator(ctx, rest, stdin, stdout, stderr)
	case "witness":
		return runWitness(ctx, rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, getenv, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "guichet", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}
