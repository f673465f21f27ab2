package problem

import (
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/guichet/guichet"
)

// ContentType is the media type of a problem details document (RFC 9457).
const ContentType = "application/problem+json"

// Details is an RFC 9457 problem details object. Its member names are the
// RFC's; Errors is an extension member of the invalid-fields type.
type Details struct {
	// Type is the problem type's URI.
	Type string `json:"type"`
	// Title is the type's title, in the language of the request.
	Title string `json:"title"`
	// Status is the HTTP status of the answer.
	Status int `json:"status"`
	// Detail explains this occurrence, when a message safe to show was
	// given (see Explain).
	Detail string `json:"detail,omitempty"`
	// Instance is the path of the request that failed.
	Instance string `json:"instance,omitempty"`
	// Errors lists the fields an invalid-fields problem refused, in the
	// order of the input, each field once or more.
	Errors []FieldError `json:"errors,omitempty"`
}

// FieldError is one refused field of an invalid-fields problem.
type FieldError struct {
	// Field is the name of the field, as the request named it.
	Field string `json:"field"`
	// Key is the rule's message key ("err.required"): stable, for
	// programs to act on.
	Key string `json:"key"`
	// Detail is the rule's message in the request's language, for people.
	Detail string `json:"detail,omitempty"`
}

// Messages translates message keys into one language.
type Messages interface {
	// Lang is the language's BCP 47 tag, sent as Content-Language.
	Lang() string
	// T returns the message of key with args put in.
	T(key string, args ...any) string
}

// Writer writes errors as problem details. The zero value writes untitled
// details in English status text; set Messages to translate them.
type Writer struct {
	// Base, when set, is the public URL type URIs are resolved against,
	// making them absolute; nil leaves them relative paths.
	Base *url.URL
	// Messages returns the messages of the request's language; nil
	// titles problems with the HTTP status text and leaves field errors
	// without a message.
	Messages func(r *http.Request) Messages
	// Logger, when set, receives server faults (status 500 and up) with
	// the route; their text never reaches the client.
	Logger *slog.Logger
}

// URI returns the URI of t: absolute under Base when set.
func (pw *Writer) URI(t *Type) string {
	if pw.Base == nil {
		return t.Path()
	}
	return pw.Base.ResolveReference(&url.URL{Path: t.Path()}).String()
}

// Details returns the problem details of err answering r. Only what the
// table and Explain allow reaches them: never err's text.
func (pw *Writer) Details(r *http.Request, err error) Details {
	return pw.details(r, err, pw.messages(r))
}

func (pw *Writer) messages(r *http.Request) Messages {
	if pw.Messages == nil {
		return nil
	}
	return pw.Messages(r)
}

func (pw *Writer) details(r *http.Request, err error, msgs Messages) Details {
	t := Of(err)
	d := Details{Type: pw.URI(t), Title: http.StatusText(t.Status), Status: t.Status, Instance: r.URL.EscapedPath()}
	if msgs != nil {
		d.Title = msgs.T(t.Key + ".title")
	}
	var ex *explained
	if errors.As(err, &ex) && msgs != nil {
		d.Detail = msgs.T(ex.key, ex.args...)
	}
	var verr *guichet.ValidationError
	if t == InvalidFields && errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fe := FieldError{Field: f.Field, Key: f.Key}
			if msgs != nil {
				fe.Detail = msgs.T(f.Key, f.Args...)
			}
			d.Errors = append(d.Errors, fe)
		}
	}
	return d
}

// Write answers r with err as problem details: its status, Retry-After
// when the type has one, and the document as application/problem+json.
// It MUST be called before anything else is written to w.
func (pw *Writer) Write(w http.ResponseWriter, r *http.Request, err error) {
	msgs := pw.messages(r)
	d := pw.details(r, err, msgs)
	if d.Status >= 500 && pw.Logger != nil {
		pw.Logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	b, merr := json.Marshal(d)
	if merr != nil {
		// Details holds strings and ints only: this cannot happen.
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	SetRetryAfter(h, Of(err), err)
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if msgs != nil {
		h.Set("Content-Language", msgs.Lang())
	}
	w.WriteHeader(d.Status)
	_, _ = w.Write(append(b, '\n'))
}

// Wanted reports whether r asks for problem details rather than a page:
// its Accept header names application/problem+json or application/json
// and not text/html. Browsers navigating ask for text/html; scripts and
// API clients ask for JSON.
func Wanted(r *http.Request) bool {
	wantsJSON, wantsHTML := false, false
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(part)
			if err != nil {
				continue
			}
			switch mt {
			case ContentType, "application/json":
				wantsJSON = true
			case "text/html", "application/xhtml+xml":
				wantsHTML = true
			}
		}
	}
	return wantsJSON && !wantsHTML
}
