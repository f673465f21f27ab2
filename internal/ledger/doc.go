// Package ledger is guichet's tamper-evident transparency log: an
// append-only Merkle tree of case-event commitments with signed
// checkpoints, verifiable by anyone, holding no personal data.
//
// It follows public specifications so that existing clients interoperate:
// RFC 6962 Merkle hashing (via golang.org/x/mod/sumdb/tlog), C2SP
// tlog-checkpoint and signed-note checkpoints signed with Ed25519 (via
// golang.org/x/mod/sumdb/note), the C2SP tlog-tiles read API, and C2SP
// tlog-cosignature / tlog-witness for witnesses (package witness).
//
// # Pieces
//
//   - Log (Open, Sequence, Run, Notify): the sequencer drains the
//     application's outbox (Outbox) in batches, writes tiles and entry
//     bundles to a TileStore (DirStore: files under DataDir/log, never the
//     application database), signs and stores a checkpoint, then records
//     the indexes in the database. See Log for the crash-safety argument.
//   - Handler: GET /log/checkpoint, /log/tile/..., /log/tile/entries/...,
//     /log/key.
//   - InclusionProof, ConsistencyProof: RFC 6962 proofs computed from the
//     stored tiles.
//   - Receipt, BuildReceipt, VerifyReceipt: the citizen's offline proof
//     that an event of their case is in the log.
//   - VerifyLog: an auditor that recomputes the tree from the entries and
//     checks it extends a previously saved checkpoint.
//   - Bench: the figures printed by `guichet bench ledger`.
//
// # Signing key and rotation
//
// The log signs with an Ed25519 signed-note key whose name is the log's
// origin ("<public-url host>/log"). It comes from Config.Key (e.g. the
// GUICHET_LOG_KEY environment variable), else Config.KeyFile, else
// DataDir/ledger.key, generated with mode 0600 on first start. The
// verifier key is Log.VerifierKey (served at /log/key; LoadKey shows it
// without opening the log).
//
// To rotate: (1) generate a new key for the same origin (GenerateKey) and
// add it to Config.ExtraKeys: every checkpoint is then signed by both keys
// and /log/key lists both; (2) publish the new verifier key and have
// witnesses and auditors trust it (witnesses accept several keys per
// origin); (3) after the overlap, make the new key the primary one and
// drop the old. The origin, the tree and every proof stay the same.
// Skipping the overlap makes Open refuse the stored checkpoint (it is not
// signed by the new key). If the old key leaked, rotate at once: witness
// cosignatures are what stops a forged fork signed with the old key.
//
// # Several processes
//
// One process uses a data directory (flock on DataDir/ledger.lock).
// Processes sharing one TileStore (a bucket) and one Outbox (PostgreSQL)
// elect their sequencer through an Elector (Config.Elector;
// internal/postgres implements it with a session advisory lock): the
// holder appends, the others serve the read API and proofs from the
// store. Every write to the store is fenced by a fresh check of the lease
// and bounded by Config.WriteWindow; a new holder waits twice that long
// before reading the log; and no checkpoint is signed unless the stored
// one is the tree it extends. See docs/ledger.md, "Several nodes".
package ledger
