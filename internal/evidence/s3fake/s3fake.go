// Package s3fake runs an in-process S3 server for tests, so that the
// s3:// blob driver is exercised over the real S3 protocol (HTTP, request
// signing, path-style addressing, multipart uploads) without a cloud
// account. Only tests import it: the guichet binary does not link it.
package s3fake

import (
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Region is the region every URL of the fake names.
const Region = "eu-west-3"

// Server is a running fake S3 endpoint holding its objects in memory.
type Server struct {
	// Endpoint is the server's base URL (http://127.0.0.1:port).
	Endpoint string
	backend  *s3mem.Backend
}

// Start starts a fake S3 server that stops when t ends. It points the
// standard AWS credential chain at static test credentials through the
// environment (so t and its parents MUST NOT be parallel) and away from
// the machine's shared config files and instance metadata, which a test
// must never read.
func Start(t testing.TB) *Server {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "guichet-test",
		"AWS_SECRET_ACCESS_KEY":       "guichet-test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithoutVersioning()).Server())
	t.Cleanup(srv.Close)
	return &Server{Endpoint: srv.URL, backend: backend}
}

// Bucket creates the bucket name and returns its gocloud URL, in the form
// an operator of an S3-compatible store writes:
// s3://name?region=…&endpoint=http://…&use_path_style=true.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	if err := s.backend.CreateBucket(name); err != nil {
		t.Fatalf("s3fake: create bucket %s: %v", name, err)
	}
	q := url.Values{
		"region":         {Region},
		"endpoint":       {s.Endpoint},
		"use_path_style": {"true"},
	}
	return (&url.URL{Scheme: "s3", Host: name, RawQuery: q.Encode()}).String()
}
