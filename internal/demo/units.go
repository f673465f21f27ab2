package demo

import "github.com/guichet/guichet/internal/station"

// hours shared by the commissariats and by the brigades of the seed.
var (
	hoursCommissariat = station.Hours{
		Desk:         station.Schedule{Always: true},
		Appointments: station.MustParseSchedule("Mo-Fr 09:00-12:00,14:00-17:30"),
	}
	hoursBrigade = station.Hours{
		Desk:  station.MustParseSchedule("Mo-Sa 08:00-12:00,14:00-18:00; Su,PH 09:00-12:00,15:00-18:00"),
		Notes: []station.Note{station.NoteCall17},
	}
)

// Units is the seed: police units modelled on real French commissariats
// and gendarmerie brigades. Addresses, hours and telephone numbers are
// illustrative for a demonstration instance; do not rely on them.
var Units = []station.Unit{
	{Code: "CSP-PARIS05", Name: "Commissariat central du 5e arrondissement de Paris", Kind: station.Commissariat,
		Address: "4 rue de la Montagne-Sainte-Geneviève", Postcode: "75005", City: "Paris", Lat: 48.8483, Lon: 2.3490,
		Phone: "01 44 41 51 00", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-PARIS11", Name: "Commissariat central du 11e arrondissement de Paris", Kind: station.Commissariat,
		Address: "107 boulevard Voltaire", Postcode: "75011", City: "Paris", Lat: 48.8585, Lon: 2.3795,
		Phone: "01 44 93 27 30", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-PARIS18", Name: "Commissariat central du 18e arrondissement de Paris", Kind: station.Commissariat,
		Address: "79 rue de Clignancourt", Postcode: "75018", City: "Paris", Lat: 48.8910, Lon: 2.3480,
		Phone: "01 53 41 50 00", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-LYON01", Name: "Commissariat de police de Lyon 1er", Kind: station.Commissariat,
		Address: "5 place Sathonay", Postcode: "69001", City: "Lyon", Lat: 45.7695, Lon: 4.8300,
		Phone: "04 78 28 54 99", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-LYON03", Name: "Commissariat de police de Lyon 3e", Kind: station.Commissariat,
		Address: "12 rue Servient", Postcode: "69003", City: "Lyon", Lat: 45.7605, Lon: 4.8500,
		Phone: "04 78 60 20 20", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-MARSEILLE", Name: "Hôtel de police de Marseille (L'Évêché)", Kind: station.Commissariat,
		Address: "2 rue Antoine-Becker", Postcode: "13002", City: "Marseille", Lat: 43.2990, Lon: 5.3660,
		Phone: "04 91 39 80 00", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-BORDEAUX", Name: "Commissariat central de Bordeaux", Kind: station.Commissariat,
		Address: "23 rue François-de-Sourdis", Postcode: "33000", City: "Bordeaux", Lat: 44.8360, Lon: -0.5850,
		Phone: "05 57 85 77 77", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-TOULOUSE", Name: "Commissariat central de Toulouse", Kind: station.Commissariat,
		Address: "23 boulevard de l'Embouchure", Postcode: "31000", City: "Toulouse", Lat: 43.6145, Lon: 1.4260,
		Phone: "05 61 12 77 77", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "CSP-LILLE", Name: "Commissariat central de Lille", Kind: station.Commissariat,
		Address: "8 rue du Marché", Postcode: "59000", City: "Lille", Lat: 50.6360, Lon: 3.0530,
		Phone: "03 20 62 47 47", Hours: hoursCommissariat, AcceptsAppointments: true},
	{Code: "BTA-CHAMONIX", Name: "Brigade de gendarmerie de Chamonix-Mont-Blanc", Kind: station.Brigade,
		Address: "111 avenue de la Plage", Postcode: "74400", City: "Chamonix-Mont-Blanc", Lat: 45.9237, Lon: 6.8694,
		Phone: "04 50 53 00 55", Hours: hoursBrigade, AcceptsAppointments: true},
	{Code: "BTA-VANNES", Name: "Brigade de gendarmerie de Vannes", Kind: station.Brigade,
		Address: "18 rue du Commandant-Charcot", Postcode: "56000", City: "Vannes", Lat: 47.6580, Lon: -2.7600,
		Phone: "02 97 47 12 22", Hours: hoursBrigade, AcceptsAppointments: true},
	{Code: "BTA-STREMY", Name: "Brigade de gendarmerie de Saint-Rémy-de-Provence", Kind: station.Brigade,
		Address: "1 avenue Durand-Maillane", Postcode: "13210", City: "Saint-Rémy-de-Provence", Lat: 43.7890, Lon: 4.8310,
		Phone: "04 90 92 00 08", Hours: hoursBrigade, AcceptsAppointments: true},
	{Code: "BTA-MACON", Name: "Brigade de gendarmerie de Mâcon", Kind: station.Brigade,
		Address: "35 rue Lacretelle", Postcode: "71000", City: "Mâcon", Lat: 46.3060, Lon: 4.8290,
		Phone: "03 85 21 51 00", Hours: hoursBrigade, AcceptsAppointments: true},
	{Code: "DDSP-69", Name: "Direction départementale de la police nationale du Rhône", Kind: station.Commissariat,
		Address: "40 rue Marius-Berliet", Postcode: "69008", City: "Lyon", Lat: 45.7370, Lon: 4.8710,
		Phone: "04 78 78 40 40", Hours: station.Hours{Notes: []station.Note{station.NoteNoPublic}}, AcceptsAppointments: false},
}
