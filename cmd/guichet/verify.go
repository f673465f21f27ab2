package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/atomicfile"
	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
)

const verifyUsage = `Usage:
  guichet verify receipt FILE --key VKEY [--witness VKEY ... --quorum N]
  guichet verify log --url URL --key VKEY [--state FILE] [--full] [--witness VKEY ... --quorum N]

receipt  checks a receipt.json offline: the checkpoint's signature by the
         log's key, the inclusion proof, and that the leaf commits to the
         receipt's reference and salt.
log      fetches a log's checkpoint and tiles, recomputes its tree from the
         entries, checks it extends the checkpoint saved in --state (if the
         file exists) and saves the new one there.

VKEY is a verifier key ("origin+keyid+base64") or a file holding one.
`

// runVerify runs `guichet verify`. It returns nil only if everything
// verified; the error says what failed.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, verifyUsage)
		return errors.New("verify: receipt or log?")
	}
	switch args[0] {
	case "receipt":
		return verifyReceipt(args[1:], stdout, stderr)
	case "log":
		return verifyLog(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, verifyUsage)
		return nil
	}
	fmt.Fprint(stderr, verifyUsage)
	return fmt.Errorf("verify: unknown subcommand %q", args[0])
}

// trustFlags are the flags saying which keys to trust.
type trustFlags struct {
	key       string
	witnesses listFlag
	quorum    int
}

func (t *trustFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.key, "key", "", "the log's verifier key, or a file holding it (required)")
	fs.Var(&t.witnesses, "witness", "a trusted witness's verifier key or key file (repeatable)")
	fs.IntVar(&t.quorum, "quorum", 0, "how many of the --witness keys MUST have cosigned")
}

func (t *trustFlags) policy() (checkpoint.Policy, error) {
	if t.key == "" {
		return checkpoint.Policy{}, errors.New("--key is required: the log's verifier key, obtained from a source you trust")
	}
	lk, err := readKeyArg(t.key)
	if err != nil {
		return checkpoint.Policy{}, err
	}
	var wks []string
	for _, w := range t.witnesses {
		k, err := readKeyArg(w)
		if err != nil {
			return checkpoint.Policy{}, err
		}
		wks = append(wks, k)
	}
	return checkpoint.NewPolicy(lk, wks, t.quorum)
}

// readKeyArg returns a verifier key given inline or as a file name.
func readKeyArg(s string) (string, error) {
	if _, err := checkpoint.ParseVerifierKey(s); err == nil {
		return s, nil
	}
	b, err := os.ReadFile(s)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			_, perr := checkpoint.ParseVerifierKey(s)
			return "", fmt.Errorf("key %q: %w", s, perr)
		}
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// parseMixed parses flags that may follow positional arguments
// ("receipt.json --key K") and returns the positional ones.
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func verifyReceipt(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("verify receipt", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var trust trustFlags
	trust.register(flags)
	pos, err := parseMixed(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, verifyUsage)
		return errors.New("verify receipt: one receipt file expected")
	}
	pol, err := trust.policy()
	if err != nil {
		return fmt.Errorf("verify receipt: %w", err)
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return fmt.Errorf("verify receipt: %w", err)
	}
	r, err := ledger.ParseReceipt(b)
	if err != nil {
		return fmt.Errorf("verify receipt %s: %w", pos[0], err)
	}
	res, err := ledger.VerifyReceiptWith(r, pol)
	if err != nil {
		return fmt.Errorf("verify receipt %s: %w", pos[0], err)
	}
	fmt.Fprintf(stdout, "OK: event %q of %s (%s) is entry %d of log %s, tree size %d, signed by the log's key\n",
		res.Leaf.Type, res.Ref, res.Leaf.At, res.Index, res.Origin, res.TreeSize)
	printCosigners(stdout, res.Cosigned)
	return nil
}

func printCosigners(w io.Writer, cs []checkpoint.Cosignature) {
	for _, c := range cs {
		fmt.Fprintf(w, "    cosigned by witness %s at %s\n", c.Name, c.Time.Format(time.RFC3339))
	}
}

func verifyLog(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("verify log", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var trust trustFlags
	trust.register(flags)
	url := flags.String("url", "", "the log's URL prefix, e.g. https://plainte.example.fr/log (required)")
	state := flags.String("state", "", "file keeping the last verified checkpoint between runs")
	full := flags.Bool("full", false, "re-hash every entry, not only those added since --state")
	timeout := flags.Duration("timeout", 10*time.Minute, "give up after this long")
	pos, err := parseMixed(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *url == "" {
		fmt.Fprint(stderr, verifyUsage)
		return errors.New("verify log: --url is required")
	}
	pol, err := trust.policy()
	if err != nil {
		return fmt.Errorf("verify log: %w", err)
	}
	var saved []byte
	if *state != "" {
		saved, err = os.ReadFile(*state)
		if errors.Is(err, fs.ErrNotExist) {
			saved = nil
		} else if err != nil {
			return fmt.Errorf("verify log: state: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	prefix := strings.TrimSuffix(*url, "/")
	prefix = strings.TrimSuffix(prefix, "/checkpoint")
	hc := &http.Client{Timeout: time.Minute}
	rep, err := ledger.VerifyLog(ctx, ledger.HTTPFetcher(hc, prefix), pol, ledger.AuditOptions{Saved: saved, Full: *full})
	if err != nil {
		return fmt.Errorf("verify log %s: %w", prefix, err)
	}
	cp := rep.Checkpoint
	fmt.Fprintf(stdout, "OK: log %s at size %d, root %s\n", cp.Origin, cp.Size, cp.Hash)
	fmt.Fprintf(stdout, "    %d entries hashed, %d tiles checked\n", rep.Entries, rep.Tiles)
	if saved != nil {
		fmt.Fprintf(stdout, "    extends the saved checkpoint of size %d\n", rep.OldSize)
	}
	printCosigners(stdout, cp.Cosigned)
	if *state != "" {
		if err := atomicfile.Write(*state, cp.Note, 0o600); err != nil {
			return fmt.Errorf("verify log: save state: %w", err)
		}
		fmt.Fprintf(stdout, "    state saved to %s\n", *state)
	}
	return nil
}
