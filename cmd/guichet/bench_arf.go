package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/arf"
	"github.com/guichet/guichet/internal/intake"
	"github.com/guichet/guichet/internal/partner"
)

// benchARF measures machine intake of ARF feedback reports on one core
// (GOMAXPROCS 1): parsing alone (internal/arf) and parsing with the
// conversion into a report (internal/intake), in messages per second, on
// the shared corpus's samples and on a synthetic mbox of one campaign.
// Everything is read into memory first: the figures are CPU, not I/O.
// Then, unless --api=false, the same mbox goes through POST /api/v1/arf
// of a real server (every core, the whole pipeline, committed before the
// answer), as one campaign (copies collapse into one report) and as
// distinct spams (one report each).
func benchARF(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench arf", "Measure ARF parsing and conversion, messages per second on one core.", stderr)
	n := fs.Int("messages", 10000, "copies of one spam in the synthetic mbox")
	dir := fs.String("corpus", "", "`directory` of ARF samples (*.eml; default: $GUICHET_CORPUS/arf or ../shared/corpus/arf)")
	minTime := fs.Duration("time", 2*time.Second, "least time each corpus figure runs for")
	per := fs.Int("distinct-per-request", 2000, "distinct spams an mbox holds in the API figure")
	throughAPI := fs.Bool("api", true, "also post the synthetic mbox through POST /api/v1/arf of a real server")
	database := fs.String("database", "", "PostgreSQL `url` for the API figure (a fresh database is created in it; default: SQLite in a temporary directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *per < 1 {
		return usageError{"bench arf: --messages and --distinct-per-request must be at least 1"}
	}
	if *dir == "" {
		if c := getenv("GUICHET_CORPUS"); c != "" {
			*dir = filepath.Join(c, "arf")
		} else {
			*dir = filepath.Join("..", "shared", "corpus", "arf")
		}
	}
	procs := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(procs)
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
	var parseRate float64
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
			parseRate = float64(msgs) / el.Seconds()
		}
		fmt.Fprintln(stdout, ")")
	}
	if !*throughAPI {
		return nil
	}
	runtime.GOMAXPROCS(procs)
	// Distinct spams: each copy its own spam (sender, subject, link, no
	// number), sharing no value with another; posted in mboxes of at
	// most *per messages, as docs/api.md advises for distinct messages.
	var distinct [][]byte
	for first := 0; first < *n; first += *per {
		var b bytes.Buffer
		for i := first; i < min(first+*per, *n); i++ {
			c := campaign
			c.Subject = fmt.Sprintf("Offre n° %d réservée", i)
			c.Link = fmt.Sprintf("https://promo%d.example.com/offre", i)
			c.From = fmt.Sprintf("Promo <offres@promo%d.example.com>", i)
			c.Phone = ""
			if err := c.WriteMbox(&b, i, 1); err != nil {
				return err
			}
		}
		distinct = append(distinct, b.Bytes())
	}
	return benchARFAPI(ctx, stdout, *database, parseRate, []arfFeed{
		{"one campaign (copies collapse)", [][]byte{mbox.Bytes()}, 1}, {"distinct spams (a report each)", distinct, *n},
	})
}

// arfFeed is what the API figure posts, one request per mbox, and how
// many reports it must file.
type arfFeed struct {
	name   string
	mboxes [][]byte
	filed  int
}

// benchARFAPI posts each feed to POST /api/v1/arf of a server on a fresh
// store and prints messages a second, against parseRate (parse and
// convert on one core).
func benchARFAPI(ctx context.Context, stdout io.Writer, database string, parseRate float64, feeds []arfFeed) error {
	a, base, iss, cleanup, err := benchPartner(ctx, database, "Bench ARF", partner.ScopeReportsWrite)
	if err != nil {
		return err
	}
	defer cleanup()
	fmt.Fprintf(stdout, "  through POST /api/v1/arf (store %s, GOMAXPROCS %d, committed before each answer):\n", a.dialect(), runtime.GOMAXPROCS(0))
	client := &http.Client{Timeout: 5 * time.Minute}
	for i, f := range feeds {
		var total struct{ Received, Filed, Duplicates, Refused int }
		size := 0
		t0 := time.Now()
		for j, m := range f.mboxes {
			size += len(m)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/arf", bytes.NewReader(m))
			req.Header.Set("Content-Type", "application/mbox")
			req.Header.Set("Authorization", "Bearer "+iss.Secret)
			req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-arf-%d-%d-%d", time.Now().UnixNano(), i, j))
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("bench arf: %s: %w", f.name, err)
			}
			var ans struct{ Received, Filed, Duplicates, Refused int }
			err = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || ans.Refused != 0 {
				return fmt.Errorf("bench arf: %s: status %d, %+v, %v", f.name, resp.StatusCode, ans, err)
			}
			total.Received += ans.Received
			total.Filed += ans.Filed
			total.Duplicates += ans.Duplicates
		}
		el := time.Since(t0)
		if total.Filed != f.filed {
			return fmt.Errorf("bench arf: %s: %+v, want %d filed", f.name, total, f.filed)
		}
		rate := float64(total.Received) / el.Seconds()
		fmt.Fprintf(stdout, "    %-31s %8.0f messages/s  (%d messages, %.1f MiB, %d request(s), in %s: %d filed, %d duplicates; ×%.2f parse + convert on one core)\n",
			f.name, rate, total.Received, float64(size)/(1<<20), len(f.mboxes), el.Round(time.Millisecond), total.Filed, total.Duplicates, rate/parseRate)
	}
	return nil
}

func label(convert bool) string {
	if convert {
		return "parse + convert"
	}
	return "parse only"
}
