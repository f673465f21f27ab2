package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/bulletin"
	"github.com/guichet/guichet/internal/demo"
	"github.com/guichet/guichet/internal/sqlite"
)

// benchAvis measures the generation of the public warnings' feeds on a
// fresh SQLite store holding --bulletins published bulletins (each with
// two versions): the Atom feed, the CAP-in-Atom index and one CAP
// document, each from the store read to the bytes. The floor is the store
// read alone (the published bulletins, and their versions for the CAP
// figures): what serving a feed costs before any XML is written.
func benchAvis(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench avis", "Measure the generation time of the warnings' Atom and CAP feeds against the store read alone.", stderr)
	n := fs.Int("bulletins", 50, "published bulletins in the store")
	minTime := fs.Duration("time", 2*time.Second, "least time each figure runs for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 || *n > bulletin.MaxFeed {
		return usageError{fmt.Sprintf("bench avis: --bulletins must be between 1 and %d", bulletin.MaxFeed)}
	}
	dir, err := os.MkdirTemp("", "guichet-bench-avis-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "guichet.db"))
	if err != nil {
		return err
	}
	defer st.Close()
	svc := bulletin.New(bulletin.Deps{Store: st, Rand: rand.Reader})
	sup := account.Principal{Pseudonym: "BENCH", Role: account.RoleSupervisor}
	base := demo.DemoBulletins(time.Now().Add(-time.Hour))
	for i := range *n {
		c := base[i%len(base)]
		c.Slug = fmt.Sprintf("%s-%d", c.Slug, i)
		c.Keys, c.Campaigns = nil, nil
		ref, err := svc.Create(ctx, sup, c)
		if err != nil {
			return err
		}
		if _, err := svc.Publish(ctx, sup, ref); err != nil {
			return err
		}
		c.FR.Summary += " Mise à jour."
		if err := svc.SaveDraft(ctx, sup, ref, c); err != nil {
			return err
		}
		if _, err := svc.Publish(ctx, sup, ref); err != nil {
			return err
		}
	}
	site := bulletin.Site{Base: "https://guichet.example.fr", Labels: map[string]bulletin.Labels{
		"fr": {FeedTitle: "Avis de la police", CAPTitle: "Alertes CAP", Looks: "À quoi ça ressemble", Do: "Que faire", SenderName: "guichet", Contact: "17 ou 112", Area: "France"},
		"en": {FeedTitle: "Police warnings", CAPTitle: "CAP alerts", Looks: "What it looks like", Do: "What to do", SenderName: "guichet", Contact: "17 or 112", Area: "France"},
	}}
	read := func(withVersions bool) ([]bulletin.Bulletin, map[string][]bulletin.Version, error) {
		bs, err := svc.Published(ctx)
		if err != nil || !withVersions {
			return bs, nil, err
		}
		vs := make(map[string][]bulletin.Version, len(bs))
		for _, b := range bs {
			if vs[b.Ref()], err = svc.Versions(ctx, b); err != nil {
				return nil, nil, err
			}
		}
		return bs, vs, nil
	}
	type figure struct {
		name string
		run  func() (int, error)
	}
	figures := []figure{
		{"floor: store read (bulletins)", func() (int, error) { _, _, err := read(false); return 0, err }},
		{"Atom feed (read + render)", func() (int, error) {
			bs, _, err := read(false)
			if err != nil {
				return 0, err
			}
			b, err := bulletin.Atom(site, "fr", bs)
			return len(b), err
		}},
		{"floor: store read (bulletins + versions)", func() (int, error) { _, _, err := read(true); return 0, err }},
		{"CAP-in-Atom index (read + render)", func() (int, error) {
			bs, vs, err := read(true)
			if err != nil {
				return 0, err
			}
			b, err := bulletin.CAPIndex(site, bs, func(x *bulletin.Bulletin) []bulletin.Version { return vs[x.Ref()] })
			return len(b), err
		}},
		{"one CAP alert (read + render)", func() (int, error) {
			b, err := svc.Public(ctx, base[0].Slug+"-0")
			if err != nil {
				return 0, err
			}
			vs, err := svc.Versions(ctx, b)
			if err != nil {
				return 0, err
			}
			doc, err := bulletin.CAP(site, &b, vs, time.Now())
			return len(doc), err
		}},
	}
	fmt.Fprintf(stdout, "bench avis: %d published bulletins (2 versions each), SQLite in a temporary directory\n", *n)
	results := map[string]time.Duration{}
	for _, f := range figures {
		var times []time.Duration
		size := 0
		t0 := time.Now()
		for time.Since(t0) < *minTime || len(times) < 20 {
			if err := ctx.Err(); err != nil {
				return err
			}
			s := time.Now()
			sz, err := f.run()
			if err != nil {
				return fmt.Errorf("bench avis: %s: %w", f.name, err)
			}
			times = append(times, time.Since(s))
			size = sz
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		p50, p99 := times[len(times)/2], times[len(times)*99/100]
		results[f.name] = p50
		line := fmt.Sprintf("  %-42s p50 %8s  p99 %8s  (%d runs)", f.name, p50.Round(time.Microsecond), p99.Round(time.Microsecond), len(times))
		if size > 0 {
			line += fmt.Sprintf(", %.1f KiB", float64(size)/1024)
		}
		fmt.Fprintln(stdout, line)
	}
	atom, floor := results["Atom feed (read + render)"], results["floor: store read (bulletins)"]
	idx, floorV := results["CAP-in-Atom index (read + render)"], results["floor: store read (bulletins + versions)"]
	fmt.Fprintf(stdout, "  Atom feed: ×%.1f the store read; CAP index: ×%.1f the store read with versions\n",
		float64(atom)/float64(floor), float64(idx)/float64(floorV))
	return nil
}
