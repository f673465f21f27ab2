package qrcode_test

import (
	"bytes"
	"image/png"
	"testing"

	"rsc.io/qr"

	"github.com/guichet/guichet/internal/qrcode"
)

// TestPNG: the image is the code's modules at 4 pixels each inside a
// 4-module white quiet zone, black exactly where the code is.
func TestPNG(t *testing.T) {
	const u = "https://guichet.example/avis/faux-sms-frais-de-livraison"
	b, err := qrcode.PNG(u)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	code, err := qr.Encode(u, qr.M)
	if err != nil {
		t.Fatal(err)
	}
	side := (code.Size + 8) * 4
	if r := img.Bounds(); r.Dx() != side || r.Dy() != side {
		t.Fatalf("image %v, want %d×%d", r, side, side)
	}
	black := func(px, py int) bool { r, _, _, _ := img.At(px, py).RGBA(); return r == 0 }
	for py := range side {
		for px := range side {
			x, y := px/4-4, py/4-4
			want := x >= 0 && y >= 0 && x < code.Size && y < code.Size && code.Black(x, y)
			if black(px, py) != want {
				t.Fatalf("pixel (%d, %d): black %v, want %v", px, py, !want, want)
			}
		}
	}
}
