package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/guichet/guichet/internal/ledger"
	"github.com/guichet/guichet/internal/postgres"
)

// openLogStore opens where the log's tiles and checkpoint live: the
// bucket of --log-blob, or DATA/log. It returns the store, a name for it
// in error messages, and what closes it (nil for the directory).
func openLogStore(ctx context.Context, cfg config) (ledger.TileStore, string, func() error, error) {
	if cfg.LogBlob == "" {
		dir := filepath.Join(cfg.DataDir, "log")
		st, err := ledger.NewDirStore(dir)
		if err != nil {
			return nil, "", nil, fmt.Errorf("transparency log storage: %w", err)
		}
		return st, "this node's data directory (" + dir + ")", nil, nil
	}
	bs, closeBucket, err := ledger.OpenBlobStore(ctx, cfg.LogBlob)
	if err != nil {
		return nil, "", nil, fmt.Errorf("transparency log storage: %w", err)
	}
	return bs, "the bucket of --log-blob", closeBucket, nil
}

// logElector is how the log's sequencer is elected. On PostgreSQL several
// nodes may share the database: the store must then be the database's own
// log (ledger.ClaimInstance refuses a node whose tiles are elsewhere, such
// as a second node's data directory), and the sequencer is elected with
// the database's advisory lock. On SQLite, nil: the file lock in the data
// directory.
func logElector(ctx context.Context, s store, tiles ledger.TileStore, where string, logger *slog.Logger) (ledger.Elector, error) {
	pg, ok := s.(*postgres.Store)
	if !ok {
		return nil, nil
	}
	if err := ledger.ClaimInstance(ctx, tiles, pg, where, rand.Reader); err != nil {
		return nil, fmt.Errorf("transparency log: %w", err)
	}
	return pg.Elector(logger), nil
}
