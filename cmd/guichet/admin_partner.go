package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/guichet/guichet/internal/partner"
)

const adminPartnerUsage = `Usage: guichet admin partner <action> [flags]

Partners send reports through the JSON API (/api/v1/, described at
/api/openapi.json) with their API tokens.

Actions:
  create   --name NAME --kind KIND [--scopes reports:write,reports:read]
  list     every partner, or one partner's tokens with --partner
  disable  --partner ID|NAME   refuse every token of the partner at once
  token create  --partner ID|NAME [--scopes S] [--ttl 8760h] [--rate 600]
                print a new token: it is shown once and never again
  token rotate  --partner ID|NAME --token ID|HINT [--overlap 24h]
                print a new token; the old one stays valid for the overlap
  token revoke  --partner ID|NAME --token ID|HINT   refused from the next request

Kinds: spam-observatory, mail-provider, operator, authority, other.
Scopes: reports:write (send), reports:read (read back what was sent).
`

func runAdminPartner(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminPartnerUsage)
		return usageError{"admin partner: no action given"}
	}
	action, rest := args[0], args[1:]
	if action == "token" {
		if len(rest) == 0 {
			fmt.Fprint(stderr, adminPartnerUsage)
			return usageError{"admin partner token: no action given"}
		}
		action, rest = "token "+rest[0], rest[1:]
	}
	var (
		name, kind, scopes, who, tok string
		ttl, overlap                 time.Duration
		rate                         int
	)
	var own func(fs *flag.FlagSet)
	switch action {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, adminPartnerUsage)
		return nil
	case "create":
		own = func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "the partner's `name`, unique")
			fs.StringVar(&kind, "kind", "", "spam-observatory, mail-provider, operator, authority or other")
			fs.StringVar(&scopes, "scopes", "reports:write,reports:read", "what the partner may do, comma-separated")
		}
	case "list":
		own = func(fs *flag.FlagSet) { fs.StringVar(&who, "partner", "", "list this partner's tokens (`ID or name`)") }
	case "disable":
		own = func(fs *flag.FlagSet) { fs.StringVar(&who, "partner", "", "the partner's `ID or name`") }
	case "token create":
		own = func(fs *flag.FlagSet) {
			fs.StringVar(&who, "partner", "", "the partner's `ID or name`")
			fs.StringVar(&scopes, "scopes", "", "the token's scopes, comma-separated (default: the partner's)")
			fs.DurationVar(&ttl, "ttl", partner.DefaultTTL, "how long the token is valid")
			fs.IntVar(&rate, "rate", partner.DefaultRate, "requests a minute")
		}
	case "token rotate", "token revoke":
		own = func(fs *flag.FlagSet) {
			fs.StringVar(&who, "partner", "", "the partner's `ID or name`")
			fs.StringVar(&tok, "token", "", "the token's `ID or hint` (see list --partner)")
			if action == "token rotate" {
				fs.DurationVar(&overlap, "overlap", 24*time.Hour, "how long the old token stays valid")
			}
		}
	default:
		fmt.Fprint(stderr, adminPartnerUsage)
		return usageError{fmt.Sprintf("admin partner: unknown action %q", action)}
	}
	a, err := openAdmin(ctx, "admin partner "+action, "Manage the API's partners and tokens.", rest, getenv, stderr, own)
	if err != nil {
		return err
	}
	defer a.Close()
	by := partner.CommandLine
	ps := a.partners
	switch action {
	case "create":
		sc, err := partner.ParseScopes(scopes)
		if err != nil {
			return usageError{err.Error()}
		}
		p, err := ps.CreatePartner(ctx, by, partner.NewPartner{Name: name, Kind: partner.Kind(kind), Scopes: sc})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "partner %s created: %s (%s), scopes %s\n", p.ID, p.Name, p.Kind, scopeList(p.Scopes))
		fmt.Fprintf(stdout, "give it a token: guichet admin partner token create --partner %s\n", p.ID)
	case "list":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		defer tw.Flush()
		if who == "" {
			all, err := ps.Partners(ctx, by)
			if err != nil {
				return err
			}
			fmt.Fprintln(tw, "ID\tNAME\tKIND\tSCOPES\tSTATE")
			for _, p := range all {
				state := "active"
				if p.Disabled() {
					state = "disabled " + p.DisabledAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.ID, p.Name, p.Kind, scopeList(p.Scopes), state)
			}
			return nil
		}
		p, toks, err := ps.Partner(ctx, by, who)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "tokens of %s (%s)\n", p.Name, p.ID)
		fmt.Fprintln(tw, "ID\tHINT\tSCOPES\tRATE/MIN\tEXPIRES\tSTATE\tUSES\tLAST USED")
		now := time.Now()
		for _, t := range toks {
			state := "valid"
			switch {
			case !t.RevokedAt.IsZero():
				state = "revoked"
			case !now.Before(t.ExpiresAt):
				state = "expired"
			case t.ReplacedBy != "":
				state = "rotated"
			}
			last := "never"
			if !t.LastUsedAt.IsZero() {
				last = t.LastUsedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s…\t%s\t%d\t%s\t%s\t%d\t%s\n", t.ID, t.Hint, scopeList(t.Scopes), t.Rate, t.ExpiresAt.Format(time.RFC3339), state, t.Uses, last)
		}
	case "disable":
		if err := ps.DisablePartner(ctx, by, who); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "partner %s disabled: its tokens are refused from now on\n", who)
	case "token create":
		var sc []partner.Scope
		if scopes != "" {
			if sc, err = partner.ParseScopes(scopes); err != nil {
				return usageError{err.Error()}
			}
		}
		iss, err := ps.CreateToken(ctx, by, who, partner.NewToken{Scopes: sc, TTL: ttl, Rate: rate})
		if err != nil {
			return err
		}
		printIssued(stdout, iss)
	case "token rotate":
		iss, err := ps.RotateToken(ctx, by, who, tok, overlap)
		if err != nil {
			return err
		}
		printIssued(stdout, iss)
		fmt.Fprintf(stdout, "the old token stays valid for %s\n", overlap)
	case "token revoke":
		if err := ps.RevokeToken(ctx, by, who, tok); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s revoked: refused from the next request on\n", tok)
	}
	return nil
}

func scopeList(s []partner.Scope) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return strings.Join(out, ",")
}

func printIssued(w io.Writer, iss partner.Issued) {
	t := iss.Token
	fmt.Fprintf(w, "token %s (scopes %s, %d requests a minute, expires %s):\n", t.ID, scopeList(t.Scopes), t.Rate, t.ExpiresAt.Format(time.RFC3339))
	fmt.Fprintf(w, "  %s\n", iss.Secret)
	fmt.Fprintln(w, "it is shown this once: only its SHA-256 is kept")
}
