package arf

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"regexp"
	"strings"
)

// This file is the lenient MIME reader. The standard library's
// net/mail and mime/multipart refuse or misread several quirks real
// feedback loops send (bare CR line ends, a boundary that follows the last
// field without the blank line, a missing closing boundary, a header line
// without a colon), so the message is cut into header blocks and parts
// here, on text whose line ends were made LF first; mime.ParseMediaType,
// mime.WordDecoder, quotedprintable and base64 still do the decoding.

// normalizeEOL returns b with every CRLF and every bare CR made LF.
func normalizeEOL(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, c)
	}
	return out
}

// field is one header field, unfolded, its name as written.
type field struct {
	Name  string
	Value string
}

// header is a header block in the order written.
type header []field

// Get returns the first value of the field named name (any case), trimmed.
func (h header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return strings.TrimSpace(f.Value)
		}
	}
	return ""
}

// Values returns every value of the field named name, trimmed.
func (h header) Values(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			out = append(out, strings.TrimSpace(f.Value))
		}
	}
	return out
}

// splitHeader cuts b (LF line ends) into its header block and body at the
// first empty line; a block that never ends is all header. It refuses a
// block longer than maxBytes.
func splitHeader(b []byte, maxBytes int) (header, []byte, error) {
	end := len(b)
	body := []byte(nil)
	if bytes.HasPrefix(b, []byte("\n")) {
		end, body = 0, b[1:]
	} else if i := bytes.Index(b, []byte("\n\n")); i >= 0 {
		end, body = i+1, b[i+2:]
	}
	if end > maxBytes {
		return nil, nil, problem(CodeHeaderTooLarge, "a header block is longer than %d bytes", maxBytes)
	}
	return parseFields(b[:end]), body, nil
}

// parseFields reads "Name: value" lines with their folded continuations.
// A line that is neither (no colon, a space in the name) is kept as a
// continuation of the field before it, or dropped when it comes first: a
// lenient reader loses that line, not the message.
func parseFields(b []byte) header {
	var h header
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) > 0 {
				h[len(h)-1].Value += " " + strings.TrimSpace(line)
			}
			continue
		}
		i := strings.IndexByte(line, ':')
		if i <= 0 || strings.ContainsAny(line[:i], " \t") {
			if len(h) > 0 {
				h[len(h)-1].Value += " " + strings.TrimSpace(line)
			}
			continue
		}
		h = append(h, field{Name: line[:i], Value: strings.TrimSpace(line[i+1:])})
	}
	return h
}

// looksLikeHeader reports whether block (LF line ends) is a run of header
// fields: every line a field or a continuation, at least two fields.
var fieldLine = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*:`)

func looksLikeHeader(block []byte) bool {
	n := 0
	for _, line := range strings.Split(strings.TrimRight(string(block), "\n"), "\n") {
		switch {
		case line == "":
			return false
		case line[0] == ' ' || line[0] == '\t':
			if n == 0 {
				return false
			}
		case fieldLine.MatchString(line):
			n++
		default:
			return false
		}
	}
	return n >= 2
}

// mediaType is a parsed Content-Type, lower-cased, with its parameters.
// An unparseable value is read for its type and boundary as far as they go.
func mediaType(v string) (string, map[string]string) {
	if v == "" {
		return "text/plain", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err == nil {
		return strings.ToLower(t), params
	}
	// "text/plain; charset = "utf-8"", a stray ";" or duplicate
	// parameters: keep the type and pick the parameters one by one.
	params = map[string]string{}
	parts := strings.Split(v, ";")
	t = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = strings.Trim(strings.TrimSpace(val), `"`)
		if _, dup := params[k]; !dup && k != "" {
			params[k] = val
		}
	}
	return t, params
}

// part is one body part of a multipart entity.
type part struct {
	Header header
	Body   []byte
}

// splitMultipart cuts body (LF line ends) at the lines "--boundary",
// ending at "--boundary--" or at the end of the text when the closing
// line is missing. The preamble and epilogue are dropped. It stops with a
// problem past maxParts parts (a counter shared by nested entities).
func splitMultipart(body []byte, boundary string, maxHeader int, parts *int, maxParts int) ([]part, error) {
	delim := []byte("--" + boundary)
	var out []part
	var cur []byte
	in := false
	start := 0
	flush := func(end int) error {
		if !in {
			return nil
		}
		*parts++
		if *parts > maxParts {
			return problem(CodeTooManyParts, "the message has more than %d MIME parts", maxParts)
		}
		cur = body[start:end]
		// The line end before a delimiter belongs to the delimiter.
		cur = bytes.TrimSuffix(cur, []byte("\n"))
		h, b, err := splitHeader(cur, maxHeader)
		if err != nil {
			return err
		}
		out = append(out, part{Header: h, Body: b})
		return nil
	}
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\n')
		lineEnd := len(body)
		next := len(body)
		if j >= 0 {
			lineEnd = i + j
			next = lineEnd + 1
		}
		line := bytes.TrimRight(body[i:lineEnd], " \t")
		if bytes.HasPrefix(line, delim) {
			rest := line[len(delim):]
			if len(rest) == 0 || bytes.Equal(rest, []byte("--")) {
				if err := flush(i); err != nil {
					return nil, err
				}
				if len(rest) == 2 {
					return out, nil
				}
				in, start = true, next
			}
		}
		i = next
	}
	if err := flush(len(body)); err != nil {
		return nil, err
	}
	return out, nil
}

// decodeBody undoes a part's Content-Transfer-Encoding. An unknown or
// absent encoding is taken as 7bit/8bit; a broken base64 body is refused.
func decodeBody(h header, b []byte) ([]byte, error) {
	switch strings.ToLower(h.Get("Content-Transfer-Encoding")) {
	case "base64":
		clean := bytes.Map(func(r rune) rune {
			if r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, b)
		// Room for the unpadded reading too: two characters without
		// padding make one byte, which StdEncoding.DecodedLen does not
		// count.
		out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean))+3)
		n, err := base64.StdEncoding.Decode(out, clean)
		if err != nil {
			// Missing padding is common; try without it.
			n, err = base64.RawStdEncoding.Decode(out, bytes.TrimRight(clean, "="))
			if err != nil {
				return nil, problem(CodeBadEncoding, "a base64 part does not decode")
			}
		}
		return out[:n], nil
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
		if err != nil {
			// Keep what decoded: a stray "=" is not worth the message.
			return out, nil
		}
		return out, nil
	}
	return b, nil
}

var wordDecoder = mime.WordDecoder{
	// Charsets other than UTF-8, US-ASCII and ISO-8859-1 are kept as
	// written rather than converted: no charset tables are pulled in.
	CharsetReader: func(charset string, input io.Reader) (io.Reader, error) {
		return input, nil
	},
}

// decodeWords decodes RFC 2047 encoded words of a header value, keeping
// the value as written when it does not decode.
func decodeWords(v string) string {
	if !strings.Contains(v, "=?") {
		return v
	}
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}
