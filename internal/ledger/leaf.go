package ledger

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/guichet/guichet/internal/casefile"
)

// ParseLeaf decodes a log entry as a casefile leaf and checks it is one:
// canonical encoding (exactly casefile.Leaf.MarshalCanonical's bytes),
// version 1, hex SHA-256 commitments, an RFC 3339 UTC time and short
// lower-case kind and type tokens. A leaf that passes cannot carry a name,
// an address or free text.
func ParseLeaf(b []byte) (casefile.Leaf, error) {
	var l casefile.Leaf
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return casefile.Leaf{}, fmt.Errorf("leaf: %w", err)
	}
	if !bytes.Equal(l.MarshalCanonical(), b) {
		return casefile.Leaf{}, fmt.Errorf("leaf: not in canonical encoding")
	}
	if l.V != 1 {
		return casefile.Leaf{}, fmt.Errorf("leaf: version %d", l.V)
	}
	if !token(l.Kind) || !token(l.Type) {
		return casefile.Leaf{}, fmt.Errorf("leaf: kind or type is not a short token")
	}
	if !sha256Hex(l.Case) || !sha256Hex(l.Digest) {
		return casefile.Leaf{}, fmt.Errorf("leaf: case or digest is not a hex SHA-256")
	}
	t, err := time.Parse(time.RFC3339, l.At)
	if err != nil || t.Format(time.RFC3339) != l.At || t.Location() != time.UTC {
		return casefile.Leaf{}, fmt.Errorf("leaf: time %q is not RFC 3339 UTC", l.At)
	}
	return l, nil
}

func token(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func sha256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == toLowerASCII(s)
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
