package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestConfigDurations(t *testing.T) {
	for _, tc := range []struct {
		name      string
		env       map[string]string
		args      []string
		every     time.Duration
		closed    time.Duration
		wantError string
	}{
		{name: "defaults", every: time.Hour, closed: 365 * 24 * time.Hour},
		{name: "environment, in days", env: map[string]string{"GUICHET_RETENTION_EVERY": "15m", "GUICHET_CLOSED_RETENTION": "90d"},
			every: 15 * time.Minute, closed: 90 * 24 * time.Hour},
		{name: "flags win", env: map[string]string{"GUICHET_CLOSED_RETENTION": "90d"}, args: []string{"--closed-retention", "2160h"},
			every: time.Hour, closed: 90 * 24 * time.Hour},
		{name: "bad environment is an error, not a silent default", env: map[string]string{"GUICHET_RETENTION_EVERY": "often"},
			wantError: "GUICHET_RETENTION_EVERY"},
		{name: "zero refused", env: map[string]string{"GUICHET_CLOSED_RETENTION": "0d"}, wantError: "GUICHET_CLOSED_RETENTION"},
		{name: "bad flag", args: []string{"--closed-retention", "-3d"}, wantError: "positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			fs := newFlagSet("test", "", io.Discard)
			c.flags(fs, func(k string) string { return tc.env[k] }, "", t.TempDir())
			err := fs.Parse(tc.args)
			if err == nil {
				err = c.finish()
			}
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want one naming %q", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Retention != tc.every || c.ClosedRetention != tc.closed {
				t.Errorf("retention every %v, closed %v; want %v, %v", c.Retention, c.ClosedRetention, tc.every, tc.closed)
			}
		})
	}
}
