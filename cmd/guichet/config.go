package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/alert"
)

// config is the configuration of a running instance, built from flags and
// GUICHET_* environment variables (flags win).
type config struct {
	Addr      string
	DataDir   string
	Database  string // sqlite:///path or postgres://…
	Blob      string // file:///dir or s3://…
	LogBlob   string // the log's tiles: s3://…, or empty for DataDir/log
	PublicURL string
	LogFormat string // json or text
	Secure    bool   // served over HTTPS (directly or behind a proxy)
	Retention time.Duration
	// ClosedRetention is how long a closed pre-complaint keeps its
	// personal data before erasure.
	ClosedRetention time.Duration
	// EscalateAfter is how long a silent alert may stay unacknowledged
	// before it is raised to supervisors (default 30 s); EscalateEvery is
	// how often every node looks for such alerts (default 5 s).
	EscalateAfter, EscalateEvery time.Duration
	// MapLink is the external map an alert's position links to, with
	// {lat} and {lon}; empty: no link (see web.Config.MapLink).
	MapLink string
	// envErr is the first GUICHET_* value that did not parse; finish
	// reports it.
	envErr error
	// noRateLimit turns the per-client rate limits off (benchmarks only).
	noRateLimit bool
}

// flags registers the instance flags on fs with defaults taken from the
// environment.
func (c *config) flags(fs *flag.FlagSet, getenv func(string) string, defAddr, defData string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("GUICHET_ADDR", defAddr), "listen address `host:port` (GUICHET_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("GUICHET_DATA", defData), "data `directory` for keys, SQLite, evidence and the log (GUICHET_DATA)")
	fs.StringVar(&c.Database, "database", env("GUICHET_DATABASE", ""), "database `url`: sqlite:///path/guichet.db or postgres://… (GUICHET_DATABASE; default SQLite in the data directory)")
	fs.StringVar(&c.Blob, "blob", env("GUICHET_BLOB", ""), "evidence storage `url`: file:///dir or s3://bucket?region=eu-west-3, for S3-compatible stores add &endpoint=https://host&use_path_style=true; credentials from the AWS environment or profile, never in the URL (GUICHET_BLOB; default files in the data directory)")
	fs.StringVar(&c.LogBlob, "log-blob", env("GUICHET_LOG_BLOB", ""), "transparency log storage `url`: s3://bucket?region=… with the same parameters as --blob, tiles under log/ (GUICHET_LOG_BLOB; default files in the data directory, durable on local disk)")
	fs.StringVar(&c.PublicURL, "public-url", env("GUICHET_PUBLIC_URL", ""), "public base `url` of the service, e.g. https://guichet.example.fr (GUICHET_PUBLIC_URL)")
	fs.StringVar(&c.LogFormat, "log-format", env("GUICHET_LOG_FORMAT", "json"), "log format: json or text (GUICHET_LOG_FORMAT)")
	fs.StringVar(&c.MapLink, "map-link", env("GUICHET_MAP_LINK", ""), "external map `url` an alert's position links to on the dispatch console, with {lat} and {lon}, e.g. https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon} (a link only, never fetched; GUICHET_MAP_LINK; default none)")
	c.Retention, c.ClosedRetention = time.Hour, 365*24*time.Hour
	c.EscalateAfter, c.EscalateEvery = alert.DefaultEscalateAfter, 5*time.Second
	for _, d := range []struct {
		dst        *time.Duration
		flag, name string
		usage      string
	}{
		{&c.Retention, "retention-every", "GUICHET_RETENTION_EVERY", "how often the retention job runs (GUICHET_RETENTION_EVERY)"},
		{&c.ClosedRetention, "closed-retention", "GUICHET_CLOSED_RETENTION", "how long a closed pre-complaint keeps its personal data, e.g. 365d (GUICHET_CLOSED_RETENTION)"},
		{&c.EscalateAfter, "escalate-after", "GUICHET_ESCALATE_AFTER", "how long a silent alert may stay unacknowledged before it is raised to supervisors and shown as urgent, e.g. 30s (GUICHET_ESCALATE_AFTER)"},
		{&c.EscalateEvery, "escalate-every", "GUICHET_ESCALATE_EVERY", "how often every node looks for silent alerts to escalate, e.g. 5s (GUICHET_ESCALATE_EVERY)"},
	} {
		if v := getenv(d.name); v != "" {
			parsed, err := parseDuration(v)
			if err != nil && c.envErr == nil {
				c.envErr = usageError{fmt.Sprintf("%s=%q: %v", d.name, v, err)}
			} else if err == nil {
				*d.dst = parsed
			}
		}
		fs.Var((*durationValue)(d.dst), d.flag, d.usage)
	}
}

// maxDays bounds a duration given in days: a century.
const maxDays = 36500

// parseDuration reads a Go duration ("90m", "1h") or a number of days
// ("30d"), which must be positive.
func parseDuration(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if n, err = strconv.Atoi(days); err == nil {
			if n > maxDays { // beyond, the duration would overflow
				return 0, fmt.Errorf("at most %d days", maxDays)
			}
			d = time.Duration(n) * 24 * time.Hour
		}
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 90m, 12h or 30d")
	}
	return d, nil
}

// durationValue is a flag.Value for parseDuration.
type durationValue time.Duration

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := parseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

// finish fills derived defaults and checks the result.
func (c *config) finish() error {
	if c.envErr != nil {
		return c.envErr
	}
	if c.DataDir == "" {
		return usageError{"--data is required"}
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = abs
	if c.Database == "" {
		c.Database = "sqlite://" + filepath.Join(c.DataDir, "guichet.db")
	}
	if c.Blob == "" {
		c.Blob = "file://" + filepath.Join(c.DataDir, "evidence")
	}
	if err := checkBlobURLs(c.Blob, c.LogBlob); err != nil {
		return err
	}
	if !strings.HasPrefix(c.Database, "sqlite://") && !strings.HasPrefix(c.Database, "postgres://") && !strings.HasPrefix(c.Database, "postgresql://") {
		return usageError{fmt.Sprintf("--database %q: want sqlite:///path or postgres://…", c.Database)}
	}
	if c.MapLink != "" {
		u, err := url.Parse(strings.NewReplacer("{lat}", "0", "{lon}", "0").Replace(c.MapLink))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || !strings.Contains(c.MapLink, "{lat}") || !strings.Contains(c.MapLink, "{lon}") {
			return usageError{fmt.Sprintf("--map-link %q: want an http(s) address with {lat} and {lon}", c.MapLink)}
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Sprintf("--public-url %q: want http(s)://host", c.PublicURL)}
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
		c.Secure = u.Scheme == "https"
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		return usageError{fmt.Sprintf("--log-format %q: want json or text", c.LogFormat)}
	}
	return nil
}

// checkBlobURLs refuses credentials in --blob and --log-blob (they come
// from the AWS environment or profile, and a URL ends up in process
// lists and error messages), and accepts for --log-blob only empty or
// s3://: file:// is refused because gocloud's file driver does not fsync,
// and the log's store must be durable, as its default directory is.
func checkBlobURLs(blob, logBlob string) error {
	for _, f := range []struct{ name, raw string }{{"--blob", blob}, {"--log-blob", logBlob}} {
		if u, err := url.Parse(f.raw); err == nil && u.User != nil {
			return usageError{f.name + ": credentials do not belong in the URL: use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE"}
		}
	}
	if logBlob == "" {
		return nil
	}
	u, err := url.Parse(logBlob)
	switch {
	case err != nil:
		return usageError{"--log-blob: bad URL"}
	case u.Scheme == "file":
		return usageError{"--log-blob file://… is not durable (the file driver does not fsync): leave --log-blob empty for the log's durable directory in the data directory"}
	case u.Scheme != "s3" || u.Host == "":
		return usageError{fmt.Sprintf("--log-blob %s://…: want s3://bucket?region=…", u.Scheme)}
	}
	return nil
}

// newFlagSet returns a flag set that prints its usage to w and returns
// errors instead of exiting.
func newFlagSet(name, summary string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		fmt.Fprintf(w, "Usage: guichet %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}
