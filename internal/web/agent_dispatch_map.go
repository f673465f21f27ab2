package web

import (
	"fmt"
	"html/template"
	"math"
	"strings"

	"github.com/guichet/guichet/internal/alert"
)

// The map of an alert, drawn here as SVG: no tiles, no third-party
// JavaScript, nothing fetched. It is a local plane around the latest
// position (an equirectangular projection, exact enough over a few
// kilometres): the positions, oldest to latest, joined by a line, each
// with its accuracy circle; the units around, available or not; a scale
// bar; north up. The page lists the same facts as text beside it.

const (
	mapSize   = 360.0 // the SVG's width and height, in its own units
	mapMargin = 24.0
)

// drawMap returns the SVG of positions (oldest first) and the fleet's
// units around the latest; empty when there is no position.
func drawMap(p *page, positions []dispatchPosition, fleet *alert.Fleet) template.HTML {
	if len(positions) == 0 {
		return ""
	}
	last := positions[len(positions)-1]
	lat0, lon0 := last.Lat, last.Lon
	kx := 111.320 * math.Cos(lat0*math.Pi/180) // km per degree of longitude
	const ky = 110.574                         // km per degree of latitude
	// The extent: every position with its circle, and at least 600 m.
	half := 0.6
	for _, pos := range positions {
		dx := math.Abs(pos.Lon-lon0) * kx
		dy := math.Abs(pos.Lat-lat0) * ky
		half = math.Max(half, math.Max(dx, dy)+pos.Accuracy/1000)
	}
	nearest := fleet.Nearest(lat0, lon0, 3)
	for _, u := range nearest {
		half = math.Max(half, math.Max(math.Abs(u.Lon-lon0)*kx, math.Abs(u.Lat-lat0)*ky)*1.1)
	}
	half = math.Min(half, 25)
	units := fleet.Around(lat0, lon0, half*math.Sqrt2)
	scale := (mapSize/2 - mapMargin) / half // px per km
	xy := func(lat, lon float64) (float64, float64) {
		return mapSize/2 + (lon-lon0)*kx*scale, mapSize/2 - (lat-lat0)*ky*scale
	}
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<svg class="dispatch-map" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-labelledby="map-title map-desc" xmlns="http://www.w3.org/2000/svg">`,
		mapSize, mapSize, mapSize, mapSize)
	fmt.Fprintf(&b, `<title id="map-title">%s</title>`, esc(p.cat.T("dispatch.map.title")))
	fmt.Fprintf(&b, `<desc id="map-desc">%s</desc>`, esc(p.cat.T("dispatch.map.desc", len(positions), p.Metres(last.Accuracy), len(units))))
	fmt.Fprintf(&b, `<rect width="%.0f" height="%.0f" fill="#f4f6f8" stroke="#5c6670"/>`, mapSize, mapSize)
	// Accuracy circles, then the track, then the fixes.
	for i, pos := range positions {
		x, y := xy(pos.Lat, pos.Lon)
		r := math.Max(pos.Accuracy/1000*scale, 2)
		op := 0.12
		if i == len(positions)-1 {
			op = 0.25
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#c8102e" fill-opacity="%.2f" stroke="#c8102e" stroke-width="1"/>`, x, y, r, op)
	}
	if len(positions) > 1 {
		var pts []string
		for _, pos := range positions {
			x, y := xy(pos.Lat, pos.Lon)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#8a0b1f" stroke-width="2" stroke-dasharray="4 3"/>`, strings.Join(pts, " "))
	}
	for i, pos := range positions {
		x, y := xy(pos.Lat, pos.Lon)
		r := 3.0
		if i == len(positions)-1 {
			r = 6
		}
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.0f" fill="#8a0b1f" stroke="#fff" stroke-width="1.5"/>`, x, y, r)
	}
	// Units: a square, filled when available, hollow when not, and its ID.
	for _, u := range units {
		x, y := xy(u.Lat, u.Lon)
		if x < 0 || y < 0 || x > mapSize || y > mapSize {
			continue
		}
		fill := "#fff"
		if u.Available {
			fill = "#1f6f3a"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s" stroke="#1f6f3a" stroke-width="2"/>`, x-5, y-5, fill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#1b1b1b">%s</text>`, x+8, y+4, esc(u.ID))
	}
	// North and the scale bar: a round distance near a quarter of the width.
	fmt.Fprintf(&b, `<text x="%.0f" y="18" font-size="12" fill="#1b1b1b" text-anchor="middle">N ↑</text>`, mapSize-18)
	km := niceKM(half / 2)
	w := km * scale
	y := mapSize - 14
	fmt.Fprintf(&b, `<path d="M12 %.1f v6 h%.1f v-6" fill="none" stroke="#1b1b1b" stroke-width="2"/>`, y-6, w)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#1b1b1b">%s</text>`, 16+w, y, esc(p.Metres(km*1000)))
	b.WriteString(`</svg>`)
	// Only numbers and escaped text went in.
	return template.HTML(b.String())
}

// niceKM returns the greatest of 1, 2 and 5 times a power of ten not above km.
func niceKM(km float64) float64 {
	if km <= 0 {
		return 0.1
	}
	p := math.Pow(10, math.Floor(math.Log10(km)))
	for _, m := range []float64{5, 2, 1} {
		if m*p <= km {
			return m * p
		}
	}
	return p
}
