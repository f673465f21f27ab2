//go:build !unix

package ledger

// lockFile is a no-op where flock does not exist: such deployments MUST
// make sure only one process sequences a log directory.
func lockFile(string) (func() error, error) { return func() error { return nil }, nil }
