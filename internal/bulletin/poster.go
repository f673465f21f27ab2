package bulletin

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
	"github.com/guichet/guichet/internal/qrcode"
)

// PosterLabels are the fixed words of a poster in one language, from the
// caller's catalogue.
type PosterLabels struct {
	Band      string // "AVIS DE LA POLICE"
	Level     string // the bulletin's level, worded
	Looks, Do string // section headings
	Scan      string // under the QR code: "Scan to read the warning"
	Emergency string // "In an emergency: 17 or 112"
	Footer    string // "guichet — warning AV-…, version 2"
}

// Poster renders b's published version as a printable A4 poster in lang:
// title, summary, what it looks like, what to do, a QR code to its page
// (url) and the emergency numbers. Its bytes depend only on its inputs.
func Poster(b *Bulletin, lang, url string, l PosterLabels) ([]byte, error) {
	if b.Published == nil {
		return nil, fmt.Errorf("bulletin %s: not published", b.Ref())
	}
	t := b.Published.Content.Text(lang)
	qrPNG, err := qrcode.PNG(url)
	if err != nil {
		return nil, fmt.Errorf("bulletin %s: poster: %w", b.Ref(), err)
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(b.Published.At.UTC())
	pdf.SetModificationDate(b.Published.At.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	tx := func(s string) string { return tr(posterText(Clean(s))) }
	pdf.SetTitle(t.Title, true)
	pdf.SetCreator("guichet", true)
	pdf.SetProducer("guichet", true)
	if lang == "en" {
		pdf.SetLang("en-GB")
	} else {
		pdf.SetLang("fr-FR")
	}
	const margin, width = 15.0, 180.0
	pdf.SetMargins(margin, 15, margin)
	pdf.SetAutoPageBreak(true, 15)
	pdf.AddPage()

	// The band.
	pdf.SetFillColor(0, 0, 145)
	pdf.Rect(0, 0, 210, 34, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetXY(margin, 9)
	pdf.SetFont("Helvetica", "B", 22)
	pdf.CellFormat(width, 10, tx(l.Band), "", 1, "L", false, 0, "")
	pdf.SetX(margin)
	pdf.SetFont("Helvetica", "", 13)
	pdf.CellFormat(width, 8, tx(l.Level), "", 1, "L", false, 0, "")

	// Title and summary.
	pdf.SetTextColor(22, 22, 22)
	pdf.SetXY(margin, 44)
	pdf.SetFont("Helvetica", "B", 26)
	pdf.MultiCell(width, 11, tx(t.Title), "", "L", false)
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "", 15)
	pdf.MultiCell(width, 7.5, tx(t.Summary), "", "L", false)

	section := func(head, body string) {
		pdf.Ln(5)
		pdf.SetTextColor(0, 0, 145)
		pdf.SetFont("Helvetica", "B", 17)
		pdf.MultiCell(width, 9, tx(head), "", "L", false)
		pdf.SetTextColor(22, 22, 22)
		pdf.SetFont("Helvetica", "", 13)
		for _, bl := range Parse(body) {
			for i, line := range bl.Lines {
				mark := ""
				switch bl.Kind {
				case "ul":
					mark = "\u2022  "
				case "ol":
					mark = itoa(i+1) + ".  "
				}
				pdf.MultiCell(width, 6.5, tx(mark+plainInline(line)), "", "L", false)
				pdf.Ln(1)
			}
			pdf.Ln(1.5)
		}
	}
	section(l.Looks, t.Looks)
	section(l.Do, t.Do)

	// The QR code and the emergency numbers at the foot of the page.
	const qrSize = 38.0
	y := 297 - 15 - qrSize - 8
	if pdf.GetY() > y-4 {
		pdf.AddPage()
	}
	// The foot is drawn at fixed places, below the automatic break.
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetDrawColor(0, 0, 145)
	pdf.SetLineWidth(0.6)
	pdf.Line(margin, y-4, margin+width, y-4)
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pdf.ImageOptions("qr", margin, y, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, url)
	pdf.SetXY(margin+qrSize+6, y+2)
	pdf.SetFont("Helvetica", "B", 13)
	pdf.MultiCell(width-qrSize-6, 6.5, tx(l.Scan), "", "L", false)
	pdf.SetX(margin + qrSize + 6)
	pdf.SetFont("Helvetica", "", 11)
	pdf.MultiCell(width-qrSize-6, 5.5, tx(url), "", "L", false)
	pdf.Ln(2)
	pdf.SetX(margin + qrSize + 6)
	pdf.SetTextColor(180, 0, 0)
	pdf.SetFont("Helvetica", "B", 15)
	pdf.MultiCell(width-qrSize-6, 7.5, tx(l.Emergency), "", "L", false)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetFont("Helvetica", "", 8.5)
	pdf.SetXY(margin, 297-12)
	pdf.CellFormat(width, 5, tx(l.Footer), "", 0, "L", false, 0, "")

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("bulletin %s: poster: %w", b.Ref(), err)
	}
	return buf.Bytes(), nil
}

// posterText replaces characters the core fonts' code page lacks.
var posterText = strings.NewReplacer(
	"\u202f", "\u00a0", "\u2060", "", "\u2009", " ",
	"\u2010", "-", "\u2011", "-", "\u2012", "-", "\u2212", "-",
).Replace
