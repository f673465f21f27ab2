package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/guichet/guichet/internal/indicator"
)

const indicatorUsage = `Usage:
  guichet indicator normalize [--kind K] [--region R] < values > results

normalize  reads one value a line on standard input and writes, for each, one
           JSON object a line on standard output, in input order:
             {"input", "kind", "valid", "canonical", "display",
              "registrable_domain", "reason"}
           plus, when they apply, "type" (phone number or Bitcoin address
           type), "country", "encoding", "witness_version" and "network".
           An invalid value is written with "valid": false and a stable
           reason code (see the indicator package documentation); blank
           lines are skipped; a line over 8192 bytes is reported invalid
           (input.too_long) with its first 8192 bytes. The exit status is 0
           even when values are invalid: only misuse and I/O errors fail.

Flags:
  --kind K    url, domain, ip, email, phone, iban, btc, eth, or auto (the
              default): guess each line's kind
  --region R  the region phone numbers in national form are read in
              (ISO 3166-1, default FR)

The server harmonises report indicators with the same code.
`

// runIndicator runs `guichet indicator`.
func runIndicator(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, indicatorUsage)
		return usageError{"indicator: no subcommand given (normalize)"}
	}
	switch args[0] {
	case "normalize":
		return indicatorNormalize(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, indicatorUsage)
		return nil
	}
	fmt.Fprint(stderr, indicatorUsage)
	return usageError{fmt.Sprintf("indicator: unknown subcommand %q", args[0])}
}

// indicatorNormalize runs `guichet indicator normalize`.
func indicatorNormalize(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("indicator normalize", "Normalize one value a line from standard input to one JSON object a line.", stderr)
	kindFlag := fs.String("kind", "auto", "url, domain, ip, email, phone, iban, btc, eth, or auto to guess each line's kind")
	region := fs.String("region", indicator.DefaultRegion, "region phone numbers in national form are read in (ISO 3166-1)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{"indicator normalize: " + err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("indicator normalize: unexpected argument %q (values are read from standard input)", fs.Arg(0))}
	}
	kind, ok := indicator.ParseKind(*kindFlag)
	if !ok {
		return usageError{fmt.Sprintf("indicator normalize: unknown --kind %q (url, domain, ip, email, phone, iban, btc, eth or auto)", *kindFlag)}
	}
	if !indicator.SupportedRegion(*region) {
		return usageError{fmt.Sprintf("indicator normalize: unknown --region %q", *region)}
	}
	n := indicator.Normalizer{Region: *region}

	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriter(stdout)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // URLs keep their & and <>
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(in, indicator.MaxInputLen)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("indicator normalize: reading standard input: %w", err)
		}
		if strings.TrimSpace(line) != "" || tooLong {
			var r indicator.Indicator
			if tooLong {
				k := kind
				if k == indicator.KindAuto {
					k = indicator.Guess(line)
				}
				r = indicator.Indicator{Input: line, Kind: k, Reason: indicator.ReasonTooLong}
			} else {
				r = n.Normalize(kind, line)
			}
			if werr := enc.Encode(r); werr != nil {
				return fmt.Errorf("indicator normalize: writing: %w", werr)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		// Flush when no more input is waiting, so that a script feeding
		// one line at a time gets its answer at once.
		if in.Buffered() == 0 {
			if werr := out.Flush(); werr != nil {
				return fmt.Errorf("indicator normalize: writing: %w", werr)
			}
		}
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("indicator normalize: writing: %w", err)
	}
	return nil
}

// readLine reads one line without its "\n" or "\r\n". A line longer than
// max bytes is consumed to its end but only its first max bytes are
// returned, with tooLong set, so a huge line costs no memory. At the end of
// input it returns the last (possibly empty) line and io.EOF.
func readLine(r *bufio.Reader, max int) (line string, tooLong bool, err error) {
	var b []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(b) <= max {
			b = append(b, chunk[:min(len(chunk), max+2-len(b))]...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		b = trimNewline(b)
		if len(b) > max {
			return string(b[:max]), true, err
		}
		return string(b), false, err
	}
}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
