package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

// fakeMessages "translates" a key into "<lang>:<key>[args]".
type fakeMessages string

func (m fakeMessages) Lang() string { return string(m) }
func (m fakeMessages) T(key string, args ...any) string {
	if len(args) == 0 {
		return string(m) + ":" + key
	}
	return fmt.Sprintf("%s:%s%v", m, key, args)
}

func invalidFields() error {
	var v guichet.ValidationError
	v.Add("last_name", "err.required")
	v.Add("birth_date", "err.date_past", 2026)
	return fmt.Errorf("complaint: identity: %w", v.Err())
}

// cases is one error of every type, wrapped as services wrap them.
var cases = []struct {
	err    error
	want   *Type
	status int
	slug   string
}{
	{fmt.Errorf("upload: %w", &http.MaxBytesError{Limit: 10}), TooLarge, 413, "too-large"},
	{invalidFields(), InvalidFields, 422, "invalid-fields"},
	{fmt.Errorf("batch: %w", ErrKeyReused), KeyReused, 422, "idempotency-key-reused"},
	{fmt.Errorf("body: %w", ErrMediaType), MediaType, 415, "unsupported-media-type"},
	{fmt.Errorf("case PP-1: %w", guichet.ErrNotFound), NotFound, 404, "not-found"},
	{fmt.Errorf("form: bad UTF-8: %w", guichet.ErrInvalid), Invalid, 400, "invalid"},
	{fmt.Errorf("slot full: %w", guichet.ErrConflict), Conflict, 409, "conflict"},
	{fmt.Errorf("session: %w", guichet.ErrUnauthenticated), Unauthenticated, 401, "unauthenticated"},
	{fmt.Errorf("unit: %w", guichet.ErrForbidden), Forbidden, 403, "forbidden"},
	{guichet.RetryAfter(fmt.Errorf("codes: %w", guichet.ErrRateLimited), 15*time.Minute), RateLimited, 429, "rate-limited"},
	{fmt.Errorf("shedding: %w", guichet.ErrUnavailable), Unavailable, 503, "unavailable"},
	{errors.New("pq: password authentication failed for user secret"), Internal, 500, "internal"},
}

func TestOfEveryKind(t *testing.T) {
	seen := map[*Type]bool{}
	for _, tc := range cases {
		got := Of(tc.err)
		if got != tc.want || got.Status != tc.status || got.Slug != tc.slug {
			t.Errorf("Of(%v) = %+v, want %s (%d)", tc.err, got, tc.slug, tc.status)
		}
		seen[got] = true
	}
	for _, typ := range Types() {
		if !seen[typ] {
			t.Errorf("type %s has no case", typ.Slug)
		}
		if got, ok := BySlug(typ.Slug); !ok || got != typ {
			t.Errorf("BySlug(%q) = %v, %v", typ.Slug, got, ok)
		}
		if !strings.HasPrefix(typ.Key, "error.") {
			t.Errorf("%s: key %q", typ.Slug, typ.Key)
		}
	}
	if Of(nil) != Internal {
		t.Error("Of(nil) is not Internal")
	}
	if _, ok := BySlug("nope"); ok {
		t.Error("BySlug found an unknown slug")
	}
	// Explain and RetryAfter keep the kind.
	if Of(Explain(fmt.Errorf("x: %w", guichet.ErrConflict), "k")) != Conflict {
		t.Error("Explain lost the kind")
	}
}

// TestWriteEveryKind checks each answer against RFC 9457: the media type,
// the member names and types, and that the status member is the status.
func TestWriteEveryKind(t *testing.T) {
	base, _ := url.Parse("https://guichet.example/")
	pw := &Writer{Base: base, Messages: func(r *http.Request) Messages { return fakeMessages("en") }}
	for _, tc := range cases {
		t.Run(tc.slug, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/v1/cases/PP-2026-7KQ3-M9TX?code=secret", nil)
			rec := httptest.NewRecorder()
			pw.Write(rec, r, tc.err)
			res := rec.Result()
			if res.StatusCode != tc.status {
				t.Errorf("status %d, want %d", res.StatusCode, tc.status)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Content-Language") != "en" {
				t.Errorf("headers %v", res.Header)
			}
			body, _ := io.ReadAll(res.Body)
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				t.Fatalf("%s: %v", body, err)
			}
			allowed := []string{"type", "title", "status", "detail", "instance", "errors"}
			for k := range m {
				if !slices.Contains(allowed, k) {
					t.Errorf("unexpected member %q", k)
				}
			}
			if m["type"] != "https://guichet.example/problemes/"+tc.slug {
				t.Errorf("type %v", m["type"])
			}
			if m["title"] != "en:"+tc.want.Key+".title" {
				t.Errorf("title %v", m["title"])
			}
			if s, ok := m["status"].(float64); !ok || int(s) != tc.status {
				t.Errorf("status member %v", m["status"])
			}
			if m["instance"] != "/api/v1/cases/PP-2026-7KQ3-M9TX" {
				t.Errorf("instance %v (the query must not be repeated)", m["instance"])
			}
			if _, ok := m["detail"]; ok {
				t.Errorf("detail %v without Explain", m["detail"])
			}
			if strings.Contains(string(body), "secret") || strings.Contains(string(body), "pq:") {
				t.Errorf("internal detail leaked: %s", body)
			}
			_, hasErrors := m["errors"]
			if hasErrors != (tc.want == InvalidFields) {
				t.Errorf("errors member present=%v for %s", hasErrors, tc.slug)
			}
			ra := res.Header.Get("Retry-After")
			switch tc.want {
			case RateLimited:
				if ra != "900" {
					t.Errorf("Retry-After %q, want the error's 900", ra)
				}
			case Unavailable:
				if ra != "60" {
					t.Errorf("Retry-After %q, want the default 60", ra)
				}
			default:
				if ra != "" {
					t.Errorf("Retry-After %q on %s", ra, tc.slug)
				}
			}
		})
	}
}

func TestInvalidFieldsMember(t *testing.T) {
	pw := &Writer{Messages: func(*http.Request) Messages { return fakeMessages("fr") }}
	d := pw.Details(httptest.NewRequest(http.MethodPost, "/x", nil), invalidFields())
	want := []FieldError{
		{Field: "last_name", Key: "err.required", Detail: "fr:err.required"},
		{Field: "birth_date", Key: "err.date_past", Detail: "fr:err.date_past[2026]"},
	}
	if !slices.Equal(d.Errors, want) {
		t.Errorf("errors %+v, want %+v", d.Errors, want)
	}
	b, _ := json.Marshal(d.Errors[0])
	if string(b) != `{"field":"last_name","key":"err.required","detail":"fr:err.required"}` {
		t.Errorf("field error JSON %s", b)
	}
	if d.Type != "/problemes/invalid-fields" {
		t.Errorf("relative type %q", d.Type)
	}
}

func TestExplain(t *testing.T) {
	pw := &Writer{Messages: func(*http.Request) Messages { return fakeMessages("fr") }}
	err := Explain(fmt.Errorf("passkey: %w", guichet.ErrUnauthenticated), "agent.passkey.session_gone")
	d := pw.Details(httptest.NewRequest(http.MethodPost, "/x", nil), err)
	if d.Detail != "fr:agent.passkey.session_gone" || d.Status != 401 {
		t.Errorf("%+v", d)
	}
}

// TestWriteWithoutMessages: the zero Writer still writes valid details.
func TestWriteWithoutMessages(t *testing.T) {
	var logs strings.Builder
	pw := &Writer{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	rec := httptest.NewRecorder()
	pw.Write(rec, httptest.NewRequest(http.MethodGet, "/y", nil), errors.New("disk on fire"))
	var d Details
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	want := Details{Type: "/problemes/internal", Title: "Internal Server Error", Status: 500, Instance: "/y"}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("%+v, want %+v", d, want)
	}
	if rec.Header().Get("Content-Language") != "" {
		t.Error("Content-Language without messages")
	}
	if !strings.Contains(logs.String(), "disk on fire") {
		t.Errorf("server fault not logged: %q", logs.String())
	}
	// Client errors are not logged as faults.
	logs.Reset()
	pw.Write(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/y", nil), guichet.ErrNotFound)
	if logs.Len() != 0 {
		t.Errorf("logged a 404: %q", logs.String())
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{guichet.RetryAfter(guichet.ErrRateLimited, 1500*time.Millisecond), "2"},
		{guichet.RetryAfter(guichet.ErrUnavailable, 3*time.Second), "3"},
		{guichet.RetryAfter(guichet.ErrRateLimited, 0), "60"},
		{fmt.Errorf("wrapped: %w", guichet.RetryAfter(guichet.ErrUnavailable, time.Hour)), "3600"},
		{guichet.RetryAfter(guichet.ErrConflict, time.Hour), ""},
	} {
		h := http.Header{}
		SetRetryAfter(h, Of(tc.err), tc.err)
		if got := h.Get("Retry-After"); got != tc.want {
			t.Errorf("%v: Retry-After %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestWanted(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"*/*"}, false},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false},
		{[]string{"application/problem+json"}, true},
		{[]string{"application/problem+json, application/json"}, true},
		{[]string{"Application/JSON; charset=utf-8"}, true},
		{[]string{"application/json", "text/html"}, false},
		{[]string{"garbage;;;"}, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, a := range tc.accept {
			r.Header.Add("Accept", a)
		}
		if got := Wanted(r); got != tc.want {
			t.Errorf("Accept %q: %v, want %v", tc.accept, got, tc.want)
		}
	}
}
