package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

const adminCampaignsUsage = `Usage: guichet admin campaigns rebuild [--max-degree N] [flags]

Recompute every campaign of reports from scratch: the connected components
of reports sharing a value that is neither known-good nor held by more
than N reports. References are kept where a campaign is unchanged. Reports
filed meanwhile wait for the rebuild. --max-degree sets the threshold the
index keeps from then on (default: the current one, 1000 at first).
`

func runAdminCampaigns(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rebuild" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, adminCampaignsUsage)
			return nil
		}
		fmt.Fprint(stderr, adminCampaignsUsage)
		return usageError{"admin campaigns: the only action is rebuild"}
	}
	var maxDegree int
	a, err := openAdmin(ctx, "admin campaigns rebuild", "Recompute every campaign of reports from scratch.", args[1:], getenv, stderr,
		func(fs *flag.FlagSet) {
			fs.IntVar(&maxDegree, "max-degree", 0, "degree threshold: a value held by more reports links none (default: the current one)")
		})
	if err != nil {
		return err
	}
	defer a.Close()
	if maxDegree < 0 {
		return usageError{"admin campaigns rebuild: --max-degree must be positive"}
	}
	st, err := a.reports.RebuildCampaigns(ctx, maxDegree)
	if err != nil {
		return err
	}
	n, err := a.store.MaxDegree(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "campaigns rebuilt (threshold %d): %d reports, %d values, %d keys (%d linking)\n", n, st.Reports, st.Values, st.Keys, st.LinkingKeys)
	fmt.Fprintf(stdout, "  %d campaigns of two reports or more (largest %d), %d reports alone\n", st.Campaigns, st.Largest, st.Alone)
	fmt.Fprintf(stdout, "  %d references kept, %d campaigns created, %d merged, %d reports moved\n", st.Kept, st.Created, st.Merged, st.Moved)
	return nil
}
