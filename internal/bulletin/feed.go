package bulletin

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Labels are the words of a feed in one language, from the caller's
// translation catalogue (a feed holds no French or English of its own).
type Labels struct {
	FeedTitle, FeedSubtitle string // the Atom feed of bulletins
	CAPTitle                string // the CAP-in-Atom index
	Looks, Do               string // section headings in an entry
	SenderName              string // CAP senderName, the Atom author
	Contact                 string // CAP contact: who to call
	Area                    string // CAP areaDesc ("France")
	Audiences               map[Audience]string
}

// Site is where the feeds are served.
type Site struct {
	// Base is the public address, "https://guichet.example.fr", without a
	// trailing slash.
	Base   string
	Labels map[string]Labels // "fr", "en"
}

func (s Site) host() string {
	if u, err := url.Parse(s.Base); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return "guichet.invalid"
}

// PageURL is the address of b's page (by slug) and CAPURL of its CAP
// document (by reference, which never changes).
func (s Site) PageURL(b *Bulletin) string { return s.Base + "/avis/" + b.Slug }

// CAPURL is the address of b's CAP document.
func (s Site) CAPURL(b *Bulletin) string { return s.Base + "/avis/" + b.Ref() + ".cap.xml" }

// Langs are the languages of a bulletin, in the order of CAP's info
// blocks: French first.
var Langs = []string{"fr", "en"}

const (
	atomNS = "http://www.w3.org/2005/Atom"
	capNS  = "urn:oasis:names:tc:emergency:cap:1.2"
)

type atomFeed struct {
	XMLName  xml.Name    `xml:"feed"`
	NS       string      `xml:"xmlns,attr"`
	Lang     string      `xml:"xml:lang,attr,omitempty"`
	ID       string      `xml:"id"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle,omitempty"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr,omitempty"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr"`
	Hreflang string `xml:"hreflang,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published,omitempty"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Summary    *atomText      `xml:"summary,omitempty"`
	Content    *atomText      `xml:"content,omitempty"`
}

func atomTime(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// capTime is CAP's dateTime in UTC: CAP 1.2 forbids "Z" and
// writes UTC as "-00:00".
func capTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05") + "-00:00"
}

// changedAt is when b last changed as the public saw it.
func changedAt(b *Bulletin) time.Time {
	if b.Withdrawn() {
		return b.WithdrawnAt
	}
	return b.Published.At
}

func feedUpdated(bs []Bulletin) time.Time {
	var t time.Time
	for i := range bs {
		if c := changedAt(&bs[i]); c.After(t) {
			t = c
		}
	}
	if t.IsZero() {
		t = time.Unix(0, 0)
	}
	return t
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("bulletin: feed: %w", err)
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

// Atom returns the Atom 1.0 feed of bulletins bs (published, not
// withdrawn: withdrawn ones leave it) in lang, each entry holding the
// whole bulletin as HTML rendered from its markup. Its updated time is the
// latest change of bs, so that the same bulletins give the same bytes.
func Atom(site Site, lang string, bs []Bulletin) ([]byte, error) {
	l := site.Labels[lang]
	var shown []Bulletin
	for _, b := range bs {
		if b.Published != nil && !b.Withdrawn() {
			shown = append(shown, b)
		}
	}
	self := site.Base + "/avis/flux.atom"
	if lang != "fr" {
		self += "?lang=" + lang
	}
	f := atomFeed{NS: atomNS, Lang: lang, ID: self, Title: l.FeedTitle, Subtitle: l.FeedSubtitle,
		Updated: atomTime(feedUpdated(shown)),
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: site.Base + "/avis"}},
		Author: atomPerson{Name: l.SenderName, URI: site.Base + "/"}}
	for i := range shown {
		b := &shown[i]
		c := &b.Published.Content
		t := c.Text(lang)
		e := atomEntry{
			ID: "tag:" + site.host() + "," + strconv.Itoa(b.PublishedAt.UTC().Year()) + ":avis/" + b.Ref(), Title: Clean(t.Title),
			Updated: atomTime(b.Published.At), Published: atomTime(b.PublishedAt),
			Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: site.PageURL(b), Hreflang: lang},
				{Rel: "related", Type: "application/cap+xml", Href: site.CAPURL(b)}},
			Summary: &atomText{Type: "text", Body: Clean(t.Summary)},
			Content: &atomText{Type: "html", Body: entryHTML(l, t)},
		}
		for _, a := range c.Audiences {
			e.Categories = append(e.Categories, atomCategory{Term: string(a), Label: l.Audiences[a]})
		}
		f.Entries = append(f.Entries, e)
	}
	return marshal(f)
}

func entryHTML(l Labels, t Text) string {
	var b strings.Builder
	b.WriteString("<p>" + xmlEscape(t.Summary) + "</p>\n")
	b.WriteString("<h2>" + xmlEscape(l.Looks) + "</h2>\n")
	b.WriteString(string(Render(t.Looks)))
	b.WriteString("<h2>" + xmlEscape(l.Do) + "</h2>\n")
	b.WriteString(string(Render(t.Do)))
	return b.String()
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(Clean(s)))
	return b.String()
}

type capAlert struct {
	XMLName    xml.Name  `xml:"alert"`
	NS         string    `xml:"xmlns,attr"`
	Identifier string    `xml:"identifier"`
	Sender     string    `xml:"sender"`
	Sent       string    `xml:"sent"`
	Status     string    `xml:"status"`
	MsgType    string    `xml:"msgType"`
	Scope      string    `xml:"scope"`
	Note       string    `xml:"note,omitempty"`
	References string    `xml:"references,omitempty"`
	Info       []capInfo `xml:"info"`
}

type capInfo struct {
	Language     string       `xml:"language"`
	Category     string       `xml:"category"`
	Event        string       `xml:"event"`
	ResponseType string       `xml:"responseType"`
	Urgency      string       `xml:"urgency"`
	Severity     string       `xml:"severity"`
	Certainty    string       `xml:"certainty"`
	Audience     string       `xml:"audience,omitempty"`
	Effective    string       `xml:"effective,omitempty"`
	Expires      string       `xml:"expires,omitempty"`
	SenderName   string       `xml:"senderName,omitempty"`
	Headline     string       `xml:"headline"`
	Description  string       `xml:"description"`
	Instruction  string       `xml:"instruction"`
	Web          string       `xml:"web"`
	Contact      string       `xml:"contact,omitempty"`
	Parameters   []capParam   `xml:"parameter"`
	Area         []capAreaDef `xml:"area"`
}

type capParam struct {
	ValueName string `xml:"valueName"`
	Value     string `xml:"value"`
}

type capAreaDef struct {
	AreaDesc string `xml:"areaDesc"`
}

// capMessage is one CAP message of a bulletin: version n published
// (Alert, Update) or, with n = 0, the withdrawal (Cancel).
type capMessage struct {
	Identifier, Sent, MsgType string
}

func capMessages(site Site, b *Bulletin, versions []Version) []capMessage {
	prefix := site.host() + "-" + b.Ref() + "-"
	var out []capMessage
	for _, v := range versions {
		t := "Update"
		if v.N == 1 {
			t = "Alert"
		}
		out = append(out, capMessage{prefix + "v" + strconv.Itoa(v.N), capTime(v.At), t})
	}
	if b.Withdrawn() {
		out = append(out, capMessage{prefix + "cancel", capTime(b.WithdrawnAt), "Cancel"})
	}
	return out
}

func (s Site) sender() string { return "avis@" + s.host() }

// CAP returns b's CAP 1.2 alert as it stands: the latest message — Alert
// for version 1, Update for a later version, Cancel once withdrawn — with
// the earlier messages of the bulletin in references, and one info block
// per language. versions are b's published versions, oldest first; at is
// the time urgency is judged at.
func CAP(site Site, b *Bulletin, versions []Version, at time.Time) ([]byte, error) {
	if b.Published == nil || len(versions) == 0 {
		return nil, fmt.Errorf("bulletin %s: not published", b.Ref())
	}
	msgs := capMessages(site, b, versions)
	last := msgs[len(msgs)-1]
	var refs []string
	for _, m := range msgs[:len(msgs)-1] {
		refs = append(refs, site.sender()+","+m.Identifier+","+m.Sent)
	}
	a := capAlert{NS: capNS, Identifier: last.Identifier, Sender: site.sender(), Sent: last.Sent, Status: "Actual",
		MsgType: last.MsgType, Scope: "Public", References: strings.Join(refs, " ")}
	c := &b.Published.Content
	for _, lang := range Langs {
		l, t := site.Labels[lang], c.Text(lang)
		var aud []string
		for _, x := range c.Audiences {
			aud = append(aud, l.Audiences[x])
		}
		in := capInfo{Language: lang, Category: "Security", Event: Clean(t.Title), ResponseType: "Avoid",
			Urgency: c.Urgency(at, b.Withdrawn()), Severity: c.Severity(), Certainty: c.Certainty(),
			Audience: strings.Join(aud, ", "), Effective: capTime(c.ValidFrom), SenderName: l.SenderName,
			Headline: Clean(t.Title), Description: Clean(t.Summary) + "\n\n" + Plain(t.Looks), Instruction: Plain(t.Do),
			Web: site.PageURL(b), Contact: l.Contact, Area: []capAreaDef{{AreaDesc: l.Area}},
			Parameters: []capParam{{ValueName: "guichet:reference", Value: b.Ref()}, {ValueName: "guichet:version", Value: strconv.Itoa(b.Published.N)},
				{ValueName: "guichet:digest", Value: "sha256:" + b.Published.Digest}}}
		if b.Withdrawn() {
			in.ResponseType = "AllClear"
		}
		if !c.ValidUntil.IsZero() {
			in.Expires = capTime(c.ValidUntil)
		}
		a.Info = append(a.Info, in)
	}
	return marshal(a)
}

// CAPIndex returns the CAP-in-Atom index feed: one entry per bulletin
// published at least once (withdrawn ones included, so that alerting
// systems get the Cancel), linking to its CAP document, with the
// latest message's identifier as the entry's id.
func CAPIndex(site Site, bs []Bulletin, versionsOf func(*Bulletin) []Version) ([]byte, error) {
	l := site.Labels["fr"]
	self := site.Base + "/avis/cap.atom"
	f := atomFeed{NS: atomNS, ID: self, Title: l.CAPTitle, Updated: atomTime(feedUpdated(bs)),
		Links:  []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self}, {Rel: "alternate", Type: "text/html", Href: site.Base + "/avis"}},
		Author: atomPerson{Name: l.SenderName, URI: site.Base + "/"}}
	for i := range bs {
		b := &bs[i]
		if b.Published == nil {
			continue
		}
		msgs := capMessages(site, b, versionsOf(b))
		if len(msgs) == 0 {
			continue
		}
		last := msgs[len(msgs)-1]
		c := &b.Published.Content
		e := atomEntry{ID: "urn:cap:" + last.Identifier, Title: Clean(c.FR.Title) + " / " + Clean(c.EN.Title),
			Updated: atomTime(changedAt(b)), Published: atomTime(b.PublishedAt),
			Links: []atomLink{{Rel: "alternate", Type: "application/cap+xml", Href: site.CAPURL(b)},
				{Rel: "related", Type: "text/html", Href: site.PageURL(b)}},
			Categories: []atomCategory{{Term: "Security"}, {Term: last.MsgType}},
			Summary:    &atomText{Type: "text", Body: Clean(c.FR.Summary)}}
		f.Entries = append(f.Entries, e)
	}
	return marshal(f)
}
