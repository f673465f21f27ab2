package web

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/complaint"
	"github.com/guichet/guichet/internal/station"
)

// YesNo describes a yes/no question.
func (p *page) YesNo(name string) field { return p.Choice(name, "opt.", "yes", "no") }

// CategoryChoice describes the question on the kind of offence, with the
// two answers that lead elsewhere.
func (p *page) CategoryChoice() field {
	vals := make([]string, 0, len(complaint.Categories)+2)
	for _, c := range complaint.Categories {
		vals = append(vals, string(c))
	}
	return p.Choice("category", "category.", append(vals, "online_scam", "other")...)
}

// Civility describes the optional civility question.
func (p *page) Civility() field { return p.Choice("civility", "civility.", "mme", "m", "x") }

// itemRow is one row of the items step.
type itemRow struct {
	Index                                   int
	Number                                  int
	Kind, Description, Value, Serial, Plate field
	PlateCountry                            field
}

type itemsData struct {
	Rows     []itemRow
	CanAdd   bool
	Optional bool // items are optional for a fraud
	Error    string
	// KindFrom is the kind of offence just changed from, on the way back
	// to the review (see kindSubmit); "" otherwise.
	KindFrom complaint.Category
}

func (s *Server) itemsData(p *page) itemsData {
	n := max(len(p.Form.Items), 1)
	d := itemsData{CanAdd: n < maxItemRows, Optional: p.Form.Category == complaint.Fraud}
	for i := range n {
		pre := "items." + strconv.Itoa(i) + "."
		d.Rows = append(d.Rows, itemRow{
			Index: i, Number: i + 1,
			Kind:         p.Choice(pre+"kind", "item.kind.", complaint.ItemKinds...),
			Description:  p.Input(pre + "description"),
			Value:        p.Input(pre + "value"),
			Serial:       p.Input(pre + "serial"),
			Plate:        p.Input(pre + "plate"),
			PlateCountry: p.PlateCountry(pre + "plate_country"),
		})
	}
	return d
}

// ItemsError returns the error of the items step as a whole (no item, too many).
func (p *page) ItemsError() string { return p.Err("items") }

type evidenceData struct {
	Files    []complaint.EvidenceFile
	MaxFiles int
	MaxMB    int64
	CanAdd   bool
	Added    bool
	Removed  bool
}

// fillEvidence sets the evidence step's data.
func (s *Server) fillEvidence(r *http.Request, p *page) {
	cfg := s.d.Complaints.Config()
	q := r.URL.Query()
	p.Data = evidenceData{
		Files: p.Form.Evidence, MaxFiles: cfg.MaxFiles, MaxMB: cfg.MaxFileSize >> 20,
		CanAdd:  len(p.Form.Evidence) < cfg.MaxFiles,
		Added:   r.Method == http.MethodGet && q.Get("ajoute") == "1",
		Removed: r.Method == http.MethodGet && q.Get("retire") == "1",
	}
}

// Size formats a file size for people: "2,4 Mo" / "2.4 MB".
func (p *page) Size(n int64) string {
	unit := p.cat.T("unit.kb")
	v := max(float64(n)/1024, 1)
	if v >= 1024 {
		v /= 1024
		unit = p.cat.T("unit.mb")
	}
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	if p.Lang == "fr" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s + nbsp + unit
}

type unitOption struct {
	station.Ranked
	InputID string
	Checked bool
}

type stationData struct {
	Query  string
	Units  []unitOption
	Chosen *station.Unit
	Picker slotPicker
	// Next is the nearest other unit with free slots, offered when the
	// chosen one has none.
	Next *station.Ranked
	More bool
}

// stationData lists the units near the query (a postcode or town; by
// default the postcode of the facts) and the free slots of the chosen one,
// one day at a time.
func (s *Server) stationData(r *http.Request, lang string, st *complaint.DraftState) (stationData, error) {
	ctx := r.Context()
	_ = r.ParseForm()
	q := cutText(strings.TrimSpace(r.Form.Get("q")), 100)
	if _, asked := r.Form["q"]; !asked {
		q = st.Form.StationQuery()
	}
	lat, errLat := strconv.ParseFloat(r.Form.Get("lat"), 64)
	lon, errLon := strconv.ParseFloat(r.Form.Get("lon"), 64)
	coords := errLat == nil && errLon == nil && math.Abs(lat) <= 90 && math.Abs(lon) <= 180
	ranked, err := s.d.Complaints.Stations(ctx, q, lat, lon, coords)
	if err != nil {
		return stationData{}, err
	}
	d := stationData{Query: q}
	chosenShown := false
	for i, u := range ranked {
		if i >= maxUnitsShown && u.ID != st.Form.UnitID {
			d.More = true
			continue
		}
		checked := u.ID == st.Form.UnitID
		chosenShown = chosenShown || checked
		id := fieldID("unit_id")
		if len(d.Units) > 0 {
			id += "-" + strconv.Itoa(i)
		}
		d.Units = append(d.Units, unitOption{Ranked: u, InputID: id, Checked: checked})
	}
	if st.Form.UnitID == "" || !chosenShown {
		return d, nil
	}
	u, err := s.d.Complaints.Unit(ctx, st.Form.UnitID)
	if errors.Is(err, guichet.ErrNotFound) {
		return d, nil
	}
	if err != nil {
		return stationData{}, err
	}
	d.Chosen = &u
	slots, err := s.d.Complaints.FreeSlots(ctx, u.ID)
	if err != nil {
		return stationData{}, err
	}
	query := url.Values{}
	if q != "" {
		query.Set("q", q)
	}
	d.Picker = pickSlots(lang, slots, st.Form.SlotID, "", r.Form.Get(dayParam), dayHref(stepPath(complaint.StepStation), query, "creneaux"))
	if d.Picker.Day == nil {
		d.Next, err = s.nextWithSlots(r, ranked, u.ID)
		if err != nil {
			return stationData{}, err
		}
	}
	return d, nil
}

// nextWithSlots returns the first unit of ranked, other than except, that
// has a free slot, looking no further than maxUnitsShown units; nil when
// none has.
func (s *Server) nextWithSlots(r *http.Request, ranked []station.Ranked, except string) (*station.Ranked, error) {
	for i, u := range ranked {
		if i >= maxUnitsShown {
			break
		}
		if u.ID == except {
			continue
		}
		slots, err := s.d.Complaints.FreeSlots(r.Context(), u.ID)
		if err != nil {
			return nil, err
		}
		if len(slots) > 0 {
			return &ranked[i], nil
		}
	}
	return nil, nil
}

// Distance formats a distance in km for people.
func (p *page) Distance(km float64) string {
	s := strconv.FormatFloat(math.Round(km*10)/10, 'f', -1, 64)
	if p.Lang == "fr" {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s + nbsp + "km"
}

type reviewData struct {
	Items    []complaint.Item
	Unit     *station.Unit
	Slot     *station.Slot
	SlotGone bool
}

// reviewData gathers what the review shows beyond the form: the unit and
// the slot, which may have filled up meanwhile.
func (s *Server) reviewData(r *http.Request, st *complaint.DraftState) (reviewData, error) {
	ctx := r.Context()
	d := reviewData{Items: compactItems(st.Form.Items)}
	if st.Form.UnitID == "" {
		return d, nil
	}
	u, err := s.d.Complaints.Unit(ctx, st.Form.UnitID)
	if errors.Is(err, guichet.ErrNotFound) {
		d.SlotGone = true
		return d, nil
	}
	if err != nil {
		return d, err
	}
	d.Unit = &u
	slots, err := s.d.Complaints.FreeSlots(ctx, u.ID)
	if err != nil {
		return d, err
	}
	for i := range slots {
		if slots[i].ID == st.Form.SlotID {
			d.Slot = &slots[i]
		}
	}
	d.SlotGone = d.Slot == nil
	return d, nil
}

// Label translates a key built from parts: (.Label "item.kind." .Kind).
func (p *page) Label(prefix, value string) string { return p.cat.T(p.labelKey(prefix + value)) }

// labelKey is key, or its ".reported" variant on the pages of a
// pre-complaint started from a report, where the catalogue has one: the
// fraud kind then includes a scam online ("hors internet" elsewhere,
// where online scams are sent to report first).
func (p *page) labelKey(key string) string {
	if p.Form != nil && p.Form.Report != "" && p.cat.Has(key+".reported") {
		return key + ".reported"
	}
	return key
}

// LocalDate formats a typed YYYY-MM-DD date for people; other text is
// shown as typed.
func (p *page) LocalDate(s string) string {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), complaint.Paris)
	if err != nil {
		return s
	}
	return dates{lang: p.Lang, loc: complaint.Paris}.Day(t)
}

// LocalDateTime formats a typed datetime-local value for people; other
// text is shown as typed.
func (p *page) LocalDateTime(s string) string {
	t, err := complaint.ParseLocal(s)
	if err != nil {
		return s
	}
	return dates{lang: p.Lang, loc: complaint.Paris}.DateTime(t)
}
