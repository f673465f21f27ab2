package main

import (
	"context"
	"fmt"
	"io"
)

const adminUsage = `Usage: guichet admin <task> [flags]

Tasks:
  unit        create a police unit (guichet admin unit create --help)
  agent       create, reset, disable, enable or list agents' accounts
  retention   expire pre-complaints past their deadline (erasing personal data),
              delete abandoned drafts, expired agent sessions and activation
              links, then exit
  log-key     print the transparency log's verifier key (for guichet verify --key)
  master-key  rotate: new master key, every data key re-wrapped under it
  partner     create, list or disable the API's partners; create, rotate or
              revoke their tokens (guichet admin partner --help)
  campaigns   rebuild every campaign of reports from scratch
              (guichet admin campaigns rebuild --help)
`

func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return usageError{"admin: no task given"}
	}
	switch args[0] {
	case "unit":
		return runAdminUnit(ctx, args[1:], getenv, stdout, stderr)
	case "agent":
		return runAdminAgent(ctx, args[1:], getenv, stdout, stderr)
	case "retention":
		var cfg config
		fs := newFlagSet("admin retention", "Run the retention job once and exit.", stderr)
		cfg.flags(fs, getenv, "", "")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if err := cfg.finish(); err != nil {
			return err
		}
		a, err := openApp(ctx, cfg, getenv, newLogger(stderr, cfg.LogFormat), nil)
		if err != nil {
			return err
		}
		defer a.Close()
		r, err := a.complaints.RunRetention(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retention: %d pre-complaints expired and erased, %d abandoned draft files deleted\n", r.Expired, r.DraftFiles)
		p, err := a.accounts.PurgeExpired(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "retention: %d expired agent sessions and %d expired activation links deleted\n", p.Sessions, p.Enrolments)
		return nil
	case "log-key":
		return runAdminLogKey(args[1:], getenv, stdout, stderr)
	case "partner":
		return runAdminPartner(ctx, args[1:], getenv, stdout, stderr)
	case "campaigns":
		return runAdminCampaigns(ctx, args[1:], getenv, stdout, stderr)
	case "master-key":
		return runAdminMasterKey(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, adminUsage)
		return nil
	}
	fmt.Fprint(stderr, adminUsage)
	return usageError{fmt.Sprintf("admin: unknown task %q", args[0])}
}
