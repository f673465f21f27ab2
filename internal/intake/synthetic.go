package intake

import (
	"encoding/base64"
	"fmt"
	"io"
	"mime/quotedprintable"
	"strings"
	"time"
)

// Campaign describes a synthetic spam campaign: one message sent to many
// recipients, each copy personalised (the recipient's name and address in
// To, in the subject and in the greeting, a tracking parameter and a
// client number of their own) and travelling its own way (Message-ID,
// Date, Received chain, sending relay and arrival time of its own). It is
// what the tests and `guichet bench arf` feed the converters: the copies
// of one Campaign MUST give one ContentKey.
type Campaign struct {
	// Subject and Link tell campaigns apart (a subject containing "%s"
	// gets the recipient's first name there).
	Subject string
	Link    string // "https://colis-suivi.example.com/paiement"
	Phone   string // a number the spam asks to call, "" for none
	From    string // "Service Colis <suivi@colis-suivi.example.com>"
	Start   time.Time
}

var (
	firstNames = []string{"Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Jade", "Raphaël", "Louise", "Arthur", "Alice", "Jules", "Inès", "Adam", "Lina", "Maël", "Rose", "Paul", "Anna", "Noah"}
	lastNames  = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia"}
)

// Copy returns the i-th copy of the campaign as an ARF feedback report
// (RFC 5965, LF line ends, the original message enclosed with a
// quoted-printable text part and a base64 HTML part).
func (c Campaign) Copy(i int) string {
	first := firstNames[i%len(firstNames)]
	last := lastNames[(i/len(firstNames))%len(lastNames)]
	rcpt := fmt.Sprintf("%s.%s%d@mail%d.example.net", asciiLower(first), asciiLower(last), i, i%7)
	at := c.Start.Add(time.Duration(i) * 1700 * time.Millisecond)
	relay := fmt.Sprintf("198.51.100.%d", 1+i%250)
	subject := c.Subject
	if strings.Contains(subject, "%s") {
		subject = fmt.Sprintf(subject, first)
	}
	link := fmt.Sprintf("%s?client=%d&utm_source=sms&utm_campaign=c%d", c.Link, 483000+i, i%3)
	phone := ""
	if c.Phone != "" {
		phone = "\nOu appelez le " + c.Phone + "."
	}
	text := fmt.Sprintf("Bonjour %s %s,\n\nVotre colis n° %d est en attente : des frais de 1,99 EUR restent à payer.\nRéglez-les ici : %s%s\n\nCe message a été envoyé à %s.\n", first, last, 7700120000+i, link, phone, rcpt)
	var qp strings.Builder
	w := quotedprintable.NewWriter(&qp)
	io.WriteString(w, text)
	w.Close()
	htmlPart := fmt.Sprintf("<html><body><p>Bonjour %s,</p><p>Votre colis est en attente. <a href=\"%s\">Payer les frais</a></p><img src=\"https://track.example.org/open.gif?r=%d\"></body></html>", first, link, i)
	b64 := base64.StdEncoding.EncodeToString([]byte(htmlPart))
	var wrapped strings.Builder
	for len(b64) > 76 {
		wrapped.WriteString(b64[:76] + "\n")
		b64 = b64[76:]
	}
	wrapped.WriteString(b64)
	date := at.Format(time.RFC1123Z)
	return fmt.Sprintf(`From: abuse@fbl.example.org
To: abuse@guichet.example
Subject: FW: %[1]s
Message-ID: <fbl-%[2]d@fbl.example.org>
Date: %[3]s
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="part1_%[2]d"

--part1_%[2]d
Content-Type: text/plain; charset="UTF-8"

This is an email abuse report for an email message received from IP %[4]s on %[3]s.

--part1_%[2]d
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/2.1
Version: 1
Original-Mail-From: <bounce-%[2]d@colis-suivi.example.com>
Original-Rcpt-To: <%[5]s>
Arrival-Date: %[3]s
Reporting-MTA: dns; fbl.example.org
Source-IP: %[4]s

--part1_%[2]d
Content-Type: message/rfc822

Received: from relay%[2]d.example.com ([%[4]s]) by mx%[6]d.example.net with ESMTP id %[2]x; %[3]s
Received: from [10.0.%[6]d.%[7]d] by relay%[2]d.example.com; %[3]s
From: %[8]s
To: "%[9]s %[10]s" <%[5]s>
Subject: %[1]s
Date: %[3]s
Message-ID: <%[2]d.%[11]d@colis-suivi.example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt%[2]d"

--alt%[2]d
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

%[12]s
--alt%[2]d
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: base64

%[13]s
--alt%[2]d--

--part1_%[2]d--
`, subject, i, date, relay, rcpt, i%7, i%250, c.From, first, last, at.UnixNano(), qp.String(), wrapped.String())
}

// WriteMbox writes copies first..first+n-1 of the campaign as an mbox.
func (c Campaign) WriteMbox(w io.Writer, first, n int) error {
	for i := first; i < first+n; i++ {
		if _, err := fmt.Fprintf(w, "From fbl@example.org %s\n%s\n", c.Start.Format("Mon Jan _2 15:04:05 2006"), c.Copy(i)); err != nil {
			return err
		}
	}
	return nil
}

func asciiLower(s string) string {
	r := strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ï", "i", "î", "i", "ô", "o", "à", "a", "ç", "c")
	return strings.ToLower(r.Replace(s))
}
