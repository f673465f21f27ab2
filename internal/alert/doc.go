// Package alert runs silent alerts: a person in danger raises one from a
// phone without a word, and it reaches the dispatchers of their area with
// its position. An alert is a kind of case (AL) on the case kernel.
//
// This file set starts with the dispatcher's first need, the nearest
// available units (Fleet); the case kind, the service and the console
// build on it.
package alert
