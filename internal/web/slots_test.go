package web

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet/internal/caseref"
	"github.com/guichet/guichet/internal/station"
)

// postStep posts a step's multipart form as a browser does: the inputs,
// then the file (none when name is empty: browsers then send an empty
// file part), then the button pressed.
func (c *client) postStep(path string, vals url.Values, name string, data []byte) resp {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("evidence", name)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(data)
	for k, vs := range vals {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.e.srv.URL+path, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// toEvidence starts a draft and fills it up to the evidence step.
func (c *client) toEvidence() {
	c.t.Helper()
	c.post("/preplainte", answers()).must(c.t, 200)
	c.post("/preplainte/identite", identity()).must(c.t, 200)
	c.post("/preplainte/faits", facts()).must(c.t, 200)
	c.post("/preplainte/objets", items()).must(c.t, 200, `enctype="multipart/form-data"`)
}

// TestEvidenceSentWithStep: a file chosen, then "Save and continue"
// instead of "Send this file", is stored with the step and listed on the
// review; one that cannot be stored keeps the citizen on the step with the
// reason beside the file field.
func TestEvidenceSentWithStep(t *testing.T) {
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\n")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
	for _, tc := range []struct {
		lang, notice, refused string
	}{
		{"fr", "n’a pas été joint", "Ce type de fichier n’est pas accepté"},
		{"en", "was not attached", "This type of file is not accepted"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			c.toEvidence()
			r := c.get("/preplainte/preuves").must(t, 200, `formaction="/preplainte/preuves/ajouter"`)
			version := regexp1(t, `name="version" value="(\d+)"`, r.Body)

			// A refused file: still on the step, the reason by the field,
			// nothing attached.
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "facture.pdf", exe).
				must(t, http.StatusUnprocessableEntity, tc.notice, tc.refused, `id="f-evidence-error"`, `aria-invalid="true"`, `href="#f-evidence"`)
			if r.Path != "/preplainte/preuves" {
				t.Fatalf("refused file: at %s", r.Path)
			}
			if v, _ := e.svc.Draft(t.Context(), mustDraftCode(t, e, c)); len(v.Form.Evidence) != 0 || v.Step.Index() > 3 {
				t.Fatalf("refused file stored or step passed: %+v, step %s", v.Form.Evidence, v.Step)
			}

			// A good file with "Save and continue": stored, then the next
			// step; the review lists it.
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "facture-telephone.pdf", pdf).must(t, 200)
			if r.Path != "/preplainte/commissariat" {
				t.Fatalf("after save and continue with a file: at %s\n%s", r.Path, excerpt(r.Body))
			}
			c.get("/preplainte/preuves").must(t, 200, "facture-telephone.pdf")

			// No file chosen: the step goes on as before.
			version = regexp1(t, `name="version" value="(\d+)"`, c.get("/preplainte/preuves").Body)
			r = c.postStep("/preplainte/preuves", url.Values{"version": {version}, "action": {"continue"}}, "", nil).must(t, 200)
			if r.Path != "/preplainte/commissariat" {
				t.Fatalf("no file: at %s", r.Path)
			}
			st, _ := e.svc.Draft(t.Context(), mustDraftCode(t, e, c))
			if len(st.Form.Evidence) != 1 || st.Form.Evidence[0].Name != "facture-telephone.pdf" {
				t.Fatalf("evidence %+v", st.Form.Evidence)
			}
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}}).must(t, 200)
			slot := slotRE.FindStringSubmatch(r.Body)[1]
			c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {slot}}).
				must(t, 200, "facture-telephone.pdf")

			// "Send this file" still posts to its own address.
			c.upload("photo.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), bytes.Repeat([]byte{1}, 100)...)).must(t, 200, "photo.png", "facture-telephone.pdf")
		})
	}
}

// mustDraftCode returns the draft code this client's browser holds.
func mustDraftCode(t *testing.T, e *env, c *client) caseref.Code {
	t.Helper()
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == e.web.cookieName(draftCookie) {
			code, err := caseref.ParseCode(ck.Value)
			if err != nil {
				t.Fatal(err)
			}
			return code
		}
	}
	t.Fatal("no draft cookie")
	return ""
}

// TestMoveAppointment: the current time is shown but never pre-selected;
// moving without choosing, or to the time already held, is refused in
// words beside the times and records nothing; a real move lands on the
// appointment with its success message first.
func TestMoveAppointment(t *testing.T) {
	for _, tc := range []struct {
		lang, current, chooseNew, same, moved string
	}{
		{"fr", "(votre rendez-vous actuel)", "Choisissez la nouvelle heure", "C’est déjà l’heure de votre rendez-vous", "Votre rendez-vous a été déplacé."},
		{"en", "(your current appointment)", "Choose the new time", "This is already the time of your appointment", "Your appointment has been moved."},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			ref, _ := c.submit()
			before, err := e.svc.View(t.Context(), ref)
			if err != nil {
				t.Fatal(err)
			}
			cur := before.Appointment.SlotID
			r := c.get("/suivi/"+ref).must(t, 200, `value="`+cur+`"`, tc.current)
			if strings.Contains(r.Body, `value="`+cur+`" checked`) || strings.Contains(r.Body, `name="slot_id" value="`+cur+`" checked`) {
				t.Fatalf("the current time is pre-selected")
			}
			if regexp.MustCompile(`name="slot_id" value="[^"]+" checked`).MatchString(r.Body) {
				t.Fatalf("a time is pre-selected on the move form")
			}
			events := len(before.Events)

			r = c.post("/suivi/"+ref+"/rendez-vous", url.Values{}).
				must(t, http.StatusUnprocessableEntity, tc.chooseNew, `id="f-slot_id-error"`, `href="#f-slot_id"`, `<details class="details" open>`)
			r = c.post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {cur}}).
				must(t, http.StatusUnprocessableEntity, tc.same, `id="f-slot_id-error"`)
			after, _ := e.svc.View(t.Context(), ref)
			if len(after.Events) != events || after.Appointment.SlotID != cur {
				t.Fatalf("a refused move was recorded: %d events (was %d), slot %s", len(after.Events), events, after.Appointment.SlotID)
			}
			if strings.Contains(e.logs.String(), "appointment rescheduled") {
				t.Fatalf("a refused move was logged")
			}

			var other string
			for _, m := range slotRE.FindAllStringSubmatch(r.Body, -1) {
				if m[1] != cur {
					other = m[1]
					break
				}
			}
			nr := c.noRedirect().post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {other}}).must(t, http.StatusSeeOther)
			if loc := nr.Header.Get("Location"); loc != "/suivi/"+ref+"?ok=deplace#rendez-vous" {
				t.Fatalf("after a move: to %q", loc)
			}
			r = c.get("/suivi/"+ref+"?ok=deplace").must(t, 200, tc.moved)
			// The page lands on #rendez-vous: the message is its first thing.
			sec, msg, h2 := strings.Index(r.Body, `id="rendez-vous"`), strings.Index(r.Body, tc.moved), strings.Index(r.Body, `id="appt-title"`)
			if !(sec < msg && msg < h2) {
				t.Fatalf("the success message is not at the top of the appointment (%d, %d, %d)", sec, msg, h2)
			}
			if !strings.Contains(r.Body[sec:msg], `role="status"`) {
				t.Fatalf("the success message is not a status")
			}
			after, _ = e.svc.View(t.Context(), ref)
			if after.Appointment.SlotID != other || len(after.Events) != events+1 {
				t.Fatalf("move: slot %s, %d events", after.Appointment.SlotID, len(after.Events))
			}
		})
	}
}

// TestPickSlots: one day shown at a time, the first by default, another
// on request or where the chosen slot is; the chosen slot on another day
// is kept; the current appointment is never pre-selected.
func TestPickSlots(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 11, 23+d, 8+h, 0, 0, 0, time.UTC) }
	var slots []station.Slot
	for d := range 3 {
		for h := range d + 2 {
			slots = append(slots, station.Slot{ID: fmt.Sprintf("s%d%d", d, h), Start: day(d, h), End: day(d, h).Add(30 * time.Minute), Capacity: 1})
		}
	}
	href := dayHref("/p", url.Values{"q": {"69003"}}, "creneaux")
	ids := func(pk slotPicker) (out []string) {
		for _, s := range pk.Day.Slots {
			out = append(out, s.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name, chosen, current, day string
		want                       []string
		wantChosen                 string
	}{
		{"first day by default", "", "", "", []string{"s00", "s01"}, ""},
		{"a day asked for", "", "", "2026-11-25", []string{"s20", "s21", "s22", "s23"}, ""},
		{"an unknown day", "", "", "2027-01-01", []string{"s00", "s01"}, ""},
		{"the chosen slot's day", "s11", "", "", []string{"s10", "s11", "s12"}, ""},
		{"chosen on another day", "s11", "", "2026-11-23", []string{"s00", "s01"}, "s11"},
		{"current never checked", "", "s01", "", []string{"s00", "s01"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pk := pickSlots("fr", slots, tc.chosen, tc.current, tc.day, href)
			if got := ids(pk); !slices.Equal(got, tc.want) {
				t.Fatalf("day shown %v, want %v", got, tc.want)
			}
			if len(pk.Days) != 3 || pk.Count != 9 {
				t.Fatalf("%d days, %d slots", len(pk.Days), pk.Count)
			}
			if pk.Day.Slots[0].InputID != "f-slot_id" {
				t.Errorf("first input %q", pk.Day.Slots[0].InputID)
			}
			gotChosen := ""
			if pk.Chosen != nil {
				gotChosen = pk.Chosen.ID
			}
			if gotChosen != tc.wantChosen {
				t.Errorf("chosen elsewhere %q, want %q", gotChosen, tc.wantChosen)
			}
			for _, s := range pk.Day.Slots {
				if s.Checked != (s.ID == tc.chosen && tc.chosen != tc.current) || s.Current != (s.ID == tc.current) {
					t.Errorf("slot %s: checked %v, current %v", s.ID, s.Checked, s.Current)
				}
			}
			current := 0
			for _, d := range pk.Days {
				if d.Current {
					current++
					if d.ISO != isoDay(pk.Day.Day) {
						t.Errorf("current link %s, day shown %s", d.ISO, isoDay(pk.Day.Day))
					}
				}
			}
			if current != 1 {
				t.Errorf("%d current days", current)
			}
		})
	}
	pk := pickSlots("fr", slots, "", "", "", href)
	if got := pk.Days[1]; got.Href != "/p?jour=2026-11-24&q=69003#creneaux" || got.Label != "mar.\u00a024\u00a0nov." || got.Count != 3 {
		t.Errorf("day link %+v", got)
	}
	if got := pickSlots("en", slots, "", "", "", href).Days[0].Label; got != "Mon\u00a023\u00a0Nov" {
		t.Errorf("English label %q", got)
	}
	if pk := pickSlots("fr", nil, "", "", "", href); pk.Day != nil || len(pk.Days) != 0 {
		t.Errorf("no slots: %+v", pk)
	}
}

// TestStationStepDays: the station step shows one day of times with the
// days as links, never asks for a time when none is on screen, and offers
// the next place when the one chosen has no free time.
func TestStationStepDays(t *testing.T) {
	for _, tc := range []struct {
		lang, days, count, noneHere, nextButton string
	}{
		{"fr", "Jours avec des créneaux libres", "4 créneaux", "Ce lieu n’a aucun créneau libre", "Voir les créneaux\u202f: Commissariat de Lyon 3e"},
		{"en", "Days with free times", "4 times", "This place has no free time", "See the times: Commissariat de Lyon 3e"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			empty := station.Unit{ID: "0190a0a0-0000-7000-8000-000000000001", Code: "CSP-LYON3-ANNEXE", Name: "Annexe sans créneau", Kind: station.Commissariat,
				Address: "1 rue Vide", Postcode: "69003", City: "Lyon", Lat: 45.7601, Lon: 4.8501, AcceptsAppointments: true}
			if err := e.store.CreateUnit(t.Context(), empty); err != nil {
				t.Fatal(err)
			}
			c := e.client(tc.lang)
			c.toEvidence()
			c.post("/preplainte/preuves", url.Values{}).must(t, 200)

			// Places found for a postcode show their distance, nearest first.
			r := c.get("/preplainte/commissariat?q=69100").must(t, 200)
			kms := regexp.MustCompile(`· (\d+(?:[.,]\d)?)\x{00a0}km`).FindAllStringSubmatch(r.Body, -1)
			if len(kms) != 3 || !strings.Contains(r.Body[:strings.Index(r.Body, "Commissariat de Lyon 3e")], "Brigade de Villeurbanne") {
				t.Fatalf("distances %v, or Villeurbanne not first", kms)
			}
			sep := map[string]string{"fr": ",", "en": "."}[tc.lang]
			last := -1.0
			for _, m := range kms {
				if strings.Contains(m[1], map[string]string{"fr": ".", "en": ","}[tc.lang]) {
					t.Errorf("distance %q: decimal separator is not %q", m[1], sep)
				}
				km, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", "."), 64)
				if km < last {
					t.Errorf("distances not sorted: %v", kms)
				}
				last = km
			}

			// Nothing chosen: one message, on the place.
			r = c.post("/preplainte/commissariat", url.Values{"q": {"69003"}}).must(t, http.StatusUnprocessableEntity, `href="#f-unit_id"`).
				lacks(t, `href="#f-slot_id"`, `id="f-slot_id`)

			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "action": {"choose-unit"}, "q": {"69003"}}).
				must(t, 200, tc.days, tc.count, `aria-current="date"`, `href="/preplainte/commissariat?jour=2026-11-24&amp;q=69003#creneaux"`)
			if n := len(slotRE.FindAllString(r.Body, -1)); n != 4 {
				t.Fatalf("%d times shown, want one day's 4", n)
			}
			first := slotRE.FindStringSubmatch(r.Body)[1]
			r = c.get("/preplainte/commissariat?jour=2026-11-26&q=69003").must(t, 200)
			if n := len(slotRE.FindAllString(r.Body, -1)); n != 4 || strings.Contains(r.Body, `value="`+first+`"`) {
				t.Fatalf("Thursday shows %d times, Monday's first among them: %v", n, strings.Contains(r.Body, first))
			}
			thursday := slotRE.FindStringSubmatch(r.Body)[1]
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {e.units[0].ID}, "slot_id": {thursday}, "q": {"69003"}}).must(t, 200)
			if r.Path != "/preplainte/recapitulatif" {
				t.Fatalf("after a time on Thursday: at %s", r.Path)
			}
			// Back on the step, the chosen day is shown, its time checked.
			c.get("/preplainte/commissariat?q=69003").must(t, 200, `value="`+thursday+`" checked`)

			// A place without free time: said so, with the next place.
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {empty.ID}, "q": {"69003"}}).must(t, 200, tc.nextButton)
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {empty.ID}, "q": {"69003"}}).
				must(t, http.StatusUnprocessableEntity, tc.noneHere, `href="#f-slot_id"`, `id="f-slot_id"`, tc.nextButton)
			if strings.Contains(r.Body, "Choisissez une réponse") || strings.Contains(r.Body, "Select an answer") {
				t.Fatalf("asks for a time when none is on screen")
			}
			r = c.post("/preplainte/commissariat", url.Values{"unit_id": {empty.ID}, "next_unit": {e.units[0].ID}, "q": {"69003"}}).
				must(t, 200, tc.count)
			if n := len(slotRE.FindAllString(r.Body, -1)); n != 4 {
				t.Fatalf("next place: %d times", n)
			}
		})
	}
}

// TestRebookElsewhere: after a cancellation the citizen finds another
// place as on the filing journey and books there; the case moves with
// the appointment. While an appointment is held, times stay at its place.
func TestRebookElsewhere(t *testing.T) {
	for _, tc := range []struct{ lang, booked, otherUnit, elsewhere string }{
		{"fr", "Votre rendez-vous est pris.", "Brigade de Villeurbanne</h3>", "Ce créneau est dans un autre lieu"},
		{"en", "Your appointment is booked.", "Brigade de Villeurbanne</h3>", "This time is at another place"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(tc.lang)
			ref, _ := c.submit()
			lyon, villeurbanne := e.units[0], e.units[1]
			otherSlot := func(body string) string {
				t.Helper()
				for _, m := range slotRE.FindAllStringSubmatch(body, -1) {
					sl, err := e.store.Slot(t.Context(), m[1])
					if err != nil {
						t.Fatal(err)
					}
					if sl.UnitID != villeurbanne.ID {
						t.Fatalf("slot %s of unit %s offered for Villeurbanne", sl.ID, sl.UnitID)
					}
					return sl.ID
				}
				t.Fatalf("no time offered")
				return ""
			}
			// Holding an appointment: no other place is offered, and a
			// crafted post for one is refused in words.
			c.get("/suivi/"+ref).must(t, 200).lacks(t, `name="unite"`)
			r := c.get("/suivi/"+ref+"?unite="+villeurbanne.ID).lacks(t, tc.otherUnit)
			free, err := e.svc.FreeSlots(t.Context(), villeurbanne.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {free[0].ID}}).must(t, http.StatusUnprocessableEntity, tc.elsewhere)

			c.post("/suivi/"+ref+"/rendez-vous/annuler", url.Values{}).must(t, 200)
			// The same place's times straight away, and a search for others.
			r = c.get("/suivi/"+ref).must(t, 200, `name="unite"`, `id="f-q"`, `value="69003"`, "Brigade de Villeurbanne")
			r = c.get("/suivi/"+ref+"?q=69100").must(t, 200, `<details class="details unit-details" open>`)
			if strings.Index(r.Body, "Brigade de Villeurbanne") > strings.Index(r.Body, `<span class="unit-name">Commissariat de Lyon 3e`) {
				t.Errorf("69100 does not list Villeurbanne first")
			}
			r = c.get("/suivi/"+ref+"?q=69100&unite="+villeurbanne.ID).must(t, 200, tc.otherUnit, `value="`+villeurbanne.ID+`" checked`)
			slot := otherSlot(r.Body)
			// Its day links keep the place.
			if !strings.Contains(r.Body, "unite="+villeurbanne.ID+"#creneaux-lieu") {
				t.Errorf("day links lose the place chosen")
			}
			nr := c.noRedirect().post("/suivi/"+ref+"/rendez-vous", url.Values{"slot_id": {slot}, "unite": {villeurbanne.ID}, "q": {"69100"}}).must(t, http.StatusSeeOther)
			if loc := nr.Header.Get("Location"); loc != "/suivi/"+ref+"?ok=reserve#rendez-vous" {
				t.Fatalf("after booking: to %q", loc)
			}
			c.get("/suivi/"+ref+"?ok=reserve").must(t, 200, tc.booked, "1 place Lazare-Goujon")
			v, err := e.svc.View(t.Context(), ref)
			if err != nil {
				t.Fatal(err)
			}
			if v.Appointment == nil || v.Appointment.SlotID != slot || v.Case.UnitID != villeurbanne.ID || v.Unit.ID != villeurbanne.ID {
				t.Fatalf("after booking elsewhere: appointment %+v, unit %s", v.Appointment, v.Case.UnitID)
			}
			if last := v.Events[len(v.Events)-1]; last.Type != "appointment.booked" || last.Data["unit"] != villeurbanne.ID || last.Data["from_unit"] != lyon.ID {
				t.Errorf("last event %+v", last)
			}
		})
	}
}
