package witness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/guichet/guichet/internal/atomicfile"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/tlog"
)

// Outcomes of AddCheckpoint that are not a cosignature, each mapped to the
// HTTP status c2sp.org/tlog-witness prescribes.
var (
	// ErrUnknownLog: the witness does not follow this origin (404).
	ErrUnknownLog = errors.New("unknown log origin")
	// ErrNotSigned: no signature by the log's trusted key verifies (403).
	ErrNotSigned = errors.New("checkpoint not signed by the log's key")
	// ErrOldSizeTooLarge: the old size exceeds the checkpoint's (400).
	ErrOldSizeTooLarge = errors.New("old size larger than checkpoint size")
	// ErrBadProof: the consistency proof does not verify (422).
	ErrBadProof = errors.New("consistency proof does not verify")
	// ErrRootMismatch: same size as the latest cosigned checkpoint but
	// another root hash: the log forked (409).
	ErrRootMismatch = errors.New("same tree size, different root hash")
)

// SizeConflictError says the client's old size is not the size of the
// latest checkpoint the witness cosigned for the log (409).
type SizeConflictError struct {
	// Size is the witness's latest cosigned size for the log.
	Size int64
}

func (e *SizeConflictError) Error() string {
	return fmt.Sprintf("old size does not match the witness's latest cosigned size %d", e.Size)
}

// Config configures a Witness.
type Config struct {
	// Cosigner signs; its name identifies the witness.
	Cosigner *checkpoint.Cosigner
	// Logs are the verifier keys (Ed25519, type 0x01) of the logs to
	// witness; each log's origin is its key's name. Several keys of one
	// origin are all trusted (a log rotating its key signs with both).
	Logs []string
	// Dir keeps, per log, the latest cosigned checkpoint.
	Dir string
	// Logger receives one line per refused or accepted checkpoint.
	Logger *slog.Logger
}

// Witness checks and cosigns checkpoints. It is safe for concurrent use.
type Witness struct {
	cosigner *checkpoint.Cosigner
	logs     map[string][]checkpoint.Policy // by origin
	dir      string
	log      *slog.Logger

	// mu makes "check the old size, persist the new checkpoint" atomic,
	// as the specification requires (otherwise two concurrent requests
	// could roll the witness back).
	mu sync.Mutex
}

// New returns a Witness, creating Dir if needed.
func New(cfg Config) (*Witness, error) {
	if cfg.Cosigner == nil {
		return nil, errors.New("witness: no cosigner key")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Witness{cosigner: cfg.Cosigner, logs: map[string][]checkpoint.Policy{}, dir: cfg.Dir, log: cfg.Logger}
	for _, vk := range cfg.Logs {
		p, err := checkpoint.NewPolicy(vk, nil, 0)
		if err != nil {
			return nil, fmt.Errorf("witness: log key: %w", err)
		}
		w.logs[p.Log.Name()] = append(w.logs[p.Log.Name()], p)
	}
	if len(w.logs) == 0 {
		return nil, errors.New("witness: no log to witness")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("witness: state directory: %w", err)
	}
	return w, nil
}

// VerifierKey returns the witness's cosignature/v1 verifier key, which
// logs and verifiers configure to trust it.
func (w *Witness) VerifierKey() string { return w.cosigner.VerifierKey() }

// Latest returns the latest checkpoint cosigned for origin, or
// fs.ErrNotExist.
func (w *Witness) Latest(origin string) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return os.ReadFile(w.stateFile(origin))
}

func (w *Witness) stateFile(origin string) string {
	sum := sha256.Sum256([]byte(origin))
	return filepath.Join(w.dir, hex.EncodeToString(sum[:]))
}

// AddCheckpoint runs the checks of c2sp.org/tlog-witness on one request
// body and, if they pass, persists the checkpoint and returns the
// cosignature lines to send back.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	oldSize, proof, signed, err := ParseAddCheckpoint(body)
	if err != nil {
		return nil, err
	}
	origin, _, _ := bytes.Cut(signed, []byte("\n"))
	pols, ok := w.logs[string(origin)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLog, origin)
	}
	var v *checkpoint.Verified
	for _, pol := range pols {
		if v, err = pol.Open(signed); err == nil {
			break
		}
	}
	switch {
	case errors.Is(err, checkpoint.ErrMalformed):
		return nil, fmt.Errorf("%w: %v", ErrMalformedRequest, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrNotSigned, err)
	}
	if oldSize > v.Size {
		return nil, fmt.Errorf("%w: old %d, checkpoint %d", ErrOldSizeTooLarge, oldSize, v.Size)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	var latest checkpoint.Checkpoint // zero size when never cosigned
	prev, err := os.ReadFile(w.stateFile(v.Origin))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("witness: read state: %w", err)
	default:
		t, _, _ := bytes.Cut(prev, []byte("\n\n"))
		if latest, err = checkpoint.Parse(append(t[:len(t):len(t)], '\n')); err != nil {
			return nil, fmt.Errorf("witness: state for %s: %w", v.Origin, err)
		}
	}
	if oldSize != latest.Size {
		return nil, &SizeConflictError{Size: latest.Size}
	}
	switch {
	case oldSize == 0:
		// Nothing to be consistent with yet.
		if len(proof) != 0 {
			return nil, fmt.Errorf("%w: non-empty proof from size 0", ErrBadProof)
		}
	case oldSize == v.Size:
		if latest.Hash != v.Hash {
			w.log.WarnContext(ctx, "witness: log fork detected", "origin", v.Origin, "size", v.Size)
			return nil, ErrRootMismatch
		}
	default:
		if err := tlog.CheckTree(proof, v.Size, v.Hash, oldSize, latest.Hash); err != nil {
			w.log.WarnContext(ctx, "witness: inconsistent checkpoint", "origin", v.Origin, "old", oldSize, "size", v.Size)
			return nil, fmt.Errorf("%w: %v", ErrBadProof, err)
		}
	}
	if err := atomicfile.Write(w.stateFile(v.Origin), signed, 0o600); err != nil {
		return nil, fmt.Errorf("witness: persist: %w", err)
	}
	sig, err := w.cosigner.Sign(v.Marshal())
	if err != nil {
		return nil, fmt.Errorf("witness: cosign: %w", err)
	}
	var kid [4]byte
	binary.BigEndian.PutUint32(kid[:], w.cosigner.KeyHash())
	line := fmt.Sprintf("— %s %s\n", w.cosigner.Name(), base64.StdEncoding.EncodeToString(append(kid[:], sig...)))
	w.log.InfoContext(ctx, "witness: cosigned", "origin", v.Origin, "size", v.Size)
	return []byte(line), nil
}

// Handler serves POST /add-checkpoint.
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", func(rw http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxBody))
		if err != nil {
			http.Error(rw, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		sigs, err := w.AddCheckpoint(r.Context(), body)
		if err != nil {
			var conflict *SizeConflictError
			switch {
			case errors.As(err, &conflict):
				rw.Header().Set("Content-Type", "text/x.tlog.size")
				rw.WriteHeader(http.StatusConflict)
				fmt.Fprintf(rw, "%d\n", conflict.Size)
				return
			case errors.Is(err, ErrUnknownLog):
				http.Error(rw, err.Error(), http.StatusNotFound)
			case errors.Is(err, ErrNotSigned):
				http.Error(rw, err.Error(), http.StatusForbidden)
			case errors.Is(err, ErrMalformedRequest), errors.Is(err, ErrOldSizeTooLarge):
				http.Error(rw, err.Error(), http.StatusBadRequest)
			case errors.Is(err, ErrBadProof):
				http.Error(rw, err.Error(), http.StatusUnprocessableEntity)
			case errors.Is(err, ErrRootMismatch):
				http.Error(rw, err.Error(), http.StatusConflict)
			default:
				w.log.ErrorContext(r.Context(), "witness: add-checkpoint", "err", err)
				http.Error(rw, "internal error", http.StatusInternalServerError)
			}
			return
		}
		rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
		rw.Write(sigs)
	})
	return mux
}

// parseSize parses a 409 body: a decimal size and a newline.
func parseSize(b []byte) (int64, error) {
	s := string(bytes.TrimSuffix(b, []byte("\n")))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, fmt.Errorf("witness: malformed size %q", b)
	}
	return n, nil
}
