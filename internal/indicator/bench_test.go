package indicator

import "testing"

// BenchmarkNormalize measures one typical value per kind (the figures the
// coming matching benchmark over 1M indicators builds on).
func BenchmarkNormalize(b *testing.B) {
	for _, c := range []struct {
		kind Kind
		in   string
	}{
		{KindURL, "https://www.Example.co.uk/a/../login.php?utm_source=sms&id=42#top"},
		{KindDomain, "Bücher.example.de"},
		{KindIP, "2001:db8::1"},
		{KindEmail, "Jean.Dupont@Example.fr"},
		{KindPhone, "06 12 34 56 78"},
		{KindIBAN, "FR76 3000 6000 0112 3456 7890 189"},
		{KindBitcoin, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"},
		{KindEthereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{KindAuto, "FR76 3000 6000 0112 3456 7890 189"},
	} {
		b.Run(string(c.kind), func(b *testing.B) {
			for b.Loop() {
				if !Normalize(c.kind, c.in).Valid {
					b.Fatal("invalid")
				}
			}
		})
	}
}
