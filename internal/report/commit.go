package report

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Group commit of reports filed one at a time.
//
// A report filed through the form or one POST of the API is written with
// the set-based batch writer (BatchStore.SubmitReports) together with the
// reports filed at the same moment on this node: while one batch is being
// written, the reports that arrive wait, and are written together as the
// next batch, in one transaction. Concurrent filings thus share the
// statements, the locks of their campaigns and keys, and one durable
// commit, instead of queueing one behind the other for each (on
// PostgreSQL, the row of a busy campaign is locked until its writer's
// commit is on disk). A report arriving while nothing is being written is
// written at once: no delay is ever added to wait for company.
//
// Each filing's entries stay together in one transaction and are
// answered only once it is committed. If a batch fails as a whole, each
// filing in it is written again alone, so that one bad filing does not
// fail the others and each gets its own error.

// maxGroup bounds how many entries one group commit writes: a batch of the
// form's reports is written in well under a second.
const maxGroup = 512

// groupTimeout bounds how long one group commit may take. A filing's own
// context does not bound it: once a batch holds a filing, others wait on
// the same transaction.
const groupTimeout = 60 * time.Second

// committer group-commits filings on a BatchStore.
type committer struct {
	store BatchStore

	mu      sync.Mutex
	queue   []*filing
	running bool
}

// filing is one caller's entries, waiting to be written.
type filing struct {
	ctx     context.Context
	entries []BatchEntry
	done    chan filingResult
	// taken is set, under committer.mu, once a batch holds the filing;
	// until then its caller may leave (its context ended).
	taken bool
}

type filingResult struct {
	filed []BatchFiled
	err   error
}

// submit writes entries in one transaction, possibly shared with other
// filings, and returns what the store did with each, in order.
func (c *committer) submit(ctx context.Context, entries []BatchEntry) ([]BatchFiled, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f := &filing{ctx: ctx, entries: entries, done: make(chan filingResult, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, f)
	if !c.running {
		c.running = true
		go c.run()
	}
	c.mu.Unlock()
	select {
	case r := <-f.done:
		return r.filed, r.err
	case <-ctx.Done():
	}
	c.mu.Lock()
	taken := f.taken
	if !taken {
		c.queue = slices.DeleteFunc(c.queue, func(x *filing) bool { return x == f })
	}
	c.mu.Unlock()
	if !taken {
		return nil, ctx.Err()
	}
	// Being written: wait for the commit, whose outcome is the caller's.
	r := <-f.done
	return r.filed, r.err
}

// run writes batches of the queued filings until none is left.
func (c *committer) run() {
	for {
		c.mu.Lock()
		var batch []*filing
		n := 0
		for len(c.queue) > 0 && (len(batch) == 0 || n+len(c.queue[0].entries) <= maxGroup) {
			f := c.queue[0]
			c.queue = c.queue[1:]
			f.taken = true
			batch = append(batch, f)
			n += len(f.entries)
		}
		if len(batch) == 0 {
			c.running = false
			c.queue = nil
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.write(batch, n)
	}
}

// write writes the filings of batch (n entries in all) in one
// transaction, or, if that fails, each alone.
func (c *committer) write(batch []*filing, n int) {
	if len(batch) == 1 {
		c.alone(batch[0])
		return
	}
	entries := make([]BatchEntry, 0, n)
	for _, f := range batch {
		entries = append(entries, f.entries...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	filed, err := c.store.SubmitReports(ctx, Batch{Entries: entries})
	cancel()
	if err == nil && len(filed) != len(entries) {
		err = errors.New("report: group commit: the store answered for a different number of entries")
	}
	if err != nil {
		for _, f := range batch {
			c.alone(f)
		}
		return
	}
	for _, f := range batch {
		f.done <- filingResult{filed: filed[:len(f.entries):len(f.entries)]}
		filed = filed[len(f.entries):]
	}
}

// alone writes one filing in its own transaction, under its caller's
// context values but not its cancellation (a batch took it), bounded by
// groupTimeout.
func (c *committer) alone(f *filing) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), groupTimeout)
	defer cancel()
	filed, err := c.store.SubmitReports(ctx, Batch{Entries: f.entries})
	f.done <- filingResult{filed, err}
}
