//go:build !race

package storetest

// hubReports is how many reports testTenThousandDoNotCollapse files (see
// size_race.go).
const hubReports = 10_000
