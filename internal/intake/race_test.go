//go:build race

package intake_test

// campaignCopies is how many copies of one spam the campaign tests
// convert: under the race detector, whose regular expressions run some
// thirty times slower, a tenth of the 10,000 the plain run converts.
const campaignCopies = 1000
