package ledger

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"github.com/guichet/guichet/internal/witness"
)

// witnessState is what the log remembers of one witness.
type witnessState struct {
	client *witness.Client
	// size is the latest tree size the witness cosigned, as far as the
	// log knows (0 at start: the witness corrects it with a 409).
	size int64
	// retryAt postpones asking a witness that just failed.
	retryAt time.Time
}

// WitnessKeys returns the cosignature/v1 verifier keys of the witnesses
// the log asks to cosign its checkpoints, in the order configured; none
// when no witness is configured. The served checkpoint carries the
// cosignatures of those that answered.
func (l *Log) WitnessKeys() []string {
	keys := make([]string, len(l.cfg.Witnesses))
	for i, w := range l.cfg.Witnesses {
		keys[i] = w.Key
	}
	return keys
}

func newWitnessState(w WitnessConfig, hc *http.Client) (*witnessState, error) {
	c, err := witness.NewClient(w.URL, w.Key, hc)
	if err != nil {
		return nil, err
	}
	return &witnessState{client: c}, nil
}

// collectCosignatures asks every witness to cosign the checkpoint just
// written, in parallel and within WitnessTimeout, then publishes it with
// the cosignatures gathered (possibly none) and rewrites the stored
// checkpoint with them. Failures only cost cosignatures: they are logged.
// Caller holds l.mu.
func (l *Log) collectCosignatures(ctx context.Context, cp checkpoint.Checkpoint, signed []byte) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.WitnessTimeout)
	defer cancel()
	now := l.cfg.Clock.Now()
	lines := make([][]byte, len(l.witnesses))
	var wg sync.WaitGroup
	for i, ws := range l.witnesses {
		if now.Before(ws.retryAt) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			line, err := l.cosignWith(ctx, ws, cp, signed)
			if err != nil {
				ws.retryAt = now.Add(30 * time.Second)
				l.log.WarnContext(ctx, "ledger: witness did not cosign", "witness", ws.client.Name(), "size", cp.Size, "err", err)
				return
			}
			lines[i] = line
		}()
	}
	wg.Wait()
	full := bytes.Clone(signed)
	n := 0
	for _, line := range lines {
		if line != nil {
			full = append(full, line...)
			n++
		}
	}
	if n > 0 {
		// Keep the cosignatures across restarts. The checkpoint body is
		// unchanged, so readers see the same tree either way; but only
		// over our own checkpoint, while still the sequencer.
		if err := l.storeCosigned(context.WithoutCancel(ctx), cp, full); err != nil {
			l.log.WarnContext(ctx, "ledger: store cosigned checkpoint", "err", err)
		}
	}
	l.publish(&published{note: full, cp: cp})
}

// storeCosigned rewrites the stored checkpoint cp with its cosignatures,
// after confirming the lease and that the stored one is still cp.
func (l *Log) storeCosigned(ctx context.Context, cp checkpoint.Checkpoint, full []byte) error {
	wctx, cancel, err := l.fence(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if err := l.checkStored(wctx, cp.Size, cp.Hash); err != nil {
		return err
	}
	return l.store.Put(wctx, []Object{{CheckpointPath, full}})
}

func (l *Log) cosignWith(ctx context.Context, ws *witnessState, cp checkpoint.Checkpoint, signed []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		old := ws.size
		if old > cp.Size {
			old = 0 // the witness is ahead of us? let it tell its size
		}
		proof, err := l.proveTree(ctx, old, cp.Size)
		if err != nil {
			return nil, err
		}
		line, err := ws.client.AddCheckpoint(ctx, old, proof, signed)
		var conflict *witness.SizeConflictError
		if errors.As(err, &conflict) && attempt == 0 && conflict.Size <= cp.Size {
			ws.size = conflict.Size
			continue
		}
		if err != nil {
			return nil, err
		}
		ws.size = cp.Size
		return line, nil
	}
}
