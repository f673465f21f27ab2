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
		{name: "days that would overflow", env: map[string]string{"GUICHET_CLOSED_RETENTION": "90098700d"}, wantError: "at most 36500 days"},
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

func TestConfigBlobURLs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		env           map[string]string
		args          []string
		blob, logBlob string // want, with "DATA" for the data directory
		wantError     string
	}{
		{name: "defaults: files in the data directory", blob: "file://DATA/evidence"},
		{name: "environment", env: map[string]string{"GUICHET_BLOB": "s3://ev?region=eu-west-3", "GUICHET_LOG_BLOB": "s3://tiles?region=eu-west-3"},
			blob: "s3://ev?region=eu-west-3", logBlob: "s3://tiles?region=eu-west-3"},
		{name: "flags, S3-compatible store", args: []string{"--log-blob", "s3://tiles?endpoint=https://s3.gra.io.cloud.ovh.net&use_path_style=true&region=gra"},
			blob: "file://DATA/evidence", logBlob: "s3://tiles?endpoint=https://s3.gra.io.cloud.ovh.net&use_path_style=true&region=gra"},
		{name: "log on file:// is not durable", args: []string{"--log-blob", "file:///srv/log"}, wantError: "not durable"},
		{name: "log on another scheme", args: []string{"--log-blob", "gs://tiles"}, wantError: "want s3://"},
		{name: "log without a bucket", args: []string{"--log-blob", "s3://?region=x"}, wantError: "want s3://"},
		{name: "credentials in the evidence URL", args: []string{"--blob", "s3://AKIA:secret@ev"}, wantError: "credentials"},
		{name: "credentials in the log URL", env: map[string]string{"GUICHET_LOG_BLOB": "s3://AKIA:secret@tiles"}, wantError: "credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c config
			dir := t.TempDir()
			fs := newFlagSet("test", "", io.Discard)
			c.flags(fs, func(k string) string { return tc.env[k] }, "", dir)
			err := fs.Parse(tc.args)
			if err == nil {
				err = c.finish()
			}
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantError)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("the error repeats the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.ReplaceAll(tc.blob, "DATA", dir); c.Blob != want || c.LogBlob != tc.logBlob {
				t.Errorf("blob %q, log blob %q; want %q, %q", c.Blob, c.LogBlob, want, tc.logBlob)
			}
		})
	}
}
