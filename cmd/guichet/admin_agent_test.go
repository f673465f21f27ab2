package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// TestAdminAgent: units and agents made from the command line, the
// activation link printed whole when the public URL is known and as a path
// with a hint when it is not, and clear refusals.
func TestAdminAgent(t *testing.T) {
	dir := t.TempDir()
	noenv := func(string) string { return "" }
	admin := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"admin"}, append(args, "--data", dir)...), noenv, nil, &out, &bytes.Buffer{})
		return out.String(), err
	}
	if _, err := admin("unit", "create", "--code", "CSP-TEST", "--name", "Commissariat de test", "--address", "1 rue X", "--postcode", "69003", "--city", "Lyon",
		"--hours", "24/7", "--appointment-hours", "Mo-Fr 09:00-12:00,14:00-17:30", "--hours-notes", "call_17"); err != nil {
		t.Fatal(err)
	}
	out, err := admin("agent", "create", "--service-number", "AGT-42", "--name", "Jean Test", "--unit", "CSP-TEST", "--role", "agent")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^/agent/activation/[A-Za-z0-9_-]{40,}$`).MatchString(out) || !strings.Contains(out, "--public-url") {
		t.Errorf("without a public URL, want the path and a hint:\n%s", out)
	}
	out, err = admin("agent", "list")
	if err != nil || !strings.Contains(out, "AGT-42") || !strings.Contains(out, "pending") {
		t.Errorf("list: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"agent", "create", "--service-number", "AGT-42", "--name", "X", "--unit", "CSP-TEST", "--role", "agent"}, "already in use"},
		{[]string{"agent", "create", "--service-number", "AGT-43", "--name", "X", "--unit", "NOPE", "--role", "agent"}, "no such unit"},
		{[]string{"agent", "create", "--service-number", "AGT-44", "--name", "X", "--unit", "CSP-TEST", "--role", "chief"}, "--role"},
		{[]string{"agent", "reset", "--service-number", "NOBODY"}, "NOBODY"},
		{[]string{"unit", "create", "--code", "CSP-BAD", "--name", "X", "--hours", "lundi-vendredi 9 h-12 h"}, "--hours"},
		{[]string{"unit", "create", "--code", "CSP-BAD", "--name", "X", "--hours-notes", "closed_sundays"}, "closed_sundays"},
	} {
		if _, err := admin(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("admin %v: %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}

// TestAdminCampaignsRebuild: the rebuild runs from the command line and
// keeps the threshold it is given.
func TestAdminCampaignsRebuild(t *testing.T) {
	dir := t.TempDir()
	noenv := func(string) string { return "" }
	admin := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), append([]string{"admin", "campaigns"}, append(args, "--data", dir)...), noenv, nil, &out, &bytes.Buffer{})
		return out.String(), err
	}
	out, err := admin("rebuild", "--max-degree", "50")
	if err != nil || !strings.Contains(out, "threshold 50") || !strings.Contains(out, "0 reports") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	if out, err = admin("rebuild"); err != nil || !strings.Contains(out, "threshold 50") {
		t.Errorf("a second rebuild forgot the threshold: %v\n%s", err, out)
	}
	if _, err := admin("shuffle"); err == nil {
		t.Error("an unknown action was accepted")
	}
}
