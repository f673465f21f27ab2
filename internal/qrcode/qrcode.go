// Package qrcode draws QR codes for printed documents (receipts, posters).
package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"rsc.io/qr"
)

// PNG renders u as a PNG QR code, error correction level M, with the
// 4-module quiet zone the standard asks for, 4 pixels a module. It
// rasterises the modules itself: qr.Code.Image ignores Scale and the quiet
// zone when drawing.
func PNG(u string) ([]byte, error) {
	code, err := qr.Encode(u, qr.M)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	const scale, quiet = 4, 4
	side := (code.Size + 2*quiet) * scale
	// Two colours: image/png writes a 1-bit image. Index 0 is white.
	img := image.NewPaletted(image.Rect(0, 0, side, side), color.Palette{color.Gray{0xFF}, color.Gray{0}})
	for y := range code.Size {
		for x := range code.Size {
			if !code.Black(x, y) {
				continue
			}
			for dy := range scale {
				row := ((quiet+y)*scale + dy) * img.Stride
				for dx := range scale {
					img.Pix[row+(quiet+x)*scale+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	return buf.Bytes(), nil
}
