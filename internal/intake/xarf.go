package intake

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/guichet/guichet/internal/indicator"
	"github.com/guichet/guichet/internal/report"
	"github.com/guichet/guichet/internal/xarf"
)

// XARFCategory maps an X-ARF v4 category/type (every pair of xarf.Pairs),
// with the type's own sub-type field where it tells more, to the report
// category it is filed under. Every X-ARF report is filed.
//
//	messaging/spam, messaging/bulk_messaging        → spam
//	content/phishing, content/suspicious_registration → phishing
//	content/malware                                  → extortion when
//	    malware_type is "ransomware", other otherwise (the report
//	    categories have no malware one)
//	content/csam, content/csem                       → child_abuse
//	content/fraud by fraud_type: investment, cryptocurrency → investment;
//	    romance → romance; shopping → fake_shop;
//	    government_impersonation → phishing; the others → other
//	content/brand_infringement                       → fake_shop when
//	    infringement_type is "counterfeit", phishing otherwise (a
//	    look-alike or impersonating site)
//	content/exposed_data, content/remote_compromise  → other
//	connection/*, vulnerability/*, infrastructure/*,
//	reputation/*, copyright/*                        → other
//
// Any pair not listed (a later version of the spec) becomes other.
func XARFCategory(r *xarf.Report) report.Category {
	s := func(k string) string { v, _ := r.Fields[k].(string); return v }
	switch r.Category + "/" + r.Type {
	case "messaging/spam", "messaging/bulk_messaging":
		return report.CatSpam
	case "content/phishing", "content/suspicious_registration":
		return report.CatPhishing
	case "content/malware":
		if s("malware_type") == "ransomware" {
			return report.CatExtortion
		}
		return report.CatOther
	case "content/csam", "content/csem":
		return report.CatChildAbuse
	case "content/fraud":
		switch s("fraud_type") {
		case "investment", "cryptocurrency":
			return report.CatInvestment
		case "romance":
			return report.CatRomance
		case "shopping":
			return report.CatFakeShop
		case "government_impersonation":
			return report.CatPhishing
		}
		return report.CatOther
	case "content/brand_infringement":
		if s("infringement_type") == "counterfeit" {
			return report.CatFakeShop
		}
		return report.CatPhishing
	}
	return report.CatOther
}

// FromXARF converts one valid X-ARF report (a v3 one converted included)
// received at now.
//
// Values (Input.Seen): the source identifier, then the links, domains,
// addresses and wallets of the type's fields as xarf.Report.Indicators
// lists them, and the c2_servers and redirect_chain entries — except the
// site a phishing page cloned (cloned_site), which is the victim brand's
// own; the victim's side (destination_ip, smtp_to) is never among them.
//
// The ContentKey digests the category/type and the keys of the values
// (links as their stems); for the messaging category, where the source is
// the relay that sent one copy, the source identifier when it is an IP
// address is left out and the canonical subject put in. It does not
// digest the report_id, the timestamps, the reporter or the evidence
// payloads (a spam's evidence is the copy received, with the recipient's
// headers).
func FromXARF(r *xarf.Report, now time.Time) (Item, error) {
	it := Item{
		Disposition: File,
		Source: Source{
			Channel:   ChannelXARF,
			ID:        r.ReportID,
			Received:  r.Timestamp,
			Reporter:  clipRunes(oneLine(r.Reporter.Org), 200),
			Type:      r.Category + "/" + r.Type,
			Incidents: 1,
		},
	}
	if r.LegacyVersion != "" {
		it.Source.Quirks = append(it.Source.Quirks, "xarf.v3")
	}
	for _, w := range r.Warnings {
		it.Source.Quirks = append(it.Source.Quirks, w.Code)
	}
	f := r.Fields
	str := func(k string) string { v, _ := f[k].(string); return v }
	skip := map[string]bool{}
	if c := str("cloned_site"); c != "" {
		skip[indicator.Normalize(indicator.KindURL, c).Key()] = true
	}
	var v values
	m := newMaterial(ChannelXARF)
	m.part("type", r.Category+"/"+r.Type)
	relay := ""
	if _, err := netip.ParseAddr(r.SourceIdentifier); err == nil && r.Category == "messaging" {
		relay = indicator.Normalize(indicator.KindIP, r.SourceIdentifier).Key()
	}
	for _, x := range r.Indicators {
		if skip[x.Key()] {
			continue
		}
		v.add(x)
		if relay == "" || x.Key() != relay {
			m.key(keyOf(x))
		}
	}
	for _, k := range []string{"c2_servers", "redirect_chain"} {
		l, _ := f[k].([]any)
		for _, e := range l {
			if s, ok := e.(string); ok {
				x := indicator.Normalize(indicator.KindAuto, s)
				v.add(x)
				m.key(keyOf(x))
			}
		}
	}
	if r.Category == "messaging" {
		m.part("subject", canonText(str("subject"), nil, nil))
	}
	it.ContentKey = m.sum(ChannelXARF)

	seenOn := r.Timestamp
	if t, err := time.Parse(time.RFC3339Nano, str("first_seen")); err == nil {
		seenOn = t
	}
	it.Input = report.Input{
		Category:    XARFCategory(r),
		Seen:        v.seen,
		SeenOn:      seenOn,
		Description: xarfSummary(r),
		Lane:        report.LaneNormal,
	}
	it.Dropped = v.dropped
	if err := check(&it, now); err != nil {
		return Item{}, err
	}
	return it, nil
}

// xarfSummary is the analyst's summary of an X-ARF report, in French: the
// type, the reporter, and the reporter's own description, clipped.
func xarfSummary(r *xarf.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Signalement automatique X-ARF (%s/%s)", r.Category, r.Type)
	if r.Reporter.Org != "" {
		fmt.Fprintf(&b, ", émis par %s", clipRunes(oneLine(r.Reporter.Org), 100))
	}
	b.WriteString(".")
	if d := oneLine(r.Description); d != "" {
		fmt.Fprintf(&b, " Description\u202f: %s", clipRunes(d, 1000))
	}
	return b.String()
}
