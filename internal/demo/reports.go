package demo

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/guichet/guichet/internal/account"
	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
)

// Reporter is what seeding reports needs from the report service.
type Reporter interface {
	Submit(ctx context.Context, in report.Input) (*report.Filed, error)
	RecordOutcome(ctx context.Context, p account.Principal, ref, service string, o report.Outcome) error
}

// ReportsSeeded is what SeedReports filed.
type ReportsSeeded struct {
	Total int
	// Samples are a few reports with their tracking codes, to try the
	// reporter's status page.
	Samples []SampleReport
}

// SampleReport is one seeded report a visitor can follow.
type SampleReport struct {
	Ref, TrackingCode, What string
}

// The demo's fictitious values. Phone numbers are in ARCEP's range kept
// for fiction, 01 99 00 … (its mobile one, 06 39 98 …, is not a valid
// number in libphonenumber's data, so it would be read as unreadable);
// hosts are under .example (RFC 2606); IBANs are French with made-up bank
// codes and computed keys (the RIB key, then mod-97), so that they are
// well formed and match nobody's account.
//
// The foreign number is in Ofcom's range kept for drama, 020 7946 0000 to
// 0999 (London), so that a rule on a value's country has something to
// fire on without dialling anyone.
const (
	demoShortURL = "https://lnk.example/c0lis-7Hq"
	demoPhoneA   = "01 99 00 12 34"
	demoPhoneB   = "01 99 00 45 67"
	demoPhoneGB  = "+44 20 7946 0321"
)

// RuleSaver is what seeding the demo's rules needs from the report service.
type RuleSaver interface {
	SaveRule(ctx context.Context, p account.Principal, r report.Rule) (report.Rule, error)
}

// DemoRules are the routing rules the demo adds to the defaults (which
// include r-abroad, a phone number or IBAN outside France to Interpol):
// one on the reporter's département, so that a report of threats from the
// Rhône goes to the local unit, named in the reason.
var DemoRules = []report.Rule{{
	Name: "Menaces dans le Rhône : unité locale", Active: true,
	Categories: []report.Category{report.CatThreats, report.CatExtortion}, Places: []string{"69"},
	Services: []string{report.SvcLocal},
	WhyFR:    "Les menaces et le chantage visant une personne du Rhône sont suivis par l’unité locale, qui peut la recevoir et agir vite.",
	WhyEN:    "Threats and blackmail against someone in the Rhône are followed up by the local unit, which can see them and act quickly.",
}}

// SeedRules saves DemoRules as supervisor, before SeedReports files the
// month of reports they route.
func SeedRules(ctx context.Context, svc RuleSaver, supervisor account.Principal) error {
	for _, r := range DemoRules {
		r.Categories, r.Places, r.Services = slices.Clone(r.Categories), slices.Clone(r.Places), slices.Clone(r.Services)
		if _, err := svc.SaveRule(ctx, supervisor, r); err != nil {
			return fmt.Errorf("seed rule %q: %w", r.Name, err)
		}
	}
	return nil
}

// demoPlaces are the départements of the demo's reports, with their
// weights: the big cities first, some overseas and in Corsica, a few
// reporters abroad; about a third say nothing.
var demoPlaces = []struct {
	place  report.Place
	weight int
}{
	{"", 30}, {"75", 14}, {"69", 12}, {"13", 10}, {"33", 6}, {"31", 5}, {"59", 5}, {"93", 4},
	{"56", 2}, {"74", 2}, {"71", 2}, {"974", 2}, {"971", 1}, {"2A", 1}, {"2B", 1}, {report.PlaceAbroad, 3},
}

// demoPlace draws a place for one report.
func demoPlace(r *rand.Rand) report.Place {
	total := 0
	for _, p := range demoPlaces {
		total += p.weight
	}
	n := r.IntN(total)
	for _, p := range demoPlaces {
		if n < p.weight {
			return p.place
		}
		n -= p.weight
	}
	return ""
}

// demoIBAN makes a valid French IBAN from a bank code (5 digits), branch
// code (5 digits) and account number (11 digits): the RIB key, then the
// IBAN check digits.
func demoIBAN(bank, branch, acct string) string {
	n := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 10); return v }
	sum := new(big.Int).Mul(n(bank), big.NewInt(89))
	sum.Add(sum, new(big.Int).Mul(n(branch), big.NewInt(15)))
	sum.Add(sum, new(big.Int).Mul(n(acct), big.NewInt(3)))
	key := 97 - new(big.Int).Mod(sum, big.NewInt(97)).Int64()
	bban := fmt.Sprintf("%s%s%s%02d", bank, branch, acct, key)
	// FR = 15 27, then 00, moved to the end.
	check := 98 - new(big.Int).Mod(n(bban+"152700"), big.NewInt(97)).Int64()
	return fmt.Sprintf("FR%02d%s", check, bban)
}

var phishingTexts = []string{
	"Votre colis est en attente de livraison. Réglez les frais de 1,99 € : %s . Service client : %s",
	"La Poste : votre colis n'a pas pu être livré. Reprogrammez la livraison ici %s ou appelez le %s",
	"Dernier avis : frais de douane impayés pour votre colis. %s — info au %s",
	"Votre paquet est bloqué au centre de tri. Confirmez votre adresse : %s (assistance %s)",
}

// phishingCardLine ends half the phishing messages: the crooks quote the
// real interbank card-blocking line to look genuine, a known-good value
// that appears in the campaign without linking it.
const phishingCardLine = " En cas de fraude, opposition carte au 0 892 705 705."

// SeedReports files a month of reports through the report service, as the
// public form would: a phishing SMS campaign of a few hundred messages
// sharing one short link and two numbers, a fake-shop campaign, IBANs of
// an investment scam, a few hate and threat reports, and values that must
// not link reports (a marketplace's home page, webmail addresses). The
// routing rules route them; some get an outcome.
func SeedReports(ctx context.Context, svc Reporter, analyst account.Principal, seed uint64, now time.Time) (ReportsSeeded, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	var ins []report.Input
	at := func() time.Time { return now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))) }
	victim := func() report.Victim {
		switch r.IntN(10) {
		case 0:
			return report.VictimLostMoney
		case 1, 2:
			return report.VictimYes
		}
		return report.VictimNo
	}
	for i := range 320 {
		txt := fmt.Sprintf(phishingTexts[i%len(phishingTexts)], demoShortURL, []string{demoPhoneA, demoPhoneB}[i%2])
		if i%4 >= 2 {
			txt += phishingCardLine
		}
		ins = append(ins, report.Input{Category: report.CatPhishing, Lang: "fr", Victim: victim(), At: at(),
			Seen: []report.SeenInput{{Channel: "sms", Value: txt}}, Lane: report.LaneNormal})
	}
	for i := range 45 {
		shop := fmt.Sprintf("https://www.destockage-marques-%d.example/promo?utm_source=facebook", i%3)
		ins = append(ins, report.Input{Category: report.CatFakeShop, Lang: "fr", Victim: report.VictimLostMoney, At: at(),
			Description: "Commande payée, jamais reçue, le site ne répond plus.",
			Email:       fmt.Sprintf("client%d@example.fr", i),
			Seen: []report.SeenInput{{Channel: "url", Value: shop}, {Channel: "email", Value: fmt.Sprintf("acheteur.%d@gmail.com", i)},
				{Channel: "url", Value: "https://www.leboncoin.fr/"}}, Lane: report.LaneNormal})
	}
	ibans := []string{demoIBAN("99001", "00001", "00012345678"), demoIBAN("99002", "00420", "00098765432"), demoIBAN("99003", "01000", "00055500011")}
	for i := range 30 {
		ins = append(ins, report.Input{Category: report.CatInvestment, Lang: "fr", Victim: report.VictimLostMoney, At: at(),
			Description: "Un conseiller m'a fait investir dans des cryptomonnaies, impossible de retirer.",
			Seen: []report.SeenInput{{Channel: "iban", Value: ibans[i%len(ibans)]},
				{Channel: "url", Value: "https://trade-crypto-pro.example/login"}}, Lane: report.LaneNormal})
	}
	for i := range 6 {
		ins = append(ins, report.Input{Category: report.CatHate, Lang: "fr", At: at(),
			Seen: []report.SeenInput{{Channel: "account", Value: "X", Platform: fmt.Sprintf("@compte_haineux_%d", i)}}})
	}
	for i := range 4 {
		ins = append(ins, report.Input{Category: report.CatThreats, Lang: "fr", Victim: report.VictimYes, At: at(),
			Seen: []report.SeenInput{{Channel: "phone", Value: fmt.Sprintf("01 99 00 77 %02d", i)}}})
	}
	// A romance scam run from a London number: a value abroad.
	for range 12 {
		ins = append(ins, report.Input{Category: report.CatRomance, Lang: "fr", Victim: report.VictimLostMoney, At: at(),
			Description: "Rencontré sur une application, il me demande de l’argent pour venir en France.",
			Seen:        []report.SeenInput{{Channel: "phone", Value: demoPhoneGB}}, Lane: report.LaneNormal})
	}
	// Places, from a source of their own so that the rest of the month
	// stays as it was; the threats come from the Rhône, where the demo's
	// rule sends them to the local unit.
	places := rand.New(rand.NewPCG(seed, seed^0x91ace))
	for i := range ins {
		switch ins[i].Category {
		case report.CatThreats:
			ins[i].Place = "69003"
		default:
			if p := demoPlace(places); p == report.PlaceAbroad {
				ins[i].Abroad = true
			} else {
				ins[i].Place = string(p)
			}
		}
	}
	for i := range ins {
		if ins[i].Seen[0].Channel == "account" {
			ins[i].Seen[0] = report.SeenInput{Channel: "account", Platform: "X", Value: ins[i].Seen[0].Platform}
		}
		if r.IntN(8) == 0 {
			ins[i].Lane = report.LaneReview
		}
	}

	// Four writers at once: the store commits them in groups.
	var (
		mu    sync.Mutex
		out   ReportsSeeded
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				f, err := svc.Submit(ctx, ins[i])
				mu.Lock()
				if err != nil && first == nil {
					first = fmt.Errorf("seed report %d: %w", i, err)
				}
				if err == nil {
					out.Total++
					if i == 0 || i == 320 || i == 365 {
						what := string(ins[i].Category)
						out.Samples = append(out.Samples, SampleReport{Ref: f.Ref, TrackingCode: f.TrackingCode.String(), What: what})
					}
				}
				mu.Unlock()
				// The first phishing reports were dealt with: the link
				// blocked by the cybercrime office.
				if err == nil && i%40 == 1 && ins[i].Category == report.CatPhishing {
					for _, o := range []struct {
						svc string
						o   report.Outcome
					}{{report.SvcCyber, report.OutcomeSiteBlocked}, {report.SvcSpam, report.OutcomeNumberCut}} {
						if err := svc.RecordOutcome(ctx, analyst, f.Ref, o.svc, o.o); err != nil {
							mu.Lock()
							if first == nil {
								first = fmt.Errorf("seed outcome %s: %w", f.Ref, err)
							}
							mu.Unlock()
						}
					}
				}
			}
		})
	}
	for i := range ins {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return out, first
	}
	return out, nil
}

// Publisher is what publishing the demo's values needs from the report
// service.
type Publisher interface {
	Publish(ctx context.Context, p account.Principal, key string) error
}

// PublishedValues are the values the demo's analyst publishes, as typed,
// so that the public checker (/verifier) has known scams to tell of: the
// phishing campaign's short link and first number, and the investment
// scam's first IBAN.
var PublishedValues = []string{demoShortURL, demoPhoneA, demoIBAN("99001", "00001", "00012345678")}

// PublishValues publishes PublishedValues (after SeedReports filed the
// reports holding them).
func PublishValues(ctx context.Context, svc Publisher, analyst account.Principal) error {
	for _, v := range PublishedValues {
		x := indicator.Normalize(indicator.KindAuto, v)
		if !x.Valid {
			return fmt.Errorf("publish %q: %s", v, x.Reason)
		}
		if err := svc.Publish(ctx, analyst, x.Key()); err != nil {
			return fmt.Errorf("publish %q: %w", v, err)
		}
	}
	return nil
}
