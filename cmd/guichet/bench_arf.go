package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/intake"
)

// benchARF measures machine intake of ARF feedback reports on one core
// (GOMAXPROCS 1): parsing alone (internal/arf) and parsing with the
// conversion into a report (internal/intake), in messages per second, on
// the shared corpus's samples and on a synthetic mbox of one campaign.
// Everything is read into memory first: the figures are CPU, not I/O.
func benchARF(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench arf", "Measure ARF parsing and conversion, messages per second on one core.", stderr)
	n := fs.Int("messages", 10000, "copies of one spam in the synthetic mbox")
	dir := fs.String("corpus", "", "`directory` of ARF samples (*.eml; default: $GUICHET_CORPUS/arf or ../shared/corpus/arf)")
	minTime := fs.Duration("time", 2*time.Second, "least time each corpus figure runs for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError{"bench arf: --messages must be at least 1"}
	}
	if *dir == "" {
		if c := getenv("GUICHET_CORPUS"); c != "" {
			*dir = filepath.Join(c, "arf")
		} else {
			*dir = filepath.Join("..", "shared", "corpus", "arf")
		}
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	now := time.Now()
	fmt.Fprintf(stdout, "bench arf: GOMAXPROCS %d, %s/%s\n", runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)

	var samples [][]byte
	filepath.WalkDir(*dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".eml") {
			if b, err := os.ReadFile(p); err == nil {
				samples = append(samples, b)
			}
		}
		return nil
	})
	if len(samples) == 0 {
		fmt.Fprintf(stdout, "  corpus: no sample under %s (set --corpus or GUICHET_CORPUS); skipped\n", *dir)
	} else {
		size := 0
		for _, b := range samples {
			size += len(b)
		}
		fmt.Fprintf(stdout, "  corpus: %d samples, %.1f KiB, from %s\n", len(samples), float64(size)/1024, *dir)
		for _, convert := range []bool{false, true} {
			msgs, items, problems := 0, 0, 0
			t0 := time.Now()
			for time.Since(t0) < *minTime {
				if err := ctx.Err(); err != nil {
					return err
				}
				for _, b := range samples {
					msgs++
					r, err := arf.Options{}.ParseBytes(b)
					if err == nil && convert {
						_, err = intake.FromARF(r, now)
					}
					if err != nil {
						problems++
					} else {
						items++
					}
				}
			}
			el := time.Since(t0)
			fmt.Fprintf(stdout, "    %-17s %8.0f messages/s  %6.2f MiB/s  (%d messages: %d gave a report, %d a typed problem)\n",
				label(convert), float64(msgs)/el.Seconds(), float64(size)*float64(msgs)/float64(len(samples))/el.Seconds()/(1<<20), msgs, items, problems)
		}
	}

	campaign := intake.Campaign{
		Subject: "%s, votre colis est bloqué", Link: "https://colis-suivi.example.com/paiement", Phone: "01 23 45 67 89",
		From: "Service Colis <suivi@colis-suivi.example.com>", Start: time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second),
	}
	var mbox bytes.Buffer
	if err := campaign.WriteMbox(&mbox, 0, *n); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "  synthetic mbox: %d copies of one spam campaign (own recipient, Message-ID, dates, relay, tracking link each), %.1f MiB\n",
		*n, float64(mbox.Len())/(1<<20))
	for _, convert := range []bool{false, true} {
		if err := ctx.Err(); err != nil {
			return err
		}
		msgs, problems := 0, 0
		keys := map[string]int{}
		t0 := time.Now()
		if convert {
			for res := range intake.ARFMbox(arf.Options{}, bytes.NewReader(mbox.Bytes()), now) {
				msgs++
				if res.Err != nil {
					problems++
					continue
				}
				keys[res.Item.ContentKey]++
			}
		} else {
			for _, err := range (arf.Options{}).Mbox(bytes.NewReader(mbox.Bytes())) {
				msgs++
				if err != nil {
					problems++
				}
			}
		}
		el := time.Since(t0)
		fmt.Fprintf(stdout, "    %-17s %8.0f messages/s  %6.2f MiB/s  (%d messages in %s, %d typed problems",
			label(convert), float64(msgs)/el.Seconds(), float64(mbox.Len())/el.Seconds()/(1<<20), msgs, el.Round(time.Millisecond), problems)
		if convert {
			fmt.Fprintf(stdout, ", %d distinct content key(s)", len(keys))
		}
		fmt.Fprintln(stdout, ")")
	}
	return nil
}

func label(convert bool) string {
	if convert {
		return "parse + convert"
	}
	return "parse only"
}
