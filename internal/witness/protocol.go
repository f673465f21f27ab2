// Package witness implements both ends of c2sp.org/tlog-witness: a small
// witness that partner bodies (for instance a data-protection authority)
// can run to cosign guichet's log checkpoints after checking they are
// consistent with everything it saw before, and the client the log uses to
// collect those cosignatures.
//
// Cosignatures are c2sp.org/tlog-cosignature Ed25519 cosignature/v1
// signatures (see package checkpoint).
package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

// maxProofLines is the protocol's bound on consistency proof lines.
const maxProofLines = 63

// maxBody bounds an add-checkpoint request body.
const maxBody = checkpoint.MaxSize + 1024 + maxProofLines*50

// ErrMalformedRequest: an add-checkpoint body does not follow the protocol.
var ErrMalformedRequest = errors.New("malformed add-checkpoint request")

// MarshalAddCheckpoint encodes an add-checkpoint request body: the old
// size line, one base64 line per consistency proof hash, an empty line,
// then the signed checkpoint note.
func MarshalAddCheckpoint(oldSize int64, proof tlog.TreeProof, signedCheckpoint []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "old %d\n", oldSize)
	for _, h := range proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(signedCheckpoint)
	return b.Bytes()
}

// ParseAddCheckpoint decodes an add-checkpoint request body. The returned
// checkpoint note is not verified.
func ParseAddCheckpoint(body []byte) (oldSize int64, proof tlog.TreeProof, signedCheckpoint []byte, err error) {
	bad := func(why string) (int64, tlog.TreeProof, []byte, error) {
		return 0, nil, nil, fmt.Errorf("%w: %s", ErrMalformedRequest, why)
	}
	if len(body) > maxBody {
		return bad("body too large")
	}
	line, rest, ok := bytes.Cut(body, []byte("\n"))
	if !ok {
		return bad("no old size line")
	}
	num, ok := strings.CutPrefix(string(line), "old ")
	if !ok {
		return bad("first line is not \"old <size>\"")
	}
	oldSize, err = strconv.ParseInt(num, 10, 64)
	if err != nil || oldSize < 0 || strconv.FormatInt(oldSize, 10) != num {
		return bad("old size")
	}
	for {
		line, rest, ok = bytes.Cut(rest, []byte("\n"))
		if !ok {
			return bad("no empty line before the checkpoint")
		}
		if len(line) == 0 {
			break
		}
		if len(proof) == maxProofLines {
			return bad("more than 63 proof lines")
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != tlog.HashSize {
			return bad("proof line is not a base64 hash")
		}
		proof = append(proof, tlog.Hash(h))
	}
	if len(rest) == 0 {
		return bad("no checkpoint")
	}
	return oldSize, proof, rest, nil
}
