package receipt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guichet/guichet"
)

func sampleComplaint() Complaint {
	return Complaint{
		Ref: "PL-2026-4HJ7-W2QZ", PreComplaintRef: "PP-2026-7KQ3-M9TX",
		At:       time.Date(2026, 3, 16, 8, 42, 0, 0, time.UTC),
		UnitName: "Commissariat de police de Lyon 3e arrondissement", UnitAddress: "52 rue Paul Bert, 69003 Lyon",
		Civility: "mrs", LastName: "Martin", FirstName: "Camille", BirthDate: "1987-04-01", BirthPlace: "Nantes",
		Address: "14 rue des Lilas", Postcode: "69003", City: "Lyon", Email: "c.martin@example.fr", Phone: "06 12 34 56 78",
		IDDocument: "passport", Category: "theft",
		FactsFrom: "2026-03-11T08:00", FactsTo: "2026-03-11T09:30", Place: "Place Guichard, 69003 Lyon",
		Description: "Vol de mon vélo attaché devant la bouche de métro ; le cadenas en U a été coupé.",
		Items: []ComplaintItem{
			{Kind: "bicycle", Description: "Vélo de ville bleu", Value: "450", Serial: "WBK123456"},
			{Kind: "other", Description: "Cadenas en U"},
		},
		AgentPseudonym: "A7F2", AgentServiceNumber: "1234567", LogIndex: 5121,
	}
}

var complaintCases = map[string]func() Complaint{
	"complaint": sampleComplaint,
	"complaint-minimal": func() Complaint {
		c := sampleComplaint()
		c.PreComplaintRef, c.UnitName, c.UnitAddress = "", "", ""
		c.Email, c.Phone, c.BirthPlace, c.Place, c.FactsTo = "", "", "", "", ""
		c.Items, c.LogIndex = nil, -1
		return c
	},
}

func TestComplaintGolden(t *testing.T) {
	for name, mk := range complaintCases {
		t.Run(name, func(t *testing.T) {
			got, err := ComplaintPDF(mk())
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.pdf")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/receipt -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (%d vs %d bytes); if intended, run go test ./internal/receipt -update and look at it", path, len(got), len(want))
			}
		})
	}
}

func TestComplaintContent(t *testing.T) {
	for _, tc := range []struct {
		name          string
		want, notWant []string
	}{
		{"complaint", []string{
			"Récépissé de dépôt de plainte", "PL-2026-4HJ7-W2QZ", "Suite à la pré-plainte en ligne PP-2026-7KQ3-M9TX",
			"lundi 16 mars 2026 à 9 h 42", // 8:42 UTC is 9:42 in Paris
			"Commissariat de police de Lyon 3e arrondissement",
			"Mme MARTIN Camille", "1er avril 1987 à Nantes", "Passeport, vérifiée par l’agent",
			"Vol simple", "du mercredi 11 mars 2026 à 8 h 00 au mercredi 11 mars 2026 à 9 h 30",
			"Vol de mon vélo attaché devant la bouche de métro", "Vélo — Vélo de ville bleu ; valeur 450",
			"n° de série WBK123456", "Autre — Cadenas en U",
			"Agent A7F2, matricule 1234567", "article 15-3 du code de procédure pénale", "sous le numéro 5121",
		}, []string{"Theft", "bicycle", "passport"}},
		{"complaint-minimal", []string{"Aucun bien déclaré.", "en cours", "le mercredi 11 mars 2026 à 8 h 00"},
			[]string{"Suite à la pré-plainte", "sous le numéro", "Contact"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := ComplaintPDF(complaintCases[tc.name]())
			if err != nil {
				t.Fatal(err)
			}
			text := pageText(t, b)
			for _, s := range tc.want {
				if !strings.Contains(text, s) {
					t.Errorf("page text lacks %q", s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(text, s) {
					t.Errorf("page text has %q", s)
				}
			}
		})
	}
	_, err := ComplaintPDF(Complaint{})
	var v *guichet.ValidationError
	if !errors.As(err, &v) || len(v.Fields) != 2 {
		t.Errorf("empty complaint: %v", err)
	}
}

// TestComplaintAbroad: a complainant living abroad, robbed on a train, with
// a foreign plate, reads all of it on the record.
func TestComplaintAbroad(t *testing.T) {
	c := sampleComplaint()
	c.Address, c.Postcode, c.City, c.Country = "Hauptstraße 5", "80331", "München", "Allemagne"
	c.Place = "TGV 6603 Paris–Marseille, voiture 12 — Valence"
	c.Items = []ComplaintItem{{Kind: "vehicle", Description: "Golf", Plate: "M AB 1234", ForeignPlate: true}, {Kind: "vehicle", Description: "Clio", Plate: "AB-123-CD"}}
	b, err := ComplaintPDF(c)
	if err != nil {
		t.Fatal(err)
	}
	text := pageText(t, b)
	for _, s := range []string{"Hauptstraße 5", "80331 München", "Allemagne", "TGV 6603 Paris–Marseille, voiture 12 — Valence",
		"immatriculation M AB 1234 (étrangère)", "immatriculation AB-123-CD"} {
		if !strings.Contains(text, s) {
			t.Errorf("page text lacks %q", s)
		}
	}
	if strings.Contains(text, "AB-123-CD (étrangère)") {
		t.Error("a French plate said foreign")
	}
}
