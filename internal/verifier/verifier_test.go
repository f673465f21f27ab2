package verifier

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/guichet/guichet"
	"github.com/guichet/guichet/internal/report"
)

type fakeStore map[string]Fact

func (f fakeStore) CheckKeys(_ context.Context, keys []string) (map[string]Fact, error) {
	out := map[string]Fact{}
	for _, k := range keys {
		if x, ok := f[k]; ok {
			out[k] = x
		}
	}
	return out, nil
}

type fakeWarnings []Cite

func (f fakeWarnings) Citing(context.Context, []string, time.Time) ([]Cite, error) { return f, nil }

func TestValues(t *testing.T) {
	for _, tt := range []struct {
		in   string
		keys []string
	}{
		{"01 99 00 12 34", []string{"phone:+33199001234"}},
		{"  https://Lnk.example/c0lis-7Hq  ", []string{"url:https://lnk.example/c0lis-7Hq"}},
		{"FR76 3000 6000 0112 3456 7890 189", []string{"iban:FR7630006000011234567890189"}},
		{"01 99 00 12 34\nhttps://lnk.example/a", []string{"phone:+33199001234", "url:https://lnk.example/a"}},
		{"Votre colis est bloqué : payez 1,99 € sur https://lnk.example/c0lis-7Hq ou appelez le 01 99 00 12 34. Réf 1234",
			[]string{"url:https://lnk.example/c0lis-7Hq", "phone:+33199001234"}},
		{"01 99 00 12 34\n01 99 00 12 34", []string{"phone:+33199001234"}},
	} {
		got := Values(tt.in)
		var keys []string
		for _, s := range got {
			keys = append(keys, s.Key)
		}
		if len(keys) != len(tt.keys) {
			t.Errorf("Values(%q) = %q, want %q", tt.in, keys, tt.keys)
			continue
		}
		for i := range keys {
			if keys[i] != tt.keys[i] {
				t.Errorf("Values(%q) = %q, want %q", tt.in, keys, tt.keys)
			}
		}
	}
	if got := Values("bonjour"); len(got) != 1 || got[0].Key != "" || got[0].Reason == "" {
		t.Errorf("Values(bonjour) = %+v, want one unreadable value with its reason", got)
	}
}

func TestCheck(t *testing.T) {
	march := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	bank := &report.KnownGood{Key: "phone:+33892705705", Kind: "phone", Category: report.KnownGoodBank, Label: "Serveur interbancaire"}
	st := fakeStore{
		"phone:+33199001234": {Key: "phone:+33199001234", Published: &Published{Reports: 312, FirstSeen: march, LastSeen: march.AddDate(0, 1, 0)}},
		"phone:+33199004567": {Key: "phone:+33199004567", Published: &Published{Reports: 3, FirstSeen: march, LastSeen: march}},
		"phone:+33892705705": {Key: "phone:+33892705705", KnownGood: bank, Published: &Published{Reports: 40}},
	}
	w := fakeWarnings{{Ref: "AV-1", Slug: "faux-colis", Titles: map[string]string{"fr": "Faux frais de colis"}, Keys: []string{"phone:+33199001234"}}}
	s := New(Deps{Store: st, Warnings: w})
	res, err := s.Check(t.Context(), "01 99 00 12 34\n01 99 00 45 67\n0 892 705 705\n01 99 00 99 99\n06 12")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		v    Verdict
		n    int
		few  bool
		warn int
	}{{Reported, 312, false, 1}, {Reported, 3, true, 0}, {Genuine, 0, false, 0}, {Unknown, 0, false, 0}, {Unreadable, 0, false, 0}}
	if len(res.Answers) != len(want) {
		t.Fatalf("%d answers, want %d: %+v", len(res.Answers), len(want), res.Answers)
	}
	for i, w := range want {
		a := res.Answers[i]
		if a.Verdict != w.v || a.Reports != w.n || a.Few != w.few || len(a.Warnings) != w.warn {
			t.Errorf("answer %d (%s) = %s %d few=%v warnings=%d, want %+v", i, a.Input, a.Verdict, a.Reports, a.Few, len(a.Warnings), w)
		}
	}
	if a := res.Answers[0]; !a.FirstSeen.Equal(march) || a.Channel != "phone" || a.Value != "01 99 00 12 34" {
		t.Errorf("first answer %+v", a)
	}
	if a := res.Answers[2]; a.KnownGood == nil || a.KnownGood.Label != bank.Label {
		t.Errorf("the genuine number's entry: %+v", a.KnownGood)
	}
	for _, in := range []string{"", "   \n ", string(make([]byte, MaxInputLen+1))} {
		_, err := s.Check(t.Context(), in)
		var v *guichet.ValidationError
		if !errors.As(err, &v) {
			t.Errorf("Check(%d bytes) = %v, want a validation error", len(in), err)
		} else if _, ok := v.For("value"); !ok {
			t.Errorf("Check(%d bytes): no error on value: %v", len(in), err)
		}
	}
}
