package ledger

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

// Verification error kinds. Every error returned by VerifyReceipt and
// VerifyLog wraps one of them, so `guichet verify` can say precisely what
// is wrong.
var (
	ErrMalformed          = checkpoint.ErrMalformed          // unparseable receipt, checkpoint or tile
	ErrBadSignature       = checkpoint.ErrBadSignature       // a trusted key's signature does not verify
	ErrWrongKey           = checkpoint.ErrWrongKey           // not signed by the trusted log key
	ErrUnknownOrigin      = checkpoint.ErrUnknownOrigin      // checkpoint of another log
	ErrTooFewCosignatures = checkpoint.ErrTooFewCosignatures // witness quorum not met

	// ErrNotIncluded: the inclusion proof does not lead from the leaf to
	// the checkpoint's root.
	ErrNotIncluded = errors.New("leaf not included in the checkpoint's tree")
	// ErrLeafMismatch: the leaf does not commit to the receipt's
	// reference with its salt.
	ErrLeafMismatch = errors.New("leaf does not match the reference and salt")
	// ErrInconsistent: the log's tree does not extend the previously
	// saved one (a fork, or history rewritten).
	ErrInconsistent = errors.New("log inconsistent with the saved checkpoint")
	// ErrRollback: the log is smaller than the previously saved one.
	ErrRollback = errors.New("log smaller than the saved checkpoint")
	// ErrTileMismatch: a served tile differs from the hashes recomputed
	// from the entries.
	ErrTileMismatch = errors.New("served tile does not match the entries")
	// ErrRootMismatch: the entries do not hash to the checkpoint's root.
	ErrRootMismatch = errors.New("entries do not hash to the checkpoint's root")
)

// ReceiptFormat identifies version 1 of the receipt JSON.
const ReceiptFormat = "guichet-receipt/v1"

// Receipt proves to its holder, offline, that an event of their case is
// in the public log: the leaf, where it is, the inclusion proof, the
// signed checkpoint it was proved against, and what ties the leaf to the
// case (the reference and the citizen's copy of the salt).
type Receipt struct {
	Format string `json:"format"`
	// Ref is the case reference.
	Ref string `json:"ref"`
	// Salt is the case's ledger salt, hex; with Ref it recomputes the
	// leaf's case commitment. Anyone holding the receipt can link the
	// leaf to the reference: it belongs to the citizen.
	Salt string `json:"salt"`
	// Leaf is the log entry, exactly as logged (canonical JSON text).
	Leaf string `json:"leaf"`
	// Index is the leaf's position in the log.
	Index int64 `json:"index"`
	// InclusionProof lists the RFC 6962 audit path, base64 hashes from
	// the leaf up.
	InclusionProof []string `json:"inclusion_proof"`
	// Checkpoint is the signed note (with any witness cosignatures) of
	// the tree the proof leads to.
	Checkpoint string `json:"checkpoint"`
}

// BuildReceipt returns a receipt for the leaf at index, proved against the
// latest published checkpoint (so calling it again refreshes the proof).
// It checks that the log really holds leaf at index. An index not yet
// published fails with guichet.ErrNotFound.
func (l *Log) BuildReceipt(ctx context.Context, ref string, salt, leaf []byte, index int64) (*Receipt, error) {
	pub := l.latest(ctx, index+1)
	size := pub.cp.Size
	if index < 0 || index >= size {
		return nil, fmt.Errorf("ledger: receipt for %s: index %d not in the published log (size %d): %w", ref, index, size, guichet.ErrNotFound)
	}
	logged, err := readEntries(ctx, l.store, size, index, index+1)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(logged[0], leaf) {
		return nil, fmt.Errorf("%w: receipt for %s: the log holds another leaf at %d", ErrDiverged, ref, index)
	}
	proof, err := tlog.ProveRecord(size, index, l.hashReader(ctx, size))
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt for %s: %w", ref, err)
	}
	r := &Receipt{
		Format:         ReceiptFormat,
		Ref:            ref,
		Salt:           hex.EncodeToString(salt),
		Leaf:           string(leaf),
		Index:          index,
		InclusionProof: make([]string, len(proof)),
		Checkpoint:     string(pub.note),
	}
	for i, h := range proof {
		r.InclusionProof[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return r, nil
}

// ReceiptForEvent builds the receipt of event e of the case ref whose
// ledger salt is salt, finding its index with idx. It fails with
// guichet.ErrNotFound while the event is not yet sequenced and published.
func (l *Log) ReceiptForEvent(ctx context.Context, idx EventIndexer, ref string, salt []byte, e casefile.Event) (*Receipt, error) {
	index, err := idx.EventLogIndex(ctx, e.ID)
	if err != nil {
		return nil, fmt.Errorf("ledger: receipt for %s: %w", ref, err)
	}
	return l.BuildReceipt(ctx, ref, salt, casefile.NewLeaf(salt, ref, e).MarshalCanonical(), index)
}

// ParseReceipt decodes a receipt file.
func ParseReceipt(b []byte) (*Receipt, error) {
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%w: receipt: %v", ErrMalformed, err)
	}
	if r.Format != ReceiptFormat {
		return nil, fmt.Errorf("%w: receipt format %q, want %q", ErrMalformed, r.Format, ReceiptFormat)
	}
	return &r, nil
}

// ReceiptResult is what a verified receipt establishes.
type ReceiptResult struct {
	Ref      string
	Origin   string
	Index    int64
	TreeSize int64
	Leaf     casefile.Leaf
	// Cosigned lists the trusted witnesses that cosigned the checkpoint.
	Cosigned []checkpoint.Cosignature
}

// VerifyReceipt checks a receipt offline against the log's verifier key:
// the checkpoint's signature and origin, the inclusion proof, and that the
// leaf commits to the receipt's reference and salt.
func VerifyReceipt(r *Receipt, logKey string) (*ReceiptResult, error) {
	p, err := checkpoint.NewPolicy(logKey, nil, 0)
	if err != nil {
		return nil, err
	}
	return VerifyReceiptWith(r, p)
}

// VerifyReceiptWith is VerifyReceipt with a full trust policy (witness
// keys and quorum).
func VerifyReceiptWith(r *Receipt, p checkpoint.Policy) (*ReceiptResult, error) {
	if r.Format != ReceiptFormat {
		return nil, fmt.Errorf("%w: receipt format %q", ErrMalformed, r.Format)
	}
	v, err := p.Open([]byte(r.Checkpoint))
	if err != nil {
		return nil, fmt.Errorf("receipt checkpoint: %w", err)
	}
	if r.Index < 0 || r.Index >= v.Size {
		return nil, fmt.Errorf("%w: index %d outside the tree of size %d", ErrNotIncluded, r.Index, v.Size)
	}
	proof := make(tlog.RecordProof, len(r.InclusionProof))
	for i, s := range r.InclusionProof {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("%w: inclusion proof hash %d", ErrMalformed, i)
		}
		proof[i] = tlog.Hash(h)
	}
	leaf := []byte(r.Leaf)
	if err := tlog.CheckRecord(proof, v.Size, v.Hash, r.Index, tlog.RecordHash(leaf)); err != nil {
		return nil, fmt.Errorf("%w: leaf %d in tree of size %d: %v", ErrNotIncluded, r.Index, v.Size, err)
	}
	lf, err := ParseLeaf(leaf)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLeafMismatch, err)
	}
	salt, err := hex.DecodeString(r.Salt)
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("%w: salt is not hex", ErrMalformed)
	}
	if casefile.CaseCommitment(salt, r.Ref) != lf.Case {
		return nil, fmt.Errorf("%w: the leaf's case commitment is not SHA-256(salt ‖ %q)", ErrLeafMismatch, r.Ref)
	}
	return &ReceiptResult{Ref: r.Ref, Origin: v.Origin, Index: r.Index, TreeSize: v.Size, Leaf: lf, Cosigned: v.Cosigned}, nil
}
