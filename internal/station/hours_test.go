package station

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/guichet/guichet/internal/typography"
)

// readable turns the no-break spaces of rendered hours into spaces, so
// that expectations read as text; TestHoursTypography checks the spaces.
func readable(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.NewReplacer(nnbsp, " ", nbsp, " ", typography.WordJoiner, "").Replace(l)
	}
	return out
}

func TestHoursLines(t *testing.T) {
	tests := []struct {
		name   string
		hours  Hours
		fr, en []string
	}{
		{"commissariat", Hours{Desk: Schedule{Always: true}, Appointments: MustParseSchedule("Mo-Fr 09:00-12:00,14:00-17:30")},
			[]string{"Accueil 24 h/24, 7 j/7", "Rendez-vous de pré-plainte : du lundi au vendredi, 9 h – 12 h, 14 h – 17 h 30"},
			[]string{"Open 24/7", "Pre-complaint appointments: Monday–Friday 9 am–12 pm, 2 pm–5:30 pm"}},
		{"brigade", Hours{Desk: MustParseSchedule("Mo-Sa 08:00-12:00,14:00-18:00; Su,PH 09:00-12:00,15:00-18:00"), Notes: []Note{NoteCall17}},
			[]string{"Du lundi au samedi, 8 h – 12 h, 14 h – 18 h", "Le dimanche et les jours fériés, 9 h – 12 h, 15 h – 18 h", "En dehors de ces horaires, composez le 17"},
			[]string{"Monday–Saturday 8 am–12 pm, 2 pm–6 pm", "Sunday and public holidays 9 am–12 pm, 3 pm–6 pm", "Outside these hours, call 17"}},
		{"days apart, closed days with holidays", Hours{Desk: MustParseSchedule("Mo,We 08:30-11:30; Tu,Th off; Sa-Su 10:00-12:00; PH off")},
			[]string{"Le lundi et le mercredi, 8 h 30 – 11 h 30", "Le mardi, le jeudi et les jours fériés, fermé", "Le samedi et le dimanche, 10 h – 12 h"},
			[]string{"Monday and Wednesday 8:30 am–11:30 am", "Tuesday, Thursday and public holidays closed", "Saturday and Sunday 10 am–12 pm"}},
		{"holidays on their own", Hours{Desk: MustParseSchedule("Mo-Fr 09:00-17:00; PH 10:00-12:00")},
			[]string{"Du lundi au vendredi, 9 h – 17 h", "Les jours fériés, 10 h – 12 h"},
			[]string{"Monday–Friday 9 am–5 pm", "Public holidays 10 am–12 pm"}},
		{"one run broken by a day", Hours{Desk: MustParseSchedule("Mo-Tu,Th-Sa 09:00-17:00")},
			[]string{"Le lundi, le mardi et du jeudi au samedi, 9 h – 17 h"},
			[]string{"Monday, Tuesday and Thursday–Saturday 9 am–5 pm"}},
		{"round the clock on some days", Hours{Desk: MustParseSchedule("Fr-Su 00:00-24:00")},
			[]string{"Du vendredi au dimanche, 0 h – 24 h"},
			[]string{"Friday–Sunday midnight–midnight"}},
		{"notes only", Hours{Notes: []Note{NoteNoPublic}}, []string{"Services administratifs, sans accueil du public"}, []string{"Administrative offices, not open to the public"}},
		{"legacy text last, as typed", Hours{Desk: Schedule{Always: true}, Legacy: []string{"Fermé le 25 décembre"}},
			[]string{"Accueil 24 h/24, 7 j/7", "Fermé le 25 décembre"}, []string{"Open 24/7", "Fermé le 25 décembre"}},
		{"nothing", Hours{}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readable(tt.hours.Lines("fr")); !reflect.DeepEqual(got, append([]string{}, tt.fr...)) && !(len(got) == 0 && len(tt.fr) == 0) {
				t.Errorf("French:\n got %q\nwant %q", got, tt.fr)
			}
			if got := readable(tt.hours.Lines("en")); !reflect.DeepEqual(got, append([]string{}, tt.en...)) && !(len(got) == 0 && len(tt.en) == 0) {
				t.Errorf("English:\n got %q\nwant %q", got, tt.en)
			}
		})
	}
}

// TestHoursTypography: French hours never break inside a time or a range,
// nor before a colon; English ones keep "9 am" whole.
func TestHoursTypography(t *testing.T) {
	h := Hours{Desk: MustParseSchedule("Mo-Fr 09:00-12:00,14:00-17:30"), Appointments: MustParseSchedule("Sa 09:30-12:00")}
	fr := strings.Join(h.Lines("fr"), "\n")
	for _, want := range []string{"9\u202fh\u202f–\u2060\u202f12\u202fh", "17\u202fh\u202f30", "pré-plainte\u202f:", "9\u202fh\u202f30"} {
		if !strings.Contains(fr, want) {
			t.Errorf("French hours %q lack %q", fr, want)
		}
	}
	if strings.Contains(fr, " :") || strings.Contains(fr, " h") || strings.Contains(fr, "h ") {
		t.Errorf("French hours %q hold a breaking space inside a time or before a colon", fr)
	}
	if en := strings.Join(h.Lines("en"), "\n"); !strings.Contains(en, "9\u00a0am–12\u00a0pm") || !strings.Contains(en, "9:30\u00a0am") {
		t.Errorf("English hours %q", en)
	}

	// Every French line of every kind of schedule keeps the rules of
	// internal/typography; legacy text typed with plain spaces is mended on
	// French pages and shown as typed on English ones.
	for _, h := range []Hours{
		{Desk: Schedule{Always: true}, Appointments: MustParseSchedule("Mo-Fr 09:00-12:00,14:00-17:30")},
		{Desk: MustParseSchedule("Mo-Sa 08:00-12:00,14:00-18:00; Su,PH 09:00-12:00,15:00-18:00"), Notes: []Note{NoteCall17}},
		{Desk: MustParseSchedule("Mo,We 08:30-11:30; Tu,Th off; Sa-Su 10:00-12:00; PH off"), Appointments: Schedule{Always: true}},
		{Desk: MustParseSchedule("Fr-Su 00:00-24:00"), Notes: []Note{NoteNoPublic, NoteSummoned}},
		{Legacy: []string{"Fermé de 12 h-14 h ; se renseigner : 17"}},
	} {
		for _, l := range h.Lines("fr") {
			if f := typography.Faults(l); len(f) > 0 {
				t.Errorf("French hours %q: %q", l, f)
			}
		}
	}
	legacy := Hours{Legacy: []string{"Fermé de 12 h-14 h ; se renseigner : 17"}}
	if got := legacy.Lines("en")[0]; got != legacy.Legacy[0] {
		t.Errorf("English legacy hours %q, want them as typed", got)
	}
}

func TestEnglishClock(t *testing.T) {
	for m, want := range map[int]string{0: "midnight", 9 * 60: "9\u00a0am", 11*60 + 30: "11:30\u00a0am", 12 * 60: "12\u00a0pm",
		12*60 + 5: "12:05\u00a0pm", 17*60 + 30: "5:30\u00a0pm", 24 * 60: "midnight"} {
		if got := EnglishClock(m); got != want {
			t.Errorf("EnglishClock(%d) = %q, want %q", m, got, want)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"24/7":                                 "24/7",
		"Mo-Fr 09:00-12:00":                    "Mo-Fr 09:00-12:00",
		"Mo 09:00-12:00; Tu-Fr 09:00-12:00":    "Mo-Fr 09:00-12:00",
		"Su,PH 09:00-12:00; Mo-Sa 08:00-18:00": "Mo-Sa 08:00-18:00; Su,PH 09:00-12:00",
		"Fr-Mo 10:00-11:00":                    "Mo,Fr-Su 10:00-11:00",
		"Mo,We 08:30-11:30; Tu off":            "Mo,We 08:30-11:30; Tu off",
		" Sa 09:00-12:00 ;PH off ":             "Sa 09:00-12:00; PH off",
		"Mo 00:00-24:00":                       "Mo 00:00-24:00",
	} {
		sc, err := ParseSchedule(in)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", in, err)
			continue
		}
		if got := sc.String(); got != want {
			t.Errorf("ParseSchedule(%q).String() = %q, want %q", in, got, want)
		}
		if again, err := ParseSchedule(sc.String()); err != nil || !reflect.DeepEqual(again, sc) {
			t.Errorf("%q does not read back: %+v, %v", sc.String(), again, err)
		}
	}
	for _, in := range []string{"always", "Mo", "Xx 09:00-10:00", "Mo 9:00-10:00", "Mo 10:00-09:00", "Mo 09:00-12:00,11:00-13:00",
		"Mo 09:00-24:30", "Mo 09:00-12:00; Mo 14:00-16:00", "Mo-Mo 09:00-10:00", "PH-Mo 09:00-10:00", "Mo 09:60-10:00"} {
		if _, err := ParseSchedule(in); err == nil {
			t.Errorf("ParseSchedule(%q) accepted", in)
		}
	}
}

// TestHoursJSON: hours are stored as JSON with schedules in their text
// form, and read back equal.
func TestHoursJSON(t *testing.T) {
	h := Hours{Desk: MustParseSchedule("Mo-Fr 08:30-19:00; Su off"), Appointments: MustParseSchedule("PH off"),
		Notes: []Note{NoteCall17}, Legacy: []string{"Fermé en août"}}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"desk":"Mo-Fr 08:30-19:00; Su off","appointments":"PH off","notes":["call_17"],"legacy":["Fermé en août"]}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Hours
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, h) {
		t.Errorf("read back %+v, %v", back, err)
	}
	var zero Hours
	if err := json.Unmarshal([]byte(`{}`), &zero); err != nil || !zero.IsZero() {
		t.Errorf("{} reads as %+v, %v", zero, err)
	}
	if err := json.Unmarshal([]byte(`{"desk":"Mo 25:00-26:00"}`), &zero); err == nil {
		t.Error("bad schedule in JSON accepted")
	}
}
