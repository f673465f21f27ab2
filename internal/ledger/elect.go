package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Elector elects the one sequencer of a log shared by several processes
// (nodes on one PostgreSQL database with their tiles in one bucket).
//
// Acquire MUST block until the caller holds the right to append, or ctx
// is done (then it returns ctx's error). At most one Lease of a log MUST
// be held at any time, across every process sharing it.
type Elector interface {
	Acquire(ctx context.Context) (Lease, error)
}

// Lease is one term of a sequencer.
//
// Check MUST return nil only if the lease was verified to be held at some
// moment during the call (for PostgreSQL: the lock's session answered);
// once it returned an error, the lease is lost for good. Lost MUST be
// closed once the lease is known lost, by Check or by the lease's own
// watching, and never before. Release gives the lease up (idempotent).
type Lease interface {
	Check(ctx context.Context) error
	Lost() <-chan struct{}
	Release() error
}

// ErrNotSequencer: this process does not hold the sequencer's lease (it
// lost it, or never had it), or the stored checkpoint is not the one it
// built on. It appends nothing and re-runs the election.
var ErrNotSequencer = errors.New("ledger: not the sequencer")

// FileLock is an Elector for one host: an exclusive flock on path,
// released by the kernel when the process dies. Its Acquire does not
// wait: it fails at once if another process holds the lock. Its lease is
// never lost.
func FileLock(path string) Elector { return fileLock(path) }

type fileLock string

func (f fileLock) Acquire(context.Context) (Lease, error) {
	unlock, err := lockFile(string(f))
	if err != nil {
		return nil, err
	}
	return &fileLease{unlock: unlock, lost: make(chan struct{})}, nil
}

type fileLease struct {
	unlock func() error
	lost   chan struct{} // never closed
}

func (l *fileLease) Check(context.Context) error { return nil }
func (l *fileLease) Lost() <-chan struct{}       { return l.lost }
func (l *fileLease) Release() error              { return l.unlock() }

// fence confirms the lease before a write to the tile store and returns
// the context that write MUST use: it ends WriteWindow after the lease was
// confirmed, so that a sequencer that lost its lease without knowing yet
// stops writing before a successor (which waits twice as long after its
// election, see takeover) reads the log and appends. Caller holds l.mu.
func (l *Log) fence(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if l.cfg.Elector == nil { // the file lock, taken at Open, is never lost
		return ctx, func() {}, nil
	}
	if l.lease == nil {
		return nil, nil, ErrNotSequencer
	}
	start := time.Now()
	cctx, cancel := context.WithTimeout(ctx, l.cfg.WriteWindow)
	err := l.lease.Check(cctx)
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: lease lost: %v", ErrNotSequencer, err)
	}
	wctx, cancel := context.WithDeadline(ctx, start.Add(l.cfg.WriteWindow))
	return wctx, cancel, nil
}

// runElected is Run with an Elector: it campaigns, and while it holds the
// lease it takes the log over and sequences, until the lease is lost
// (then it campaigns again) or ctx is done.
func (l *Log) runElected(ctx context.Context) error {
	for {
		l.log.DebugContext(ctx, "ledger: campaigning for the sequencer's lease")
		lease, err := l.cfg.Elector.Acquire(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			l.log.ErrorContext(ctx, "ledger: election failed", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
			continue
		}
		err = l.term(ctx, lease)
		l.resign(lease)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotSequencer) {
			return err // ErrDiverged, ErrCorrupt, ErrBadLeaf: an operator must look
		}
		l.log.WarnContext(ctx, "ledger: no longer the sequencer", "err", err)
	}
}

// term is one term as sequencer: the takeover, then sequencing until the
// lease is lost or ctx is done.
func (l *Log) term(ctx context.Context, lease Lease) error {
	elected := time.Now()
	// A predecessor that lost its lease without knowing yet may still be
	// writing for up to WriteWindow after its last check (see fence):
	// wait that out, twice over, before reading the log.
	select {
	case <-ctx.Done():
		return nil
	case <-lease.Lost():
		return fmt.Errorf("%w: lease lost during takeover", ErrNotSequencer)
	case <-time.After(2 * l.cfg.WriteWindow):
	}
	l.mu.Lock()
	l.lease = lease
	err := l.load(ctx, true)
	l.mu.Unlock()
	if err != nil {
		return err
	}
	l.holding.Store(true)
	l.log.InfoContext(ctx, "ledger: elected sequencer", "origin", l.origin, "size", l.Size(), "takeover", time.Since(elected).Round(time.Millisecond).String())
	return l.sequenceLoop(ctx, lease.Lost())
}

// resign ends a term: reads go back to the store, the lease is released.
func (l *Log) resign(lease Lease) {
	l.holding.Store(false)
	l.mu.Lock()
	l.lease = nil
	l.marked = -1
	l.mu.Unlock()
	_ = lease.Release()
}
