package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"math"

	"github.com/guichet/guichet/internal/alert"
	"github.com/guichet/guichet/internal/station"
)

// Patrols is the demo's fleet: four police units (patrol cars, named
// after their station) around every station without a parent, at fixed
// offsets of a few hundred metres to two kilometres, three available and
// one busy.
func Patrols(units []station.Unit) []alert.UnitPosition {
	var out []alert.UnitPosition
	for _, u := range units {
		if u.ParentID != "" {
			continue
		}
		for i := range 4 {
			angle := float64(i)*math.Pi/2 + 0.6
			km := 0.4 + 0.5*float64(i)
			dlat := km * math.Cos(angle) / 110.574
			dlon := km * math.Sin(angle) / (111.320 * math.Cos(u.Lat*math.Pi/180))
			out = append(out, alert.UnitPosition{
				ID: fmt.Sprintf("TV-%s-%d", u.Code, i+1), Lat: u.Lat + dlat, Lon: u.Lon + dlon, Available: i != 2,
			})
		}
	}
	return out
}

// DemoAlertUnit is the code of the unit whose area the demo's alerts lie in
// (its dispatcher is DSP-L03, its supervisor SUP-L03).
const DemoAlertUnit = "CSP-LYON03"

// AlertNear is a demo alert a few hundred metres from unit u, of type t,
// with a made-up person's profile; n varies the place and the person.
func AlertNear(u station.Unit, t alert.Type, n int) alert.RaiseInput {
	key := make([]byte, 18)
	_, _ = io.ReadFull(rand.Reader, key)
	angle := float64(n) * 2.1
	people := []alert.Profile{
		{Name: "Inès Garnier", Phone: "+33 6 12 34 56 78", Languages: []string{"fr"}, Contacts: []alert.Contact{{Name: "Samia Garnier", Phone: "+33 6 98 76 54 32"}}},
		{Name: "Chloé Fontaine", Phone: "+33 7 11 22 33 44", Languages: []string{"fr", "fsl"}, Deaf: true, MedicalNotes: "asthme"},
		{Name: "Maëlle Roussel", Phone: "+33 6 55 44 33 22", Languages: []string{"fr", "en"}},
	}
	return alert.RaiseInput{
		Type: t, Key: base64.RawURLEncoding.EncodeToString(key), Lang: "fr", Profile: people[n%len(people)],
		Position: &alert.Position{
			Lat: u.Lat + 0.004*math.Cos(angle), Lon: u.Lon + 0.006*math.Sin(angle),
			Accuracy: float64(12 + 20*n), Battery: 0.35 + 0.1*float64(n%3),
		},
	}
}

// SeedAlerts raises the demo's open silent alerts in DemoAlertUnit's area:
// one domestic-violence alert whose person has written, one assault. It
// returns their references.
func SeedAlerts(ctx context.Context, svc *alert.Service, units []station.Unit) ([]string, error) {
	var u station.Unit
	for _, x := range units {
		if x.Code == DemoAlertUnit {
			u = x
		}
	}
	if u.ID == "" {
		return nil, fmt.Errorf("seed alerts: unit %s missing", DemoAlertUnit)
	}
	var refs []string
	for i, t := range []alert.Type{alert.TypeDomesticViolence, alert.TypeAssault} {
		in := AlertNear(u, t, i)
		r, err := svc.Raise(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("seed alert: %w", err)
		}
		if i == 0 {
			if err := svc.ChatFromCitizen(ctx, r.Ref, in.Key, alert.Message{Quick: alert.QuickCantTalk, Text: "Il est dans l’entrée."}); err != nil {
				return nil, fmt.Errorf("seed alert chat: %w", err)
			}
		}
		refs = append(refs, r.Ref)
	}
	return refs, nil
}
