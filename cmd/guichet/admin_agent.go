package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/station"
)

const adminUnitUsage = `Usage: guichet admin unit create --code CODE --name NAME [--parent CODE] [flags]

Create a police unit. Run "guichet admin unit create --help" for every flag.
`

const adminAgentUsage = `Usage: guichet admin agent <action> [flags]

Actions:
  create   --service-number SN --name NAME --unit CODE --role ROLE
           create an account and print its one-time activation link (72 h)
  reset    --service-number SN
           wipe the password, second factors and sessions; print a new link
  disable  --service-number SN   end every session and refuse sign-in
  enable   --service-number SN   allow sign-in again
  list     list every account

Roles: agent, analyst, dispatcher, supervisor, admin.
`

// openAdmin parses the common flags plus the task's own, and opens the app.
func openAdmin(ctx context.Context, name, summary string, args []string, getenv func(string) string, stderr io.Writer, own func(fs *flag.FlagSet)) (*app, error) {
	var cfg config
	fs := newFlagSet(name, summary, stderr)
	cfg.flags(fs, getenv, "", "")
	own(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	if err := cfg.finish(); err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, getenv, newLogger(stderr, cfg.LogFormat), nil)
}

func runAdminUnit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, adminUnitUsage)
			return nil
		}
		fmt.Fprint(stderr, adminUnitUsage)
		return usageError{"admin unit: the only action is create"}
	}
	var u station.Unit
	var kind, parent, desk, appointments, notes string
	a, err := openAdmin(ctx, "admin unit create", "Create a police unit.", args[1:], getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&u.Code, "code", "", "unit `code`, unique (e.g. CSP-LYON03)")
		fs.StringVar(&u.Name, "name", "", "unit `name` as shown to the public")
		fs.StringVar(&parent, "parent", "", "`code` of the enclosing unit (its supervisors see this one)")
		fs.StringVar(&kind, "kind", "commissariat", "commissariat or brigade")
		fs.StringVar(&u.Address, "address", "", "street address")
		fs.StringVar(&u.Postcode, "postcode", "", "postcode")
		fs.StringVar(&u.City, "city", "", "town")
		fs.StringVar(&u.Phone, "phone", "", "telephone number")
		fs.StringVar(&desk, "hours", "", "desk opening `hours` in opening_hours syntax: \"24/7\", or \"Mo-Fr 08:30-12:00,14:00-18:00; Sa 09:00-12:00; PH off\"")
		fs.StringVar(&appointments, "appointment-hours", "", "pre-complaint appointment `hours`, same syntax, when said apart from the desk's")
		fs.StringVar(&notes, "hours-notes", "", "comma-separated `notes` on the hours: call_17, no_public, summoned")
		fs.Float64Var(&u.Lat, "lat", 0, "latitude")
		fs.Float64Var(&u.Lon, "lon", 0, "longitude")
		fs.BoolVar(&u.AcceptsAppointments, "appointments", false, "the unit takes pre-complaint appointments")
	})
	if err != nil {
		return err
	}
	defer a.Close()
	if u.Code == "" || u.Name == "" {
		return usageError{"admin unit create: --code and --name are required"}
	}
	switch station.Kind(kind) {
	case station.Commissariat, station.Brigade:
		u.Kind = station.Kind(kind)
	default:
		return usageError{fmt.Sprintf("admin unit create: --kind %q: commissariat or brigade", kind)}
	}
	if parent != "" {
		p, err := a.accounts.UnitByCode(ctx, parent)
		if err != nil {
			return fmt.Errorf("admin unit create: --parent %s: no such unit", parent)
		}
		u.ParentID = p.ID
	}
	if u.Hours.Desk, err = station.ParseSchedule(desk); err != nil {
		return usageError{"admin unit create: --hours: " + err.Error()}
	}
	if u.Hours.Appointments, err = station.ParseSchedule(appointments); err != nil {
		return usageError{"admin unit create: --appointment-hours: " + err.Error()}
	}
	for _, n := range strings.Split(notes, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		} else if !station.Note(n).Valid() {
			return usageError{fmt.Sprintf("admin unit create: --hours-notes: unknown note %q (call_17, no_public, summoned)", n)}
		}
		u.Hours.Notes = append(u.Hours.Notes, station.Note(n))
	}
	u.ID = a.ids.New()
	if err := a.store.CreateUnit(ctx, u); err != nil {
		if errors.Is(err, guichet.ErrConflict) {
			return fmt.Errorf("admin unit create: code %s already in use", u.Code)
		}
		return err
	}
	fmt.Fprintf(stdout, "unit %s created (%s)\n", u.Code, u.Name)
	return nil
}

func runAdminAgent(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, adminAgentUsage)
		return usageError{"admin agent: no action given"}
	}
	action := args[0]
	var sn, name, unit, role string
	snFlag := func(fs *flag.FlagSet) {
		fs.StringVar(&sn, "service-number", "", "the agent's service `number` (login)")
	}
	var own func(fs *flag.FlagSet)
	switch action {
	case "create":
		own = func(fs *flag.FlagSet) {
			snFlag(fs)
			fs.StringVar(&name, "name", "", "the agent's full `name`")
			fs.StringVar(&unit, "unit", "", "`code` of the agent's unit")
			fs.StringVar(&role, "role", "agent", "agent, analyst, dispatcher, supervisor or admin")
		}
	case "reset", "disable", "enable":
		own = snFlag
	case "list":
		own = func(*flag.FlagSet) {}
	case "-h", "--help", "help":
		fmt.Fprint(stdout, adminAgentUsage)
		return nil
	default:
		fmt.Fprint(stderr, adminAgentUsage)
		return usageError{fmt.Sprintf("admin agent: unknown action %q", action)}
	}
	a, err := openAdmin(ctx, "admin agent "+action, strings.TrimSpace(adminAgentUsage), args[1:], getenv, stderr, own)
	if err != nil {
		return err
	}
	defer a.Close()
	if action != "list" && sn == "" {
		return usageError{"admin agent " + action + ": --service-number is required"}
	}
	link := func(token string) string {
		if a.cfg.PublicURL == "" {
			// The address agents use is unknown here: give the path, and say so.
			return account.EnrolmentPath(token) + "\n(prefix it with the site's address; set --public-url or GUICHET_PUBLIC_URL to print the whole link)"
		}
		return strings.TrimSuffix(a.cfg.PublicURL, "/") + account.EnrolmentPath(token)
	}
	switch action {
	case "create":
		u, err := a.accounts.UnitByCode(ctx, unit)
		if err != nil {
			return fmt.Errorf("admin agent create: --unit %q: no such unit (create it with 'guichet admin unit create')", unit)
		}
		ag, token, err := a.accounts.CreateAgent(ctx, account.NewAgent{ServiceNumber: sn, Name: name, UnitID: u.ID, Role: account.Role(role)})
		var v *guichet.ValidationError
		switch {
		case errors.As(err, &v):
			var msgs []string
			for _, f := range v.Fields {
				msgs = append(msgs, "--"+strings.ReplaceAll(f.Field, "_", "-")+" "+adminMessages[f.Key])
			}
			return usageError{"admin agent create: " + strings.Join(msgs, "; ")}
		case errors.Is(err, guichet.ErrConflict):
			return fmt.Errorf("admin agent create: service number %s already in use", sn)
		case err != nil:
			return err
		}
		fmt.Fprintf(stdout, "agent %s created (%s, %s, pseudonym %s)\n", ag.ServiceNumber, ag.Role, u.Code, ag.Pseudonym)
		fmt.Fprintf(stdout, "one-time activation link, valid 72 h — give it to the agent only:\n%s\n", link(token))
	case "reset":
		token, err := a.accounts.ResetAgent(ctx, sn)
		if err != nil {
			return agentErr("reset", sn, err)
		}
		fmt.Fprintf(stdout, "agent %s reset: password, second factors and sessions wiped\nnew activation link, valid 72 h:\n%s\n", sn, link(token))
	case "disable", "enable":
		if err := a.accounts.SetDisabled(ctx, sn, action == "disable"); err != nil {
			return agentErr(action, sn, err)
		}
		fmt.Fprintf(stdout, "agent %s %sd\n", sn, action)
	case "list":
		agents, err := a.accounts.Agents(ctx)
		if err != nil {
			return err
		}
		units, err := a.store.ListUnits(ctx)
		if err != nil {
			return err
		}
		codes := make(map[string]string, len(units))
		for _, u := range units {
			codes[u.ID] = u.Code
		}
		fmt.Fprintf(stdout, "%-14s %-8s %-10s %-14s %-10s %s\n", "SERVICE NO.", "PSEUDO", "ROLE", "UNIT", "STATE", "NAME")
		for _, ag := range agents {
			state := "active"
			switch {
			case ag.Disabled:
				state = "disabled"
			case !ag.Enrolled():
				state = "pending"
			}
			fmt.Fprintf(stdout, "%-14s %-8s %-10s %-14s %-10s %s\n", ag.ServiceNumber, ag.Pseudonym, ag.Role, codes[ag.UnitID], state, ag.Name)
		}
	}
	return nil
}

// adminMessages explains the account service's validation keys on the
// command line.
var adminMessages = map[string]string{
	"agent.err.service_number": "must be 2 to 32 letters, digits, dots, dashes or underscores",
	"agent.err.name":           "is required (100 characters at most)",
	"agent.err.role":           "must be one of agent, analyst, dispatcher, supervisor, admin",
	"agent.err.unit":           "names no unit",
}

func agentErr(action, sn string, err error) error {
	if errors.Is(err, guichet.ErrNotFound) {
		return fmt.Errorf("admin agent %s: no agent with service number %s", action, sn)
	}
	return err
}
