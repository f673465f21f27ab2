//go:build !race

package intake_test

// campaignCopies is how many copies of one spam the campaign tests
// convert (see race_test.go).
const campaignCopies = 10000
