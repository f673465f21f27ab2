package ledger

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/ledger/checkpoint"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Outbox is what the sequencer needs from the application database: the
// durable queue of leaves written in the same transactions as the events
// they commit to (see the outbox contract in package casefile).
//
// PendingOutbox MUST return only committed rows not yet sequenced, in ID
// order, at most limit of them. MarkSequenced MUST set LogIndex =
// firstIndex+i for ids[i], atomically (all or none). SequencedCount MUST
// return how many rows have a LogIndex. Only one sequencer calls
// MarkSequenced at a time (see Log).
type Outbox interface {
	PendingOutbox(ctx context.Context, limit int) ([]casefile.OutboxEntry, error)
	MarkSequenced(ctx context.Context, ids []int64, firstIndex int64) error
	SequencedCount(ctx context.Context) (int64, error)
}

// EventIndexer finds where an event's leaf was logged. EventLogIndex MUST
// return an error wrapping guichet.ErrNotFound until the event is
// sequenced.
type EventIndexer interface {
	EventLogIndex(ctx context.Context, eventID string) (int64, error)
}

// Errors of the log itself. Verification failures have their own kinds
// (see verify.go).
var (
	// ErrCorrupt: the stored tiles or checkpoint do not hash to what the
	// log signed (a file was altered or lost).
	ErrCorrupt = errors.New("ledger: stored log is corrupt")
	// ErrDiverged: the log and the database disagree about what was
	// sequenced (for instance one of them was restored from an older
	// backup). The sequencer stops; an operator must look.
	ErrDiverged = errors.New("ledger: log and database disagree")
	// ErrBadLeaf: an outbox row is not a canonical casefile leaf. The
	// sequencer refuses it rather than risk logging personal data.
	ErrBadLeaf = errors.New("ledger: outbox row is not a canonical leaf")
)

// WitnessConfig names one witness the log asks for cosignatures.
type WitnessConfig struct {
	// URL is the witness's submission prefix (POST URL/add-checkpoint).
	URL string
	// Key is its cosignature/v1 verifier key.
	Key string
}

// Config configures a Log. Zero values take the documented defaults.
type Config struct {
	// DataDir holds the log: tiles and checkpoint under DataDir/log, the
	// signing key in DataDir/ledger.key (unless Key or KeyFile is set)
	// and the sequencer's lock file DataDir/ledger.lock.
	DataDir string
	// Origin is the log's identity; if empty it is derived from PublicURL
	// (see OriginForURL). One of them is required.
	Origin    string
	PublicURL string
	// Key is the signer key (e.g. from GUICHET_LOG_KEY); when empty the
	// key is loaded from KeyFile, created there on first start.
	Key     string
	KeyFile string
	// ExtraKeys are more signer keys that also sign every checkpoint,
	// for key rotation (see docs/ledger.md).
	ExtraKeys []string
	// Outbox is the application database. Required to sequence; a Log
	// without one only serves and proves (read-only).
	Outbox Outbox
	// Store overrides where tiles and checkpoints live (default: a
	// DirStore in DataDir/log).
	Store TileStore
	// Witnesses are asked to cosign each new checkpoint.
	Witnesses []WitnessConfig
	// WitnessTimeout bounds one round of cosigning (default 5s).
	WitnessTimeout time.Duration
	// MaxBatch is the most leaves appended per checkpoint (default 4096).
	MaxBatch int
	// Interval is how often Run looks at the outbox without being
	// notified (default 1s, or 250ms with an Elector: commits made on
	// other nodes do not call this node's Notify).
	Interval time.Duration
	// Gather is how long Run lets commits accumulate after a round that
	// appended something, so that a busy outbox is appended in larger
	// batches with fewer checkpoints and file syncs (default 20ms; a
	// negative value disables it). It adds at most that much to the time
	// between an event's commit and its checkpoint.
	Gather time.Duration
	// MaxLag is how long the sequencer may stay behind (or failing)
	// before Admit sheds load (default 10s).
	MaxLag time.Duration
	// Elector, when set, elects the one sequencer among several processes
	// sharing the Store (and the Outbox): Run campaigns and sequences only
	// while it holds the lease; the others serve the read API and proofs
	// from the Store. When nil, the log is sequenced by this process only,
	// under the file lock DataDir/ledger.lock taken by Open. The file lock
	// is taken in both cases when DataDir is set: one process per data
	// directory.
	Elector Elector
	// WriteWindow is how long after confirming its lease a sequencer may
	// still write to the Store (default 500ms); a newly elected one waits
	// twice as long before reading the log. Only used with an Elector.
	WriteWindow time.Duration
	// ReadTTL is how long a node that is not the sequencer serves a
	// checkpoint it read from the Store before reading it again (default
	// 100ms). Only used with an Elector.
	ReadTTL time.Duration

	Logger     *slog.Logger
	Clock      guichet.Clock
	Rand       io.Reader
	HTTPClient *http.Client
}

// Log is guichet's transparency log: the sequencer that appends outbox
// leaves, the signed checkpoints, the proofs and the read API.
//
// Exactly one sequencer appends at a time: Sequence calls are serialized
// by a mutex, and with a DataDir a file lock (flock on DataDir/ledger.lock)
// keeps other processes out. Several processes sharing one Store and one
// Outbox (nodes on PostgreSQL with their tiles in one bucket) MUST be given
// an Elector: only the holder of its lease appends; before each write to
// the Store it confirms the lease, and before signing it re-reads the
// stored checkpoint and refuses to sign unless it is the one it built on.
//
// Crash safety comes from the order of each append: (1) write the new
// tiles and entry bundles, (2) write and fsync the new signed checkpoint,
// (3) MarkSequenced in the database. A crash before (2) leaves unpublished
// tiles that the next append overwrites; a crash between (2) and (3) is
// reconciled before the next append: the log's extra entries are matched
// byte for byte with pending outbox rows and marked, never appended again.
type Log struct {
	cfg       Config
	origin    string
	signers   []note.Signer
	vkeys     []string
	policy    checkpoint.Policy
	store     TileStore
	unlock    func() error
	log       *slog.Logger
	witnesses []*witnessState
	cache     *tileCache

	// mu serializes sequencing and guards the fields below it.
	mu     sync.Mutex
	b      *builder // the tree at the durable checkpoint
	marked int64    // outbox rows known marked; -1 when unknown
	lease  Lease    // the current term's lease, with an Elector; nil when not elected
	// crash, in tests, fails a step at the named stage.
	crash func(stage string) error
	// onPublish, in benchmarks, learns each published size.
	onPublish func(size int64)

	pub      atomic.Pointer[published]
	holding  atomic.Bool // with an Elector: this process sequences, pub is its own
	readMu   sync.Mutex  // serializes re-reads of the stored checkpoint by non-holders
	readAt   time.Time   // when a non-holder last read it (guarded by readMu)
	notify   chan struct{}
	health   sync.Mutex
	failing  error     // last Sequence error, nil when healthy
	behind   time.Time // since when the sequencer has been failing or draining full batches
	closedMu sync.Once
}

// published is the checkpoint served to readers.
type published struct {
	note []byte
	cp   checkpoint.Checkpoint
}

// Open opens (or creates) the log described by cfg. It verifies the
// stored checkpoint against the log's key and recomputes its root from
// the stored edge tiles, so a damaged log fails here rather than later.
// Open does not touch the database: reconciliation with the outbox
// happens in the first Sequence.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = guichet.SystemClock{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 4096
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
		if cfg.Elector != nil {
			cfg.Interval = 250 * time.Millisecond
		}
	}
	if cfg.WriteWindow <= 0 {
		cfg.WriteWindow = 500 * time.Millisecond
	}
	if cfg.ReadTTL <= 0 {
		cfg.ReadTTL = 100 * time.Millisecond
	}
	if cfg.Gather == 0 {
		cfg.Gather = 20 * time.Millisecond
	}
	if cfg.MaxLag <= 0 {
		cfg.MaxLag = 10 * time.Second
	}
	if cfg.WitnessTimeout <= 0 {
		cfg.WitnessTimeout = 5 * time.Second
	}
	l := &Log{cfg: cfg, log: cfg.Logger, notify: make(chan struct{}, 1), marked: -1, cache: newTileCache(2048), unlock: func() error { return nil }}
	origin := cfg.Origin
	if origin == "" {
		if cfg.PublicURL == "" {
			return nil, errors.New("ledger: config needs Origin or PublicURL")
		}
		o, err := OriginForURL(cfg.PublicURL)
		if err != nil {
			return nil, err
		}
		origin = o
	}
	l.origin = origin
	if cfg.DataDir != "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("ledger: data directory: %w", err)
		}
		lease, err := FileLock(filepath.Join(cfg.DataDir, "ledger.lock")).Acquire(ctx)
		if err != nil {
			return nil, err
		}
		l.unlock = lease.Release
	}
	if err := l.open(ctx); err != nil {
		l.unlock()
		return nil, err
	}
	return l, nil
}

func (l *Log) open(ctx context.Context) error {
	cfg := l.cfg
	key, err := loadKey(cfg, l.origin)
	if err != nil {
		return err
	}
	keys := []*Key{key}
	for _, sk := range cfg.ExtraKeys {
		k, err := ParseKey(sk)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	for _, k := range keys {
		if k.Name() != l.origin {
			return fmt.Errorf("ledger: signing key is named %q but the log's origin is %q: the key name MUST be the origin", k.Name(), l.origin)
		}
		l.signers = append(l.signers, k.signer)
		l.vkeys = append(l.vkeys, k.VerifierKey())
	}
	if l.policy, err = checkpoint.NewPolicy(key.VerifierKey(), nil, 0); err != nil {
		return err
	}
	l.store = cfg.Store
	if l.store == nil {
		if cfg.DataDir == "" {
			return errors.New("ledger: config needs Store or DataDir")
		}
		if l.store, err = NewDirStore(filepath.Join(cfg.DataDir, "log")); err != nil {
			return err
		}
	}
	for _, w := range cfg.Witnesses {
		ws, err := newWitnessState(w, cfg.HTTPClient)
		if err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		l.witnesses = append(l.witnesses, ws)
	}

	// With an Elector, only the elected sequencer writes (see term).
	return l.load(ctx, cfg.Elector == nil)
}

// load reads the stored checkpoint, verifies it and rebuilds the tree's
// edge from the stored tiles, and publishes it. A log without a
// checkpoint is new: with write, load stores the empty tree's checkpoint
// (so that there is always one to serve); without, it only serves it.
// Caller holds l.mu, or is Open.
func (l *Log) load(ctx context.Context, write bool) error {
	l.marked = -1
	raw, err := l.store.Get(ctx, CheckpointPath)
	if errors.Is(err, guichet.ErrNotFound) {
		l.b = &builder{keepEntries: true}
		cp := checkpoint.Checkpoint{Origin: l.origin, Size: 0, Hash: emptyRoot}
		signed, err := l.sign(cp)
		if err != nil {
			return err
		}
		if write {
			wctx, cancel, err := l.fence(ctx)
			if err != nil {
				return err
			}
			err = l.store.Put(wctx, []Object{{CheckpointPath, signed}})
			cancel()
			if err != nil {
				return err
			}
			l.log.InfoContext(ctx, "ledger: new log", "origin", l.origin, "key", l.vkeys[0])
		}
		l.pub.Store(&published{note: signed, cp: cp})
		return nil
	}
	if err != nil {
		return err
	}
	v, err := l.policy.Open(raw)
	if err != nil {
		return fmt.Errorf("ledger: stored checkpoint: %w", err)
	}
	b, err := loadBuilder(ctx, l.store, v.Size)
	if err != nil {
		return err
	}
	if got := b.root(); got != v.Hash {
		return fmt.Errorf("%w: tiles at size %d hash to %v, the checkpoint says %v", ErrCorrupt, v.Size, got, v.Hash)
	}
	l.b = b
	l.pub.Store(&published{note: raw, cp: v.Checkpoint})
	l.log.InfoContext(ctx, "ledger: opened", "origin", l.origin, "size", v.Size)
	return nil
}

// LoadKey returns the log's primary signing key as Open would find it:
// cfg.Key, else the file cfg.KeyFile, else DataDir/ledger.key — created
// on first use. It does not open the log (no lock), so `guichet admin
// log-key` can show the verifier key of a running instance.
func LoadKey(cfg Config) (*Key, error) {
	origin := cfg.Origin
	if origin == "" {
		o, err := OriginForURL(cfg.PublicURL)
		if err != nil {
			return nil, err
		}
		origin = o
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return loadKey(cfg, origin)
}

func loadKey(cfg Config, origin string) (*Key, error) {
	switch {
	case cfg.Key != "":
		return ParseKey(cfg.Key)
	case cfg.KeyFile != "" || cfg.DataDir != "":
		path := cfg.KeyFile
		if path == "" {
			path = filepath.Join(cfg.DataDir, "ledger.key")
		}
		return LoadOrCreateKey(path, origin, cfg.Rand)
	}
	return nil, errors.New("ledger: config needs Key, KeyFile or DataDir")
}

// loadBuilder rebuilds the right edge of the tree of the given size from
// the partial tiles and bundle published for that size.
func loadBuilder(ctx context.Context, st TileStore, size int64) (*builder, error) {
	b := &builder{size: size, keepEntries: true}
	for L := 0; size>>(TileHeight*L) > 0; L++ {
		shift := uint(TileHeight * L)
		w := int(size >> shift % TileWidth)
		var hs []tlog.Hash
		if w > 0 {
			p := TilePath{Level: L, N: size >> (shift + TileHeight), W: w}
			data, err := st.Get(ctx, p.String())
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
			}
			if hs, err = tileHashes(data); err != nil || len(hs) != w {
				return nil, fmt.Errorf("%w: %s: %d bytes", ErrCorrupt, p, len(data))
			}
		}
		b.levels = append(b.levels, append(make([]tlog.Hash, 0, TileWidth), hs...))
	}
	if w := int(size % TileWidth); w > 0 {
		p := TilePath{Level: EntriesLevel, N: size >> TileHeight, W: w}
		data, err := st.Get(ctx, p.String())
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
		}
		es, err := ParseBundle(data)
		if err != nil || len(es) != w {
			return nil, fmt.Errorf("%w: %s: not a bundle of %d entries", ErrCorrupt, p, w)
		}
		for i, e := range es {
			if tlog.RecordHash(e) != b.levels[0][i] {
				return nil, fmt.Errorf("%w: %s: entry %d does not hash to its tile", ErrCorrupt, p, i)
			}
			b.entries = append(b.entries, bytes.Clone(e))
		}
	}
	return b, nil
}

// Close releases the sequencer lock. Serving and proving stop being safe
// to use afterwards only if the files are removed.
func (l *Log) Close() error {
	var err error
	l.closedMu.Do(func() { err = l.unlock() })
	return err
}

// Origin returns the log's origin line.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the log's primary verifier key (signed-note vkey).
func (l *Log) VerifierKey() string { return l.vkeys[0] }

// VerifierKeys returns every key signing the log's checkpoints, the
// primary first (more than one only during a key rotation).
func (l *Log) VerifierKeys() []string { return append([]string(nil), l.vkeys...) }

// Checkpoint returns the latest published checkpoint: the signed note with
// the witnesses' cosignatures it collected. On a node that is not the
// sequencer it is read from the Store (at most ReadTTL old).
func (l *Log) Checkpoint() []byte { return bytes.Clone(l.latest(context.Background(), 0).note) }

// CheckpointCovering returns the latest checkpoint, read again from the
// Store on a node that is not the sequencer if what it has does not cover
// index (so that the index of an event the database says is sequenced
// comes with a checkpoint including it).
func (l *Log) CheckpointCovering(ctx context.Context, index int64) []byte {
	return bytes.Clone(l.latest(ctx, index+1).note)
}

// Size returns the tree size of the latest published checkpoint.
func (l *Log) Size() int64 { return l.latest(context.Background(), 0).cp.Size }

// latest returns the checkpoint to serve. The sequencer (or a log
// without an Elector) serves its own; any other node serves the stored
// one, read again when its copy is older than ReadTTL or smaller than
// want. A stored checkpoint that does not verify, or that would roll the
// served one back, is not served (and is logged).
func (l *Log) latest(ctx context.Context, want int64) *published {
	p := l.pub.Load()
	if l.cfg.Elector == nil || l.holding.Load() {
		return p
	}
	l.readMu.Lock()
	defer l.readMu.Unlock()
	if p = l.pub.Load(); p.cp.Size >= want && time.Since(l.readAt) < l.cfg.ReadTTL {
		return p // read meanwhile by another request
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	raw, err := l.store.Get(ctx, CheckpointPath)
	if errors.Is(err, guichet.ErrNotFound) {
		l.readAt = time.Now() // no log yet: the empty tree Open signed
		return p
	}
	if err != nil {
		l.log.WarnContext(ctx, "ledger: read stored checkpoint", "err", err)
		return p
	}
	v, err := l.policy.Open(raw)
	switch {
	case err != nil:
		l.log.ErrorContext(ctx, "ledger: stored checkpoint does not verify", "err", err)
		return p
	case v.Size < p.cp.Size || (v.Size == p.cp.Size && v.Hash != p.cp.Hash):
		l.log.ErrorContext(ctx, "ledger: stored checkpoint does not extend the one served", "stored", v.Size, "served", p.cp.Size)
		return p
	}
	l.readAt = time.Now()
	np := &published{note: raw, cp: v.Checkpoint}
	if l.holding.Load() {
		return l.pub.Load() // elected meanwhile: its own is authoritative
	}
	l.pub.Store(np)
	return np
}

// Notify wakes the sequencer (Run) up: call it after committing a
// transaction that wrote outbox rows. It never blocks.
func (l *Log) Notify() {
	select {
	case l.notify <- struct{}{}:
	default:
	}
}

func (l *Log) sign(c checkpoint.Checkpoint) ([]byte, error) {
	signed, err := note.Sign(&note.Note{Text: string(c.Marshal())}, l.signers...)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return signed, nil
}

// publish makes p the checkpoint served to readers.
func (l *Log) publish(p *published) {
	l.pub.Store(p)
	if l.onPublish != nil {
		l.onPublish(p.cp.Size)
	}
}

func (l *Log) stage(name string) error {
	if l.crash != nil {
		return l.crash(name)
	}
	return nil
}

// Sequence appends up to MaxBatch pending outbox rows to the log and
// publishes a new checkpoint for them; it returns how many it appended.
// Before appending, it reconciles the log with the database after a
// crash or a failed MarkSequenced.
func (l *Log) Sequence(ctx context.Context) (int, error) {
	if l.cfg.Outbox == nil {
		return 0, errors.New("ledger: read-only log (no outbox)")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Elector != nil && l.lease == nil {
		return 0, ErrNotSequencer
	}
	if l.marked != l.b.size {
		if err := l.reconcile(ctx); err != nil {
			return 0, err
		}
	}
	rows, err := l.cfg.Outbox.PendingOutbox(ctx, l.cfg.MaxBatch)
	if err != nil {
		return 0, fmt.Errorf("ledger: read outbox: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	if len(rows) > l.cfg.MaxBatch {
		rows = rows[:l.cfg.MaxBatch]
	}
	old, oldRoot := l.b.size, l.b.root()
	nb := l.b.clone()
	var objs []Object
	ids := make([]int64, len(rows))
	for i, r := range rows {
		if err := checkLeaf(r.Leaf); err != nil {
			return 0, fmt.Errorf("%w: row %d (event %s): %v", ErrBadLeaf, r.ID, r.EventID, err)
		}
		ids[i] = r.ID
		nb.appendLeaf(r.Leaf, tlog.RecordHash(r.Leaf), func(t tileOut) {
			objs = append(objs, Object{t.path.String(), t.data})
		})
	}
	for _, t := range nb.partials(old) {
		objs = append(objs, Object{t.path.String(), t.data})
	}
	// (1) Tiles and bundles beyond the published tree.
	if err := l.stage("tiles"); err != nil {
		return 0, err
	}
	// Not over another process's append (see checkStored below); then in
	// chunks, each under a fresh confirmation of the lease.
	wctx, cancel, err := l.fence(ctx)
	if err != nil {
		return 0, err
	}
	err = l.checkStored(wctx, old, oldRoot)
	cancel()
	if err != nil {
		return 0, err
	}
	for chunk := range slices.Chunk(objs, tileChunk) {
		wctx, cancel, err := l.fence(ctx)
		if err != nil {
			return 0, err
		}
		err = l.store.Put(wctx, chunk)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("ledger: write tiles: %w", err)
		}
	}
	// (2) The checkpoint: from here on the entries are in the log. It is
	// signed only over the stored checkpoint this append built on: a
	// log never forks, even if two processes believed they sequence.
	if err := l.stage("checkpoint"); err != nil {
		return 0, err
	}
	wctx, cancel, err = l.fence(ctx)
	if err != nil {
		return 0, err
	}
	defer cancel()
	if err := l.checkStored(wctx, old, oldRoot); err != nil {
		return 0, err
	}
	cp := checkpoint.Checkpoint{Origin: l.origin, Size: nb.size, Hash: nb.root()}
	signed, err := l.sign(cp)
	if err != nil {
		return 0, err
	}
	if err := l.store.Put(wctx, []Object{{CheckpointPath, signed}}); err != nil {
		return 0, fmt.Errorf("ledger: write checkpoint: %w", err)
	}
	cancel()
	l.b, l.marked = nb, -1
	if len(l.witnesses) == 0 {
		l.publish(&published{note: signed, cp: cp})
	}
	// (3) The database learns the indexes.
	if err := l.stage("mark"); err != nil {
		return 0, err
	}
	if err := l.cfg.Outbox.MarkSequenced(ctx, ids, old); err != nil {
		return 0, fmt.Errorf("ledger: mark %d rows sequenced at %d (will reconcile): %w", len(ids), old, err)
	}
	l.marked = nb.size
	if err := l.stage("marked"); err != nil {
		return 0, err
	}
	if len(l.witnesses) > 0 {
		l.collectCosignatures(ctx, cp, signed)
	}
	l.log.DebugContext(ctx, "ledger: appended", "count", len(rows), "size", nb.size)
	return len(rows), nil
}

// tileChunk is how many objects of an append are written under one
// confirmation of the lease.
const tileChunk = 16

// checkStored fails with ErrNotSequencer unless the stored checkpoint is
// the tree of the given size and root, the one an append builds on.
func (l *Log) checkStored(ctx context.Context, size int64, root tlog.Hash) error {
	raw, err := l.store.Get(ctx, CheckpointPath)
	if err != nil {
		return fmt.Errorf("ledger: re-read checkpoint before signing: %w", err)
	}
	v, err := l.policy.Open(raw)
	if err != nil {
		return fmt.Errorf("%w: stored checkpoint: %v", ErrCorrupt, err)
	}
	if v.Size != size || v.Hash != root {
		return fmt.Errorf("%w: the stored checkpoint (size %d) is not the one this sequencer built on (size %d): another process appended", ErrNotSequencer, v.Size, size)
	}
	return nil
}

// reconcile brings the database in line with the durable checkpoint: if
// the log holds entries the database has not marked (a crash or error
// between writing the checkpoint and MarkSequenced), they are the first
// pending rows; each logged entry is matched with a pending row holding
// the same leaf and those rows are marked. Caller holds l.mu.
func (l *Log) reconcile(ctx context.Context) error {
	count, err := l.cfg.Outbox.SequencedCount(ctx)
	if err != nil {
		return fmt.Errorf("ledger: count sequenced rows: %w", err)
	}
	size := l.b.size
	switch {
	case count == size:
		l.marked = size
		return nil
	case count > size:
		return fmt.Errorf("%w: the database has %d sequenced events, the log only %d (log directory older than the database?)", ErrDiverged, count, size)
	}
	logged, err := readEntries(ctx, l.store, size, count, size)
	if err != nil {
		return err
	}
	// Rows committed after the crash can have lower IDs than the
	// appended ones (PostgreSQL sequences are not commit-ordered), so
	// look a little further than the gap.
	pending, err := l.cfg.Outbox.PendingOutbox(ctx, len(logged)+l.cfg.MaxBatch)
	if err != nil {
		return fmt.Errorf("ledger: read outbox: %w", err)
	}
	byLeaf := map[string][]int64{}
	for _, r := range pending {
		byLeaf[string(r.Leaf)] = append(byLeaf[string(r.Leaf)], r.ID)
	}
	ids := make([]int64, len(logged))
	for i, e := range logged {
		cand := byLeaf[string(e)]
		if len(cand) == 0 {
			return fmt.Errorf("%w: log entry %d is not a pending outbox row", ErrDiverged, count+int64(i))
		}
		ids[i], byLeaf[string(e)] = cand[0], cand[1:]
	}
	if err := l.cfg.Outbox.MarkSequenced(ctx, ids, count); err != nil {
		return fmt.Errorf("ledger: reconcile: mark %d rows at %d: %w", len(ids), count, err)
	}
	l.log.WarnContext(ctx, "ledger: reconciled entries appended before a crash", "first", count, "count", len(ids))
	l.marked = size
	return nil
}

// readEntries returns entries [from, to) of the tree of the given size.
func readEntries(ctx context.Context, st TileStore, size, from, to int64) ([][]byte, error) {
	var out [][]byte
	for n := from >> TileHeight; n<<TileHeight < to; n++ {
		p := bundleFor(n, size)
		data, err := st.Get(ctx, p.String())
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, p, err)
		}
		es, err := ParseBundle(data)
		if err != nil || len(es) != p.W {
			return nil, fmt.Errorf("%w: %s: not a bundle of %d entries", ErrCorrupt, p, p.W)
		}
		for i, e := range es {
			if idx := n<<TileHeight + int64(i); idx >= from && idx < to {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// bundleFor returns the path of entry bundle n as published for a tree
// of the given size (full, or partial at the edge).
func bundleFor(n, size int64) TilePath {
	w := size - n<<TileHeight
	if w > TileWidth {
		w = TileWidth
	}
	return TilePath{Level: EntriesLevel, N: n, W: int(w)}
}

// checkLeaf accepts only canonical casefile leaves: commitments, never
// free text.
func checkLeaf(b []byte) error {
	if len(b) > maxEntrySize {
		return fmt.Errorf("%d bytes", len(b))
	}
	_, err := ParseLeaf(b)
	return err
}

// Run sequences until ctx is done: it wakes on Notify or every Interval,
// and drains the outbox in batches of MaxBatch, publishing a checkpoint
// per batch. Transient errors are logged and retried with backoff; it
// returns only when ctx is done (nil) or on ErrDiverged, ErrCorrupt or
// ErrBadLeaf, which need an operator.
//
// With an Elector, Run first campaigns for the lease, and sequences only
// while it holds it; when the lease is lost it stops appending at once
// and campaigns again.
func (l *Log) Run(ctx context.Context) error {
	if l.cfg.Outbox == nil {
		return errors.New("ledger: read-only log (no outbox): nothing to sequence")
	}
	if l.cfg.Elector != nil {
		return l.runElected(ctx)
	}
	l.log.InfoContext(ctx, "ledger: sequencer running", "origin", l.origin, "size", l.Size())
	err := l.sequenceLoop(ctx, nil)
	if errors.Is(err, ErrNotSequencer) {
		// Someone else wrote this log despite the file lock.
		return fmt.Errorf("%w: %w", ErrDiverged, err)
	}
	return err
}

// sequenceLoop is Run's loop, until ctx is done or lost is closed.
func (l *Log) sequenceLoop(ctx context.Context, lost <-chan struct{}) error {
	tick := time.NewTicker(l.cfg.Interval)
	defer tick.Stop()
	backoff := 100 * time.Millisecond
	for {
		n, err := l.Sequence(ctx)
		if ctx.Err() != nil {
			return nil
		}
		l.record(n, err)
		if err != nil {
			if errors.Is(err, ErrNotSequencer) {
				return err
			}
			l.log.ErrorContext(ctx, "ledger: sequencing failed", "err", err)
			if errors.Is(err, ErrDiverged) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrBadLeaf) {
				return err
			}
			select {
			case <-ctx.Done():
				return nil
			case <-lost:
				return ErrNotSequencer
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		if n == l.cfg.MaxBatch {
			continue // more is waiting
		}
		if n > 0 && l.cfg.Gather > 0 {
			// Busy: let the next commits gather into one batch.
			select {
			case <-ctx.Done():
				return nil
			case <-lost:
				return ErrNotSequencer
			case <-time.After(l.cfg.Gather):
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-lost:
			return ErrNotSequencer
		case <-l.notify:
		case <-tick.C:
		}
	}
}

// record notes the outcome of a Sequence for Admit.
func (l *Log) record(n int, err error) {
	l.health.Lock()
	defer l.health.Unlock()
	l.failing = err
	switch {
	case err != nil || n == l.cfg.MaxBatch:
		if l.behind.IsZero() {
			l.behind = l.cfg.Clock.Now()
		}
	default:
		l.behind = time.Time{}
	}
}

// BackpressureError says the log cannot keep up; intake SHOULD refuse new
// events (HTTP 503 with Retry-After) until it clears. It wraps
// guichet.ErrUnavailable.
type BackpressureError struct {
	RetryAfter time.Duration
	Cause      error // the sequencer's last error, if it is failing
}

func (e *BackpressureError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("ledger: sequencer failing: %v", e.Cause)
	}
	return "ledger: sequencer behind"
}

// Unwrap makes errors.Is(err, guichet.ErrUnavailable) true.
func (e *BackpressureError) Unwrap() error { return guichet.ErrUnavailable }

// Admit returns nil while the sequencer keeps up, and a
// *BackpressureError once it has been failing, or draining full batches
// without catching up, for longer than MaxLag.
func (l *Log) Admit() error {
	l.health.Lock()
	defer l.health.Unlock()
	if l.behind.IsZero() || l.cfg.Clock.Now().Sub(l.behind) < l.cfg.MaxLag {
		return nil
	}
	return &BackpressureError{RetryAfter: 30 * time.Second, Cause: l.failing}
}
