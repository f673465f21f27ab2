// Package e2etest holds guichet's end-to-end tests: they build the real
// binary, boot `guichet serve` on 127.0.0.1:0 over each store (SQLite and
// PostgreSQL), and file a pre-complaint through plain HTTP form posts, as a
// browser without JavaScript does. It has no code outside its tests.
//
// PostgreSQL comes from GUICHET_TEST_POSTGRES (see scripts/pg-test-cluster.sh);
// without it the PostgreSQL run is skipped, or fails when
// GUICHET_REQUIRE_POSTGRES=1, as in scripts/test.
package e2etest
