//go:build race

package storetest

// hubReports is how many reports testTenThousandDoNotCollapse files under
// the race detector, which makes each SubmitReport some twenty times
// slower (136 s for 10,000 on SQLite): 2,000, still ten times the test's
// degree threshold, so the hub is a hub for 1,800 of them.
const hubReports = 2_000
