package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// runNormalize runs `guichet indicator normalize args…` on stdin through
// the command's run function and returns its output lines decoded, each
// as the raw object so that the exact field set can be checked.
func runNormalize(t *testing.T, stdin string, args ...string) ([]map[string]any, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), append([]string{"indicator", "normalize"}, args...), func(string) string { return "" }, strings.NewReader(stdin), &stdout, &stderr)
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if jerr := json.Unmarshal([]byte(l), &m); jerr != nil {
			t.Fatalf("output line is not JSON: %q: %v", l, jerr)
		}
		out = append(out, m)
	}
	return out, err
}

// baseFields is the field set every output object MUST have.
var baseFields = []string{"canonical", "display", "input", "kind", "reason", "registrable_domain", "valid"}

func TestIndicatorNormalizeAuto(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 100<<10) // beyond bufio.Scanner's 64 KiB
	input := strings.Join([]string{
		"https://WWW.Example.com/a/../login?utm_source=sms&id=7#top",
		"",
		"   ",
		"06 12 34 56 78\r", // CRLF line ending
		"FR76 3000 6000 0112 3456 7890 188",
		long,
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
		"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
		"Jean.Dupont@Bücher.DE",
		"no idea",
		"8.8.8.8", // last line without a newline
	}, "\n")
	out, err := runNormalize(t, input, "--kind", "auto")
	if err != nil {
		t.Fatalf("exit with error %v, want success even with invalid values", err)
	}
	type exp struct {
		kind, canonical, display, domain, reason string
		valid                                    bool
		extra                                    map[string]any
	}
	want := []exp{
		{kind: "url", valid: true, canonical: "https://www.example.com/login?utm_source=sms&id=7", display: "https://www.example.com/login?id=7", domain: "example.com"},
		{kind: "phone", valid: true, canonical: "+33612345678", display: "+33 6 12 34 56 78", extra: map[string]any{"type": "mobile", "country": "FR"}},
		{kind: "iban", reason: "iban.checksum"},
		{kind: "url", reason: "input.too_long"},
		{kind: "btc", valid: true, canonical: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", display: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
			extra: map[string]any{"type": "p2wpkh", "encoding": "bech32", "witness_version": 0.0, "network": "mainnet"}},
		{kind: "eth", valid: true, canonical: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", display: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{kind: "email", valid: true, canonical: "Jean.Dupont@xn--bcher-kva.de", display: "Jean.Dupont@xn--bcher-kva.de", domain: "xn--bcher-kva.de"},
		{kind: "unknown", reason: "kind.unknown"},
		{kind: "ip", valid: true, canonical: "8.8.8.8", display: "8.8.8.8"},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d output lines, want %d (blank lines skipped, one per value): %v", len(out), len(want), out)
	}
	inputs := []string{
		"https://WWW.Example.com/a/../login?utm_source=sms&id=7#top", "06 12 34 56 78", "FR76 3000 6000 0112 3456 7890 188",
		long[:8192], "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed",
		"Jean.Dupont@Bücher.DE", "no idea", "8.8.8.8",
	}
	for i, w := range want {
		got := out[i]
		fields := append(slices.Clone(baseFields), slices.Collect(maps.Keys(w.extra))...)
		slices.Sort(fields)
		if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, fields) {
			t.Errorf("line %d: fields %v, want %v", i, keys, fields)
		}
		if got["input"] != inputs[i] {
			t.Errorf("line %d: input %.60q, want %.60q", i, got["input"], inputs[i])
		}
		if got["kind"] != w.kind || got["valid"] != w.valid || got["canonical"] != w.canonical || got["display"] != w.display ||
			got["registrable_domain"] != w.domain || got["reason"] != w.reason {
			t.Errorf("line %d: got %v, want %+v", i, got, w)
		}
		for k, v := range w.extra {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
	}
}

func TestIndicatorNormalizeKindAndRegion(t *testing.T) {
	out, err := runNormalize(t, "0690 00 12 34\nexample.com\n", "--kind", "phone", "--region", "GP")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 {
		t.Fatalf("got %v", out)
	}
	if out[0]["canonical"] != "+590690001234" || out[0]["kind"] != "phone" {
		t.Errorf("Guadeloupe mobile read in GP: got %v", out[0])
	}
	// Every line is read as the kind given, even one that is not of it.
	if out[1]["kind"] != "phone" || out[1]["valid"] != false || out[1]["reason"] != "phone.parse" {
		t.Errorf("a domain read as a phone: got %v", out[1])
	}
}

func TestIndicatorNormalizeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--kind", "plate"},
		{"--region", "XX"},
		{"stray-argument"},
		{"--no-such-flag"},
	} {
		out, err := runNormalize(t, "example.com\n", args...)
		if err == nil || exitCode(err) != 2 || len(out) != 0 {
			t.Errorf("%v: got error %v (exit %d), %d lines; want a usage error (exit 2) and no output", args, err, exitCode(err), len(out))
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"help"}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "indicator") {
		t.Errorf("guichet help does not list the indicator command:\n%s", stdout.String())
	}
	stdout.Reset()
	if err := run(t.Context(), []string{"indicator", "--help"}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "guichet indicator normalize") {
		t.Errorf("guichet indicator --help: %v\n%s", err, stdout.String())
	}
}
