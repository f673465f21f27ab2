package xarf

import (
	"fmt"
	"strings"

	"github.com/guichet/guichet"
)

// The stable codes of the problems Parse reports. They never change once
// published: the partner API turns them into RFC 9457 problem types.
const (
	CodeTooLarge           = "xarf.too_large"
	CodeMalformedJSON      = "xarf.malformed_json"
	CodeNotObject          = "xarf.not_object"
	CodeMissingVersion     = "xarf.missing_version"
	CodeUnsupportedVersion = "xarf.unsupported_version"
	CodeRequired           = "xarf.required"
	CodeWrongType          = "xarf.wrong_type"
	CodeNotInEnum          = "xarf.not_in_enum"
	CodeUnknownCategory    = "xarf.unknown_category"
	CodeUnknownType        = "xarf.unknown_type"
	CodeBadFormat          = "xarf.bad_format"
	CodePattern            = "xarf.pattern_mismatch"
	CodeOutOfRange         = "xarf.out_of_range"
	CodeTooLong            = "xarf.too_long"
	CodeTooMany            = "xarf.too_many_items"
	CodeUnknownField       = "xarf.unknown_field"
	CodeBadBase64          = "xarf.bad_base64"
	CodeHashMismatch       = "xarf.hash_mismatch"
	CodeEvidenceTooLarge   = "xarf.evidence_too_large"
	CodeV3UnmappedType     = "xarf.v3_unmapped_type"
)

// Problem is one rule a report broke: a stable Code, the JSON path of the
// offending value ("$.evidence[0].payload", "$" for the document) and a
// Message in English for people, which never quotes the value itself.
type Problem struct {
	Code    string `json:"code"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ProblemError is why a report was refused: every problem found, in
// document order, at least one. It wraps guichet.ErrInvalid.
type ProblemError struct {
	Problems []Problem
}

// Code is the code of the first problem.
func (e *ProblemError) Code() string { return e.Problems[0].Code }

// Path is the path of the first problem.
func (e *ProblemError) Path() string { return e.Problems[0].Path }

func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("xarf:")
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, " (and %d more)", len(e.Problems)-5)
			break
		}
		fmt.Fprintf(&b, " %s: %s (%s);", p.Path, p.Message, p.Code)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Unwrap makes errors.Is(err, guichet.ErrInvalid) true.
func (e *ProblemError) Unwrap() error { return guichet.ErrInvalid }

// problems collects Problem values while a document is checked.
type problems []Problem

func (ps *problems) add(code, path, format string, args ...any) {
	*ps = append(*ps, Problem{Code: code, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ProblemError{Problems: ps}
}

func one(code, path, format string, args ...any) error {
	var ps problems
	ps.add(code, path, format, args...)
	return ps.err()
}
