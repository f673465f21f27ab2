// Package problem is the one table that maps guichet's error kinds to HTTP:
// a status, a stable RFC 9457 problem type, a title and the error page that
// shows it. The HTML pages (internal/web) look errors up here to choose
// their error page; the JSON answers (the partner API, the passkey steps)
// write them as application/problem+json with Writer.
//
// # Problem type URIs
//
// Every type is identified by its slug ("not-found"), which never changes
// once published. Its URI is the path PathPrefix+slug ("/problemes/not-found")
// resolved against the site's public URL when one is configured
// ("https://guichet.example/problemes/not-found"), and that path alone, a
// relative reference resolved against the request's URL, otherwise. The web
// server serves a page describing each type at that address. Clients MUST
// compare types by URI (or by slug), never by title, which is translated.
package problem

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/guichet/guichet"
)

// PathPrefix is where the pages describing the problem types are served.
const PathPrefix = "/problemes/"

// Type is one kind of problem: one row of the table.
type Type struct {
	// Slug is the last segment of the type URI, stable once published.
	Slug string
	// Status is the HTTP status every answer of this type carries.
	Status int
	// Key is the catalogue prefix of the type's messages: Key+".title"
	// is its title, Key+".body" what the error page tells a citizen.
	Key string

	match func(error) bool
}

// Path is the local path of the type's URI and descriptive page.
func (t *Type) Path() string { return PathPrefix + t.Slug }

func is(kind error) func(error) bool {
	return func(err error) bool { return errors.Is(err, kind) }
}

func as[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// ErrKeyReused is an Idempotency-Key sent again with another request
// than the one it was first sent with.
var ErrKeyReused = errors.New("idempotency key reused with another request")

// ErrMediaType is a request body of a media type the route does not read.
var ErrMediaType = errors.New("unsupported media type")

// The problem types. Internal matches every error the others do not.
var (
	KeyReused       = &Type{Slug: "idempotency-key-reused", Status: http.StatusUnprocessableEntity, Key: "error.key_reused", match: is(ErrKeyReused)}
	MediaType       = &Type{Slug: "unsupported-media-type", Status: http.StatusUnsupportedMediaType, Key: "error.media_type", match: is(ErrMediaType)}
	TooLarge        = &Type{Slug: "too-large", Status: http.StatusRequestEntityTooLarge, Key: "error.too_large", match: as[*http.MaxBytesError]}
	InvalidFields   = &Type{Slug: "invalid-fields", Status: http.StatusUnprocessableEntity, Key: "error.invalid", match: as[*guichet.ValidationError]}
	NotFound        = &Type{Slug: "not-found", Status: http.StatusNotFound, Key: "error.not_found", match: is(guichet.ErrNotFound)}
	Invalid         = &Type{Slug: "invalid", Status: http.StatusBadRequest, Key: "error.invalid", match: is(guichet.ErrInvalid)}
	Conflict        = &Type{Slug: "conflict", Status: http.StatusConflict, Key: "error.conflict", match: is(guichet.ErrConflict)}
	Unauthenticated = &Type{Slug: "unauthenticated", Status: http.StatusUnauthorized, Key: "error.unauthenticated", match: is(guichet.ErrUnauthenticated)}
	Forbidden       = &Type{Slug: "forbidden", Status: http.StatusForbidden, Key: "error.forbidden", match: is(guichet.ErrForbidden)}
	RateLimited     = &Type{Slug: "rate-limited", Status: http.StatusTooManyRequests, Key: "error.rate_limited", match: is(guichet.ErrRateLimited)}
	Unavailable     = &Type{Slug: "unavailable", Status: http.StatusServiceUnavailable, Key: "error.unavailable", match: is(guichet.ErrUnavailable)}
	Internal        = &Type{Slug: "internal", Status: http.StatusInternalServerError, Key: "error.internal", match: func(error) bool { return true }}
)

// table is every type in the order errors are matched: the specific
// error types before the kinds they wrap (a ValidationError wraps
// ErrInvalid), Internal last.
var table = []*Type{TooLarge, KeyReused, MediaType, InvalidFields, NotFound, Invalid, Conflict, Unauthenticated, Forbidden, RateLimited, Unavailable, Internal}

// Types returns every problem type, Internal last. The slice is a copy.
func Types() []*Type { return append([]*Type(nil), table...) }

// Of returns the type of err: the first row of the table that err
// matches, Internal for an error that wraps no known kind (and for nil).
func Of(err error) *Type {
	if err == nil {
		return Internal
	}
	for _, t := range table {
		if t.match(err) {
			return t
		}
	}
	return Internal
}

// BySlug returns the type whose slug is slug.
func BySlug(slug string) (*Type, bool) {
	for _, t := range table {
		if t.Slug == slug {
			return t, true
		}
	}
	return nil, false
}

// DefaultRetry is the Retry-After sent with a refusal that carries no
// delay of its own (see guichet.RetryError).
const DefaultRetry = time.Minute

// SetRetryAfter sets the Retry-After header, in whole seconds rounded up,
// when t is RateLimited or Unavailable: the delay err carries as a
// guichet.RetryError, else DefaultRetry. Other types set nothing.
func SetRetryAfter(h http.Header, t *Type, err error) {
	if t != RateLimited && t != Unavailable {
		return
	}
	after := DefaultRetry
	var re *guichet.RetryError
	if errors.As(err, &re) && re.After > 0 {
		after = re.After
	}
	h.Set("Retry-After", strconv.FormatInt(int64((after+time.Second-1)/time.Second), 10))
}

// explained is an error with a message safe to show its recipient.
type explained struct {
	err  error
	key  string
	args []any
}

func (e *explained) Error() string { return e.err.Error() }
func (e *explained) Unwrap() error { return e.err }

// Explain wraps err with the catalogue key (and arguments) of a message
// that Writer sends as the problem's detail. An error's own text is never
// sent: it may name internals or personal data.
func Explain(err error, key string, args ...any) error {
	return &explained{err: err, key: key, args: args}
}
