// Package report runs signalements: reports of illicit online content and
// scams, filed by anyone, anonymously by default. A report is a kind of
// case (SG) on the case kernel: the reporter's own words and address are its
// sealed personal part; the values that describe the offence (URLs, phone
// numbers, IBANs, wallets…) are harmonised by package indicator and kept,
// as typed and in canonical form, outside the sealed part, so that reports
// can be matched against each other. No IP address is stored for a report.
//
// # Cross-referencing
//
// Each report is filed, in the transaction that stores it, in a campaign:
// the reports connected to it by the values they share (see Link). A value
// does not link when it is known-good (a big webmail's domain, a
// shortener's or a platform's home page, a bank's official domain or
// number; see KnownGood and CoveredBy) or a hub held by more reports than
// the threshold (DefaultMaxDegree, or what the last rebuild set): so a
// thousand reports mentioning gmail.com stay a thousand campaigns, each
// value "not linked: known-good". Campaigns are always the connected
// components over the values that link now; Rebuild recomputes them from
// scratch. Analysts read them (Matches, Campaign, Campaigns); supervisors
// edit the known-good list (AddKnownGood, RemoveKnownGood); a reporter
// sees how many reports hold one of their values only once an analyst
// published it (Publish, View.Published).
package report

import (
	"time"

	"github.com/guichet/guichet/internal/casefile"
	"github.com/guichet/guichet/internal/caseref"
)

// Kind declares reports to the case kernel: received, taken up by an
// analyst, routed to one or more competent services, then closed with an
// outcome — or closed at once when it is not for us.
var Kind = &casefile.Kind{
	Prefix:  caseref.Report,
	Initial: casefile.StatusSubmitted,
	Transitions: []casefile.Transition{
		{From: casefile.StatusSubmitted, To: casefile.StatusTriaged, By: analysts},
		{From: casefile.StatusSubmitted, To: casefile.StatusReferred, By: routers},
		{From: casefile.StatusTriaged, To: casefile.StatusReferred, By: routers},
		{From: casefile.StatusSubmitted, To: casefile.StatusClosed, By: analysts},
		{From: casefile.StatusTriaged, To: casefile.StatusClosed, By: analysts},
		{From: casefile.StatusReferred, To: casefile.StatusClosed, By: routers},
	},
	Final: []casefile.Status{casefile.StatusClosed, casefile.StatusExpired},
	Retention: casefile.Retention{
		// The reporter's words are kept a year after the report is closed;
		// the indicators, which describe the offence, stay matchable.
		Closed: 365 * 24 * time.Hour,
	},
	Codec: casefile.JSONCodec[Account]("report"),
}

var (
	analysts = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor}
	// routers may route and close: analysts, and the routing rules (system)
	// or a receiving service (partner) recording an outcome.
	routers = []casefile.Actor{casefile.ActorAgent, casefile.ActorSupervisor, casefile.ActorSystem, casefile.ActorPartner}
)

// Account is the sealed personal part of a report: what only the reporter
// could say of themselves. It is opened only by an analyst, as an access
// event with a purpose.
type Account struct {
	// Description is the reporter's own account of what they saw.
	Description string `json:"description,omitempty"`
	// Email is where the reporter wants to hear the outcome; empty for an
	// anonymous report with no follow-up by email.
	Email string `json:"email,omitempty"`
	// Victim is the reporter's answer to "are you the victim?".
	Victim Victim `json:"victim,omitempty"`
	// Lang is the language the reporter used ("fr", "en").
	Lang string `json:"lang,omitempty"`
	// Evidence names the screenshots attached, by evidence ID.
	Evidence map[string]string `json:"evidence,omitempty"`
}

// EvidenceNames maps each screenshot to the name the reporter gave it.
func (a *Account) EvidenceNames() map[string]string { return a.Evidence }

// Victim is whether the reporter says they are the victim.
type Victim string

// The answers to "are you the victim?".
const (
	VictimNo        Victim = "no"
	VictimYes       Victim = "yes"        // a victim who lost nothing
	VictimLostMoney Victim = "lost_money" // offered the complaint path
)

// Valid reports whether v is one of the answers.
func (v Victim) Valid() bool { return v == VictimNo || v == VictimYes || v == VictimLostMoney }
