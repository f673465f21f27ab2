package arf

import (
	"fmt"

	"github.com/guichet/guichet"
)

// The stable codes of the problems the parser reports. They never change
// once published: the partner API turns them into RFC 9457 problem types.
const (
	CodeEmpty              = "arf.empty"
	CodeTooLarge           = "arf.too_large"
	CodeHeaderTooLarge     = "arf.header_too_large"
	CodeTooManyParts       = "arf.too_many_parts"
	CodeTooDeep            = "arf.too_deep"
	CodeMalformedHeader    = "arf.malformed_header"
	CodeNotMultipartReport = "arf.not_multipart_report"
	CodeNotFeedbackReport  = "arf.not_feedback_report"
	CodeMissingBoundary    = "arf.missing_boundary"
	CodeMissingFeedback    = "arf.missing_feedback_part"
	CodeMissingType        = "arf.missing_feedback_type"
	CodeUnknownType        = "arf.unknown_feedback_type"
	CodeBadSourceIP        = "arf.bad_source_ip"
	CodeBadEncoding        = "arf.bad_encoding"
	CodeBadMbox            = "arf.bad_mbox"
)

// ProblemError is why a message was refused: a stable Code
// ("arf.missing_feedback_part"), a Message in English for people that
// names what was wrong, never the content of the message beyond the
// offending field's name, and, for a message of an mbox, its 1-based
// Index (0 for a single message). It wraps guichet.ErrInvalid.
type ProblemError struct {
	Code    string
	Message string
	Index   int
}

func (e *ProblemError) Error() string {
	if e.Index > 0 {
		return fmt.Sprintf("arf: message %d: %s (%s)", e.Index, e.Message, e.Code)
	}
	return fmt.Sprintf("arf: %s (%s)", e.Message, e.Code)
}

// Unwrap makes errors.Is(err, guichet.ErrInvalid) true.
func (e *ProblemError) Unwrap() error { return guichet.ErrInvalid }

func problem(code, format string, args ...any) *ProblemError {
	return &ProblemError{Code: code, Message: fmt.Sprintf(format, args...)}
}
