// Package guichet holds the domain vocabulary shared by every capability of
// the virtual police station: the error kinds that cross package boundaries
// and the clock every service is given.
//
// Error kinds are sentinel values. Services wrap them with context
// (fmt.Errorf("complaint %s: confirm: %w", ref, guichet.ErrConflict)) and the
// HTTP layers map them to a status and an RFC 9457 problem type in exactly
// one place.
package guichet

import (
	"errors"
	"strings"
	"time"
)

// Error kinds. Every error returned by a service or a store MUST wrap at most
// one of these; an error wrapping none of them is an internal failure.
var (
	// ErrNotFound: the object does not exist, or the caller may not know it exists.
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the input is malformed or breaks a rule; see ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrConflict: the change collides with the current state (slot full, stale draft).
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: the caller must prove who they are (or hold the right code).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrRateLimited: too many attempts; try again later.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: the service sheds load or a dependency is down; retry later.
	ErrUnavailable = errors.New("temporarily unavailable")
)

// FieldError is one rule broken by one form field. Key is a message key of
// the translation catalogue (for instance "err.required"), never prose, so
// each page shows it in its own language.
type FieldError struct {
	Field string
	Key   string
	Args  []any
}

// ValidationError lists every field error found in one input. It wraps
// ErrInvalid. The zero value is ready to use.
type ValidationError struct {
	Fields []FieldError
}

// Add records that field broke the rule named by key.
func (v *ValidationError) Add(field, key string, args ...any) {
	v.Fields = append(v.Fields, FieldError{Field: field, Key: key, Args: args})
}

// For returns the first error recorded for field, if any.
func (v *ValidationError) For(field string) (FieldError, bool) {
	if v == nil {
		return FieldError{}, false
	}
	for _, f := range v.Fields {
		if f.Field == field {
			return f, true
		}
	}
	return FieldError{}, false
}

// Err returns v when it holds at least one field error, and nil otherwise.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid input:")
	for _, f := range v.Fields {
		b.WriteString(" ")
		b.WriteString(f.Field)
		b.WriteString("=")
		b.WriteString(f.Key)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (v *ValidationError) Unwrap() error { return ErrInvalid }

// RetryError says when a refused request (ErrRateLimited, ErrUnavailable)
// may be tried again. It wraps the refusal, so errors.Is still finds the
// kind; the HTTP layers send After as Retry-After.
type RetryError struct {
	Err   error
	After time.Duration
}

// RetryAfter wraps err with the delay after which a retry may succeed.
func RetryAfter(err error, after time.Duration) error {
	return &RetryError{Err: err, After: after}
}

func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap returns the refusal.
func (e *RetryError) Unwrap() error { return e.Err }

// Clock tells the time. Services take one so tests can move time.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock, in UTC, to the microsecond: the finest
// precision both stores keep, so a time read back equals the time written.
type SystemClock struct{}

// Now returns the current time in UTC, truncated to the microsecond.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
