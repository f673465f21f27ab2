package ledger

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchOptions tune Bench. Zero values take the defaults.
type BenchOptions struct {
	// Dir is where the benchmark logs are written (default: a new
	// temporary directory, removed afterwards). Use the disk the log will
	// live on: fsync dominates.
	Dir string
	// Appends is how many leaves the throughput run sequences (default
	// 200,000).
	Appends int
	// ProofSizes are the tree sizes at which inclusion proofs are timed
	// (default 1M and 10M). Their tiles are built once and kept in
	// CacheDir.
	ProofSizes []int64
	// CacheDir keeps the large trees between runs (default
	// $TMPDIR/guichet-ledger-bench).
	CacheDir string
	// Rate is the event rate of the latency run, per second (default 2000),
	// and LatencyFor its duration (default 5s).
	Rate       int
	LatencyFor time.Duration
}

// Bench measures the figures of the ledger and prints them to w: appends
// per second through the real sequencer (tiles, fsync, checkpoint,
// marking), inclusion proof time at large tree sizes, and checkpoint
// publication latency after an event commits. `guichet bench ledger` runs
// it.
func Bench(ctx context.Context, w io.Writer, opts BenchOptions) error {
	if opts.Appends <= 0 {
		opts.Appends = 200_000
	}
	if opts.ProofSizes == nil {
		opts.ProofSizes = []int64{1_000_000, 10_000_000}
	}
	if opts.CacheDir == "" {
		opts.CacheDir = filepath.Join(os.TempDir(), "guichet-ledger-bench")
	}
	if opts.Rate <= 0 {
		opts.Rate = 2000
	}
	if opts.LatencyFor <= 0 {
		opts.LatencyFor = 5 * time.Second
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "guichet-ledger-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}

	fmt.Fprintf(w, "ledger benchmark (%s)\n", dir)
	res, err := benchAppends(ctx, filepath.Join(dir, "appends"), opts.Appends, 4096)
	if err != nil {
		return fmt.Errorf("appends: %w", err)
	}
	fmt.Fprintf(w, "appends:     %d entries in %v = %.0f entries/s (%d checkpoints, %.1f ms each)\n",
		res.entries, res.elapsed.Round(time.Millisecond), res.perSecond(), res.checkpoints,
		float64(res.elapsed.Microseconds())/1000/float64(res.checkpoints))

	for _, size := range opts.ProofSizes {
		pr, err := benchProofs(ctx, opts.CacheDir, size, 2000)
		if err != nil {
			return fmt.Errorf("proofs at %d: %w", size, err)
		}
		fmt.Fprintf(w, "inclusion:   tree of %d: mean %v, p99 %v (warm cache); cold read mean %v (built in %v)\n",
			size, pr.mean, pr.p99, pr.cold, pr.build.Round(time.Millisecond))
	}

	lat, err := benchLatency(ctx, filepath.Join(dir, "latency"), opts.Rate, opts.LatencyFor)
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	fmt.Fprintf(w, "publication: %d events at %d/s: latency p50 %v, p99 %v, max %v\n",
		lat.n, opts.Rate, lat.p50, lat.p99, lat.max)
	return nil
}

// memOutbox is an in-memory Outbox for benchmarks: appending is then
// measured without a database.
type benchOutbox struct {
	mu      sync.Mutex
	rows    []casefile.OutboxEntry
	next    int // first pending row
	commits []time.Time
}

func (o *benchOutbox) add(leaves ...[]byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, l := range leaves {
		o.rows = append(o.rows, casefile.OutboxEntry{ID: int64(len(o.rows) + 1), Leaf: l, LogIndex: -1})
		o.commits = append(o.commits, time.Now())
	}
}

func (o *benchOutbox) PendingOutbox(_ context.Context, limit int) ([]casefile.OutboxEntry, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	end := min(o.next+limit, len(o.rows))
	return slices.Clone(o.rows[o.next:end]), nil
}

func (o *benchOutbox) MarkSequenced(_ context.Context, ids []int64, first int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if first != int64(o.next) {
		return fmt.Errorf("bench outbox: first index %d, %d marked: %w", first, o.next, guichet.ErrConflict)
	}
	for i, id := range ids {
		if id != int64(o.next+1) {
			return fmt.Errorf("bench outbox: unexpected row %d: %w", id, guichet.ErrConflict)
		}
		o.rows[o.next].LogIndex = first + int64(i)
		o.next++
	}
	return nil
}

func (o *benchOutbox) SequencedCount(context.Context) (int64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return int64(o.next), nil
}

// benchLeaf returns a realistic leaf (about 230 bytes).
func benchLeaf(i int) []byte {
	var salt [8]byte
	binary.BigEndian.PutUint64(salt[:], uint64(i))
	return casefile.NewLeaf(salt[:], "PP-2026-7KQ3-M9TX", casefile.Event{
		ID: strconv.Itoa(i), Type: casefile.EventSubmitted, At: time.Unix(1_780_000_000+int64(i), 0),
		Actor: "citizen", Data: map[string]string{"category": "theft"},
	}).MarshalCanonical()
}

func benchLog(ctx context.Context, dir string, ob Outbox, maxBatch int) (*Log, error) {
	skey, err := GenerateKey(rand.Reader, "bench.guichet.example/log")
	if err != nil {
		return nil, err
	}
	return Open(ctx, Config{DataDir: dir, Origin: "bench.guichet.example/log", Key: skey, Outbox: ob, MaxBatch: maxBatch})
}

type appendResult struct {
	entries, checkpoints int
	elapsed              time.Duration
}

func (r appendResult) perSecond() float64 { return float64(r.entries) / r.elapsed.Seconds() }

// benchAppends sequences n prepared leaves in batches of maxBatch.
func benchAppends(ctx context.Context, dir string, n, maxBatch int) (appendResult, error) {
	ob := &benchOutbox{}
	for i := 0; i < n; i++ {
		ob.add(benchLeaf(i))
	}
	l, err := benchLog(ctx, dir, ob, maxBatch)
	if err != nil {
		return appendResult{}, err
	}
	defer l.Close()
	res := appendResult{}
	start := time.Now()
	for {
		k, err := l.Sequence(ctx)
		if err != nil {
			return res, err
		}
		if k == 0 {
			break
		}
		res.entries += k
		res.checkpoints++
	}
	res.elapsed = time.Since(start)
	return res, nil
}

type proofResult struct {
	mean, p99, cold, build time.Duration
}

// benchProofs times inclusion proofs in a tree of the given size, whose
// hash tiles are built (once, then cached in cacheDir) from synthetic leaf
// hashes: proofs only read hash tiles.
func benchProofs(ctx context.Context, cacheDir string, size int64, samples int) (proofResult, error) {
	var res proofResult
	dir := filepath.Join(cacheDir, strconv.FormatInt(size, 10))
	t0 := time.Now()
	if err := buildBenchTree(ctx, dir, size); err != nil {
		return res, err
	}
	res.build = time.Since(t0)
	st := &DirStore{root: dir}
	rng := mrand.New(mrand.NewPCG(uint64(size), 1))
	prove := func(hr tlog.HashReader) (time.Duration, error) {
		i := rng.Int64N(size)
		t := time.Now()
		_, err := tlog.ProveRecord(size, i, hr)
		return time.Since(t), err
	}
	warm := storeHashReader{ctx: ctx, store: st, cache: newTileCache(2048), size: size}
	var ds []time.Duration
	for k := 0; k < samples; k++ {
		d, err := prove(warm)
		if err != nil {
			return res, err
		}
		ds = append(ds, d)
	}
	res.mean, res.p99 = meanP99(ds)
	var cold []time.Duration
	for k := 0; k < samples/10; k++ {
		d, err := prove(storeHashReader{ctx: ctx, store: st, cache: newTileCache(16), size: size})
		if err != nil {
			return res, err
		}
		cold = append(cold, d)
	}
	res.cold, _ = meanP99(cold)
	return res, nil
}

// buildBenchTree writes the hash tiles of a tree of size leaves (leaf i
// hashing "bench leaf i") unless dir already holds them.
func buildBenchTree(ctx context.Context, dir string, size int64) error {
	done := filepath.Join(dir, "complete")
	if _, err := os.Stat(done); err == nil {
		return nil
	}
	os.RemoveAll(dir)
	st, err := NewDirStore(dir)
	if err != nil {
		return err
	}
	b := &builder{}
	var batch []Object
	flush := func() error {
		for _, o := range batch {
			f := filepath.Join(dir, filepath.FromSlash(o.Path))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(f, o.Data, 0o644); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return ctx.Err()
	}
	var buf [8]byte
	for i := int64(0); i < size; i++ {
		binary.BigEndian.PutUint64(buf[:], uint64(i))
		b.appendLeaf(nil, tlog.RecordHash(buf[:]), func(t tileOut) { batch = append(batch, Object{t.path.String(), t.data}) })
		if len(batch) >= 256 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for _, t := range b.partials(0) {
		batch = append(batch, Object{t.path.String(), t.data})
	}
	if err := flush(); err != nil {
		return err
	}
	// Sanity: the tiles give the builder's root.
	h, err := tlog.TreeHash(size, storeHashReader{ctx: ctx, store: st, cache: newTileCache(64), size: size})
	if err != nil {
		return err
	}
	if h != b.root() {
		return errors.New("bench tree: tiles do not hash to the root")
	}
	return os.WriteFile(done, []byte(h.String()+"\n"), 0o644)
}

type latencyResult struct {
	n             int
	p50, p99, max time.Duration
}

// benchLatency commits events at rate per second for d while Run
// sequences, and measures from each commit to the publication of a
// checkpoint including it.
func benchLatency(ctx context.Context, dir string, rate int, d time.Duration) (latencyResult, error) {
	ob := &benchOutbox{}
	l, err := benchLog(ctx, dir, ob, 4096)
	if err != nil {
		return latencyResult{}, err
	}
	defer l.Close()
	var mu sync.Mutex
	published := map[int64]time.Time{} // size → when
	l.onPublish = func(size int64) {
		mu.Lock()
		published[size] = time.Now()
		mu.Unlock()
	}
	rctx, cancel := context.WithCancel(ctx)
	runErr := make(chan error, 1)
	go func() { runErr <- l.Run(rctx) }()

	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	tick := time.NewTicker(max(interval, time.Millisecond))
	perTick := max(1, int(time.Millisecond/interval))
	for i := 0; i < n; {
		<-tick.C
		for k := 0; k < perTick && i < n; k++ {
			ob.add(benchLeaf(i))
			l.Notify()
			i++
		}
	}
	tick.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for l.Size() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-runErr; err != nil {
		return latencyResult{}, err
	}
	if l.Size() < int64(n) {
		return latencyResult{}, fmt.Errorf("only %d of %d events published", l.Size(), n)
	}
	mu.Lock()
	defer mu.Unlock()
	sizes := make([]int64, 0, len(published))
	for s := range published {
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	var ds []time.Duration
	k := 0
	for i := 0; i < n; i++ {
		for sizes[k] <= int64(i) {
			k++
		}
		ds = append(ds, published[sizes[k]].Sub(ob.commits[i]))
	}
	slices.Sort(ds)
	return latencyResult{n: n, p50: ds[len(ds)/2], p99: ds[len(ds)*99/100], max: ds[len(ds)-1]}, nil
}

func meanP99(ds []time.Duration) (mean, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	var sum float64
	for _, d := range ds {
		sum += float64(d)
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return time.Duration(math.Round(sum / float64(len(ds)))), s[len(s)*99/100]
}
