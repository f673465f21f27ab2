// Package receipt renders the printable PDF receipt a citizen gets when a
// pre-complaint is submitted: its reference, what happens next, what to
// bring to the station, and a QR code to the case's status page.
//
// Rendering is deterministic: the same Receipt always yields the same bytes
// (the document dates are taken from SubmittedAt, resources are written in a
// fixed order and nothing random is embedded), so receipts are golden-file
// tested and can be re-issued identically. The package owns its labels, in
// French (the default) and English.
package receipt

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"
	_ "time/tzdata" // Europe/Paris even on hosts without a zoneinfo database
	"unicode/utf8"

	"github.com/go-pdf/fpdf"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/qrcode"
)

// Receipt is what a pre-complaint receipt shows. It MUST NOT carry the
// tracking code: the receipt is printed, photographed and left on desks.
type Receipt struct {
	// Lang is "fr" (default) or "en"; English regional variants count as "en".
	Lang string
	// Ref is the case reference, e.g. PP-2026-7KQ3-M9TX. Required.
	Ref string
	// Category is the offence category, already translated into Lang.
	Category string
	// SubmittedAt is when the pre-complaint was submitted. Required.
	SubmittedAt time.Time
	// UnitName and UnitAddress describe the station chosen by the citizen.
	UnitName, UnitAddress string
	// UnitPhone is the station's telephone number, as displayed.
	UnitPhone string
	// UnitHours is the station's opening hours, one line per group of
	// days, already in Lang (station.Hours.Lines).
	UnitHours []string
	// Appointment is the booked slot; zero if none.
	Appointment time.Time
	// StatusURL is the absolute http(s) address of the status page, encoded
	// in the QR code. Required; it MUST NOT contain the tracking code.
	StatusURL string
	// TrackingHint is a sentence reminding the citizen to keep the tracking
	// code given at submission (never the code itself).
	TrackingHint string
	// LogIndex is the index of the submission's leaf in the transparency
	// log, or -1 if not yet sequenced.
	LogIndex int64
	// Checkpoint is the signed log checkpoint (C2SP signed note) that covers
	// LogIndex; optional.
	Checkpoint string
}

// Field limits, in characters: the receipt is one page; the caller's data is short.
const (
	maxShort = 200  // reference, category, unit name and address
	maxURL   = 512  // status page address
	maxLong  = 2048 // checkpoint
	maxHours = 8    // lines of opening hours
)

// paris is the time zone every time on the receipt is shown in.
var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("receipt: load %s: %v", name, err)) // embedded by time/tzdata
	}
	return loc
}

// Page geometry, in millimetres (A4 portrait).
const (
	pageW    = 210.0
	margin   = 18.0
	contentW = pageW - 2*margin
	labelW   = 42.0
)

// Colours.
var (
	navy    = [3]int{0, 35, 95}
	ink     = [3]int{30, 30, 30}
	muted   = [3]int{95, 95, 95}
	rule    = [3]int{200, 200, 205}
	paper   = [3]int{243, 245, 249}
	alert   = [3]int{176, 42, 30}
	alertBg = [3]int{253, 240, 237}
)

// PDF renders r as an A4 PDF: one page for realistic data, more only when
// fields near their limits make the text flow over. The QR code encodes
// StatusURL and is also a link to it. PDF returns an error wrapping
// guichet.ErrInvalid (a *guichet.ValidationError naming the fields) when a
// required field is missing or a field is too long. The output depends only
// on r: equal receipts give identical bytes.
func PDF(r Receipt) ([]byte, error) {
	if err := validate(r); err != nil {
		return nil, fmt.Errorf("receipt %s: %w", r.Ref, err)
	}
	qrPNG, err := qrcode.PNG(r.StatusURL)
	if err != nil {
		return nil, fmt.Errorf("receipt %s: %w", r.Ref, err)
	}
	lb, lang := labelsFor(r.Lang)

	pdfLang := "fr-FR"
	if lang != "fr" {
		pdfLang = "en-GB"
	}
	pdf, t := newDocument(frame{
		title: lb.title, ref: r.Ref, lang: pdfLang, created: r.SubmittedAt,
		service: lb.service, keep: lb.keep, serviceShare: 0.5,
		footer: fmt.Sprintf(lb.footer, r.Ref) + " · " + lb.parisTime, page: lb.page,
	})
	pdf.AddPage()

	// Title.
	submitted := r.SubmittedAt.In(paris)
	pdf.SetXY(margin, 25)
	setColor(pdf.SetTextColor, navy)
	pdf.SetFont("Helvetica", "B", 19)
	pdf.CellFormat(contentW, 9, t(lb.title), "", 1, "L", false, 0, "")
	setColor(pdf.SetTextColor, muted)
	pdf.SetFont("Helvetica", "", 10.5)
	pdf.CellFormat(contentW, 6, t(fmt.Sprintf(lb.submittedLine, lb.date(submitted))), "", 1, "L", false, 0, "")

	// Reference.
	y := referenceBox(pdf, t, lb.refLabel, r.Ref, 24)
	pdf.SetY(y + 24)

	// The case.
	heading(pdf, t(lb.caseHeading))
	// When it was submitted is said under the title.
	row(pdf, t(lb.category), t(r.Category), "B")
	if r.UnitName != "" || r.UnitAddress != "" {
		station := r.UnitName
		if r.UnitAddress != "" {
			station = strings.TrimSpace(station + "\n" + r.UnitAddress)
		}
		if r.UnitPhone != "" {
			station += " · " + fmt.Sprintf(lb.phone, r.UnitPhone)
		}
		row(pdf, t(lb.station), t(station), "")
	}
	if len(r.UnitHours) > 0 {
		smallRow(pdf, t(lb.hours), t(strings.Join(r.UnitHours, "\n")))
	}
	if r.Appointment.IsZero() {
		row(pdf, t(lb.appointment), t(lb.noAppointment), "")
	} else {
		row(pdf, t(lb.appointment), t(lb.date(r.Appointment.In(paris))), "B")
	}

	// Not a complaint.
	pdf.Ln(4)
	notice(pdf, t(lb.noticeTitle), t(lb.noticeBody))

	// What to bring.
	heading(pdf, t(lb.bringHeading))
	setColor(pdf.SetTextColor, ink)
	for _, item := range lb.bring {
		pdf.SetFont("Helvetica", "", 9.5)
		pdf.SetX(margin + 2)
		pdf.CellFormat(5, 4.8, t("•"), "", 0, "L", false, 0, "")
		pdf.MultiCell(contentW-7, 4.8, t(item), "", "L", false)
	}

	// Follow the case.
	heading(pdf, t(lb.followHeading))
	const qrSize = 27.0 // 27 mm, scanned at arm's length
	if pdf.GetY()+qrSize > 297-24 {
		pdf.AddPage()
	}
	y, page := pdf.GetY()+1, pdf.PageNo()
	pdf.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qrPNG))
	pdf.ImageOptions("qr", margin-1.5, y-1.5, qrSize, qrSize, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, r.StatusURL)
	x := margin + qrSize + 4
	pdf.SetXY(x, y+2)
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(contentW-qrSize-4, 5, t(lb.scan), "", "L", false)
	pdf.SetX(x)
	setColor(pdf.SetTextColor, navy)
	pdf.SetFont("Courier", "B", 9.5)
	pdf.MultiCell(contentW-qrSize-4, 4.6, t(r.StatusURL), "", "L", false)
	if r.TrackingHint != "" {
		pdf.Ln(1.5)
		pdf.SetX(x)
		setColor(pdf.SetTextColor, ink)
		pdf.SetFont("Helvetica", "I", 9.5)
		pdf.MultiCell(contentW-qrSize-4, 4.8, t(r.TrackingHint), "", "L", false)
	}
	if pdf.PageNo() == page { // the text may have run onto another page
		pdf.SetY(max(pdf.GetY(), y+qrSize-2))
	}

	// The public register, in plain words; the log entry and its signed
	// checkpoint, for a specialist's check, small and labelled below.
	heading(pdf, t(lb.logHeading))
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 9)
	if r.LogIndex >= 0 {
		pdf.MultiCell(contentW, 4.4, t(lb.sealed), "", "L", false)
	} else {
		pdf.MultiCell(contentW, 4.4, t(lb.logPending), "", "L", false)
	}
	cp := strings.TrimSpace(r.Checkpoint)
	if r.LogIndex >= 0 || cp != "" {
		var what []string
		if r.LogIndex >= 0 {
			what = append(what, fmt.Sprintf(lb.logIndex, r.LogIndex))
		}
		if cp != "" {
			what = append(what, lb.checkpoint)
		}
		pdf.Ln(1.5)
		setColor(pdf.SetTextColor, muted)
		pdf.SetFont("Helvetica", "B", 7)
		label := t(lb.technical)
		w := pdf.GetStringWidth(label + " ")
		pdf.CellFormat(w, 3.2, label, "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 7)
		pdf.MultiCell(contentW-w, 3.2, t(strings.Join(what, " ")), "", "L", false)
		if cp != "" {
			setColor(pdf.SetFillColor, paper)
			pdf.SetFont("Courier", "", 5.5)
			pdf.SetCellMargin(1.5)
			pdf.MultiCell(contentW, 2.4, t(cp), "", "L", true)
			pdf.SetCellMargin(1)
		}
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("receipt %s: render: %w", r.Ref, err)
	}
	return buf.Bytes(), nil
}

func setColor(set func(r, g, b int), c [3]int) { set(c[0], c[1], c[2]) }

// referenceBox draws, after a small gap, the shaded box of height h that
// shows a document's reference under its label, leaves the cursor under
// the reference (for a line more) and returns the box's top.
func referenceBox(pdf *fpdf.Fpdf, t func(string) string, label, ref string, h float64) float64 {
	pdf.Ln(4)
	y := pdf.GetY()
	setColor(pdf.SetFillColor, paper)
	pdf.Rect(margin, y, contentW, h, "F")
	setColor(pdf.SetFillColor, navy)
	pdf.Rect(margin, y, 2.5, h, "F")
	pdf.SetXY(margin+8, y+3.5)
	setColor(pdf.SetTextColor, muted)
	pdf.SetFont("Helvetica", "B", 8.5)
	pdf.CellFormat(contentW-16, 4.5, t(label), "", 2, "L", false, 0, "")
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Courier", "B", 24)
	pdf.CellFormat(contentW-16, 12, t(ref), "", 2, "L", false, 0, "")
	return y
}

// heading starts a section with a title and a thin rule.
func heading(pdf *fpdf.Fpdf, title string) {
	pdf.Ln(5)
	if pdf.GetY() > 297-50 {
		pdf.AddPage() // keep a heading with at least a few lines of its section
	}
	setColor(pdf.SetTextColor, navy)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(contentW, 6.5, title, "", 1, "L", false, 0, "")
	setColor(pdf.SetDrawColor, rule)
	pdf.SetLineWidth(0.3)
	pdf.Line(margin, pdf.GetY(), pageW-margin, pdf.GetY())
	pdf.Ln(2.5)
}

// row writes one label/value line of a definition table.
func row(pdf *fpdf.Fpdf, label, value, style string) {
	y := pdf.GetY()
	setColor(pdf.SetTextColor, muted)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.SetXY(margin, y)
	pdf.CellFormat(labelW, 5.6, label, "", 0, "L", false, 0, "")
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", style, 10.5)
	pdf.SetXY(margin+labelW, y)
	pdf.MultiCell(contentW-labelW, 5.6, value, "", "L", false)
	pdf.Ln(0.8)
}

// smallRow writes a label/value line in a smaller type, for details such
// as opening hours.
func smallRow(pdf *fpdf.Fpdf, label, value string) {
	y := pdf.GetY()
	setColor(pdf.SetTextColor, muted)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.SetXY(margin, y)
	pdf.CellFormat(labelW, 5, label, "", 0, "L", false, 0, "")
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 9.5)
	pdf.SetXY(margin+labelW, y+0.3)
	pdf.MultiCell(contentW-labelW, 4.6, value, "", "L", false)
	pdf.Ln(0.8)
}

// notice draws the "this is not a complaint" box.
func notice(pdf *fpdf.Fpdf, title, body string) {
	pdf.SetFont("Helvetica", "", 10)
	lines := pdf.SplitLines([]byte(body), contentW-12) // body is cp1252, not UTF-8
	h := 4 + 6 + float64(len(lines))*5 + 3.5
	if pdf.GetY()+h > 297-24 {
		pdf.AddPage()
	}
	y := pdf.GetY()
	setColor(pdf.SetFillColor, alertBg)
	pdf.Rect(margin, y, contentW, h, "F")
	setColor(pdf.SetFillColor, alert)
	pdf.Rect(margin, y, 2.5, h, "F")
	pdf.SetXY(margin+8, y+4)
	setColor(pdf.SetTextColor, alert)
	pdf.SetFont("Helvetica", "B", 11)
	pdf.CellFormat(contentW-12, 6, title, "", 2, "L", false, 0, "")
	setColor(pdf.SetTextColor, ink)
	pdf.SetFont("Helvetica", "", 10)
	pdf.MultiCell(contentW-12, 5, body, "", "L", false)
	pdf.SetY(y + h)
}

func validate(r Receipt) error {
	var v guichet.ValidationError
	if r.Ref == "" {
		v.Add("Ref", "err.required")
	}
	if r.SubmittedAt.IsZero() {
		v.Add("SubmittedAt", "err.required")
	}
	if u, err := url.Parse(r.StatusURL); r.StatusURL == "" || err != nil ||
		(u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.Add("StatusURL", "err.url")
	}
	for _, f := range []struct {
		name, value string
		limit       int
	}{
		{"Ref", r.Ref, maxShort},
		{"Category", r.Category, maxShort},
		{"UnitName", r.UnitName, maxShort},
		{"TrackingHint", r.TrackingHint, 2 * maxShort},
		{"UnitAddress", r.UnitAddress, maxShort},
		{"UnitPhone", r.UnitPhone, maxShort},
		{"StatusURL", r.StatusURL, maxURL},
		{"Checkpoint", r.Checkpoint, maxLong},
	} {
		if utf8.RuneCountInString(f.value) > f.limit {
			v.Add(f.name, "err.too_long", f.limit)
		}
	}
	if len(r.UnitHours) > maxHours {
		v.Add("UnitHours", "err.too_long", maxHours)
	}
	for _, h := range r.UnitHours {
		if utf8.RuneCountInString(h) > maxShort {
			v.Add("UnitHours", "err.too_long", maxShort)
			break
		}
	}
	return v.Err()
}

// normalize replaces characters that the core fonts' code page (cp1252)
// lacks but that have a faithful stand-in; fpdf would print "." for them.
var normalize = strings.NewReplacer(
	"\u202f", "\u00a0", // narrow no-break space (French typography): still no break
	"\u2060", "", // word joiner (after a range's dash): fpdf breaks lines at spaces only
	"\u2009", " ", // thin space
	"\u2010", "-", "\u2011", "-", "\u2012", "-", // hyphens
	"\u2212", "-", // minus sign
	"\u2032", "'", "\u2033", "\"",
).Replace

// frame is what every guichet PDF shares: metadata, the navy header band
// and the footer with the reference and page numbers.
type frame struct {
	title, ref, lang string
	created          time.Time
	service, keep    string  // header, left and right
	serviceShare     float64 // share of the width given to service
	footer           string  // left of the footer
	page             string  // "page %d of %s" format
}

// newDocument starts an A4 document with f's metadata, header and footer,
// and returns it with the function that prepares text for its core fonts.
// The output depends only on f and what is drawn next.
func newDocument(f frame) (*fpdf.Fpdf, func(string) string) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(f.created.UTC())
	pdf.SetModificationDate(f.created.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252 for core fonts
	t := func(s string) string { return tr(normalize(s)) }
	pdf.SetTitle(f.title+" "+f.ref, true)
	pdf.SetSubject(f.title, true)
	pdf.SetCreator("guichet", true)
	pdf.SetProducer("guichet", true)
	pdf.SetLang(f.lang)
	pdf.SetMargins(margin, 24, margin)
	pdf.SetAutoPageBreak(true, 22)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-16)
		setColor(pdf.SetDrawColor, rule)
		pdf.SetLineWidth(0.2)
		pdf.Line(margin, pdf.GetY(), pageW-margin, pdf.GetY())
		pdf.Ln(1.5)
		pdf.SetFont("Helvetica", "", 7.5)
		setColor(pdf.SetTextColor, muted)
		pdf.CellFormat(contentW*0.75, 4, t(f.footer), "", 0, "L", false, 0, "")
		pdf.CellFormat(contentW*0.25, 4, t(fmt.Sprintf(f.page, pdf.PageNo(), "{nb}")), "", 0, "R", false, 0, "")
	})
	pdf.SetHeaderFunc(func() {
		setColor(pdf.SetFillColor, navy)
		pdf.Rect(0, 0, pageW, 16, "F")
		pdf.SetTextColor(255, 255, 255)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.SetXY(margin, 5)
		pdf.CellFormat(contentW*f.serviceShare, 6, t(f.service), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(contentW*(1-f.serviceShare), 6, t(f.keep), "", 0, "R", false, 0, "")
		pdf.SetXY(margin, 24)
	})
	return pdf, t
}
