package intake

import "testing"

func TestHashDigits(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "abc": "abc", "123": "123", "1234": "#", "a1234b": "a#b", "12 3456 789": "12 # 789",
		"colis 7700120001, code 12": "colis #, code 12", "99999x1234": "#x#", "n° 12345678901234567890": "n° #",
	} {
		if got := hashDigits(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestCanonText(t *testing.T) {
	rcpt := newRecipients(`"Rose Martin" <rose.martin@example.fr>`)
	got := canonText("Bonjour Rose,  arrosez vos plantes &amp; écrivez à ROSE.MARTIN@example.fr — réf 884411", nil, rcpt)
	want := "bonjour , arrosez vos plantes & écrivez à — réf #"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
