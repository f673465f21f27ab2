package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/guichet/guichet"
)

// ftyp builds an ISO-BMFF ftyp box.
func ftyp(major string, compat ...string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(16+4*len(compat)))
	b = append(b, "ftyp"...)
	b = append(b, major...)
	b = append(b, 0, 0, 0, 0)
	for _, c := range compat {
		b = append(b, c...)
	}
	return b
}

func withTail(b []byte) []byte {
	// What follows the ftyp box in a HEIF file: a meta box.
	return append(bytes.Clone(b), 0, 0, 0, 0x22, 'm', 'e', 't', 'a', 0, 0, 0, 0)
}

var (
	pdf  = []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
	jpeg = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0x00, 0x01}
	exif = []byte{0xFF, 0xD8, 0xFF, 0xE1, 0x2A, 0x5C, 'E', 'x', 'i', 'f', 0x00, 0x00}
	png  = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 1, 0}
)

func TestSniffAccepts(t *testing.T) {
	for _, tc := range []struct {
		name string
		head []byte
		want string
	}{
		{"pdf", pdf, TypePDF},
		{"pdf 2.0", []byte("%PDF-2.0\n"), TypePDF},
		{"jpeg jfif", jpeg, TypeJPEG},
		{"jpeg exif", exif, TypeJPEG},
		{"jpeg fill byte", []byte{0xFF, 0xD8, 0xFF, 0xFF, 0xE0}, TypeJPEG},
		{"png", png, TypePNG},
		{"heic iphone", withTail(ftyp("heic", "mif1", "heic")), TypeHEIC},
		{"heic samsung", withTail(ftyp("heic", "mif1", "heic", "miaf")), TypeHEIC},
		{"heix", withTail(ftyp("heix", "mif1", "heix")), TypeHEIC},
		{"hevc sequence", withTail(ftyp("hevc", "msf1", "hevc")), TypeHEIC},
		{"mif1 major heic compatible", withTail(ftyp("mif1", "heic")), TypeHEIC},
		{"heif generic", withTail(ftyp("mif1", "mif1", "miaf")), TypeHEIF},
		{"heif sequence", withTail(ftyp("msf1", "msf1")), TypeHEIF},
		{"heic no compatible brands", ftyp("heic"), TypeHEIC},
		{"longer than SniffLen", append(bytes.Clone(pdf), make([]byte, 5000)...), TypePDF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff(tc.head)
			if err != nil || got != tc.want {
				t.Fatalf("Sniff = %q, %v; want %q", got, err, tc.want)
			}
			if got, err := Check(tc.head); err != nil || got != tc.want {
				t.Fatalf("Check = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSniffRefuses(t *testing.T) {
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF"), make([]byte, 100)...)
	for _, tc := range []struct {
		name   string
		head   []byte
		reason string
		detail string
	}{
		{"empty", nil, ReasonEmpty, ""},
		{"pe renamed .pdf", pe, ReasonType, "executable/pe"},
		{"pe with pdf inside", append(bytes.Clone(pe), pdf...), ReasonType, "executable/pe"},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00"), ReasonType, "executable/elf"},
		{"mach-o 64", []byte{0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1}, ReasonType, "executable/macho"},
		{"mach-o fat", []byte{0xCA, 0xFE, 0xBA, 0xBE, 0, 0, 0, 2}, ReasonType, "executable/macho"},
		{"shell script", []byte("#!/bin/sh\nrm -rf /\n"), ReasonType, "script"},
		{"zip", []byte("PK\x03\x04\x14\x00\x06\x00"), ReasonType, "archive/zip"},
		{"docx", append([]byte("PK\x03\x04\x14\x00\x06\x00\x08\x00"), "[Content_Types].xml"...), ReasonType, "archive/zip"},
		{"doc", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, ReasonType, "office/ole"},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script>"), ReasonType, "markup"},
		{"html with bom and space", []byte("\xEF\xBB\xBF\n  <html>"), ReasonType, "markup"},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ReasonType, "markup"},
		{"svg bare", []byte(`<svg onload="alert(1)">`), ReasonType, "markup"},
		{"text", []byte("bonjour"), ReasonType, "unknown"},
		{"gif", []byte("GIF89a\x01\x00"), ReasonType, "unknown"},
		{"pdf not at start", append([]byte("  "), pdf...), ReasonType, "unknown"},
		{"pdf without version", []byte("%PDF-"), ReasonType, "unknown"},
		{"pdf bad version", []byte("%PDF-x.y\n"), ReasonType, "unknown"},
		{"jpeg too short", []byte{0xFF, 0xD8, 0xFF}, ReasonType, "unknown"},
		{"jpeg bad marker", []byte{0xFF, 0xD8, 0xFF, 0x00}, ReasonType, "unknown"},
		{"png signature only", png[:8], ReasonType, "unknown"},
		{"png without IHDR", append(bytes.Clone(png[:8]), 0, 0, 0, 13, 'I', 'D', 'A', 'T'), ReasonType, "unknown"},
		{"mp4", withTail(ftyp("isom", "isom", "iso2", "avc1", "mp41")), ReasonType, "isobmff/other"},
		{"quicktime", withTail(ftyp("qt  ", "qt  ")), ReasonType, "isobmff/other"},
		{"avif", withTail(ftyp("avif", "avif", "mif1", "miaf", "MA1B")), ReasonType, "isobmff/other"},
		{"mif1 major avif compatible", withTail(ftyp("mif1", "avif", "miaf")), ReasonType, "isobmff/other"},
		{"mp4 with mif1 compatible", withTail(ftyp("mp42", "mif1")), ReasonType, "isobmff/other"},
		{"ftyp size zero", func() []byte { b := ftyp("heic", "mif1"); copy(b, []byte{0, 0, 0, 0}); return b }(), ReasonType, "isobmff/other"},
		{"ftyp size one (64-bit)", func() []byte { b := ftyp("heic", "mif1"); copy(b, []byte{0, 0, 0, 1}); return b }(), ReasonType, "isobmff/other"},
		{"ftyp size beyond data", func() []byte { b := ftyp("heic", "mif1"); b[3] = 0xF0; return b }(), ReasonType, "isobmff/other"},
		{"ftyp size huge", func() []byte { b := ftyp("heic", "mif1"); copy(b, []byte{0xFF, 0xFF, 0xFF, 0xFF}); return b }(), ReasonType, "isobmff/other"},
		{"ftyp size misaligned", func() []byte { b := withTail(ftyp("heic", "mif1")); b[3]++; return b }(), ReasonType, "isobmff/other"},
		{"ftyp truncated", ftyp("heic", "mif1")[:14], ReasonType, "isobmff/other"},
		{"heic brand beyond box", append(ftyp("mp42", "isom"), "heic"...), ReasonType, "isobmff/other"},
		{
			"ftyp larger than SniffLen",
			func() []byte {
				brands := make([]string, 200)
				for i := range brands {
					brands[i] = "isom"
				}
				brands[len(brands)-1] = "heic"
				return ftyp("mp42", brands...)
			}(),
			ReasonType, "isobmff/other",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Sniff(tc.head)
			if err == nil {
				t.Fatalf("Sniff accepted it as %q", got)
			}
			if !errors.Is(err, guichet.ErrInvalid) {
				t.Fatalf("err = %v, does not wrap ErrInvalid", err)
			}
			var rej *RejectedError
			if !errors.As(err, &rej) || rej.Reason != tc.reason || rej.Detail != tc.detail {
				t.Fatalf("err = %#v, want reason %q detail %q", err, tc.reason, tc.detail)
			}
		})
	}
}

func TestCheckLimits(t *testing.T) {
	big := append(bytes.Clone(pdf), make([]byte, MaxFileSize)...)
	_, err := Check(big)
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Reason != ReasonSize || !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("Check(too big) = %v", err)
	}
	if _, err := Check(big[:MaxFileSize]); err != nil {
		t.Fatalf("Check(exactly MaxFileSize) = %v", err)
	}
	if err := CheckCount(MaxFiles); err != nil {
		t.Fatalf("CheckCount(MaxFiles) = %v", err)
	}
	err = CheckCount(MaxFiles + 1)
	if !errors.As(err, &rej) || rej.Reason != ReasonCount || !errors.Is(err, guichet.ErrInvalid) {
		t.Fatalf("CheckCount(MaxFiles+1) = %v", err)
	}
}

func TestSniffDoesNotAllocateOnSuccess(t *testing.T) {
	heic := withTail(ftyp("mif1", "miaf", "heic"))
	if n := testing.AllocsPerRun(100, func() {
		for _, b := range [][]byte{pdf, jpeg, png, heic} {
			if _, err := Sniff(b); err != nil {
				panic(err)
			}
		}
	}); n != 0 {
		t.Fatalf("Sniff allocates %v times", n)
	}
}

func FuzzSniff(f *testing.F) {
	for _, seed := range [][]byte{
		pdf, jpeg, exif, png, nil, []byte("MZ"), []byte("\x7fELF"), []byte("<svg>"),
		withTail(ftyp("heic", "mif1", "heic")), withTail(ftyp("mif1", "avif")),
		ftyp("msf1"), ftyp("heic")[:15],
	} {
		f.Add(seed)
	}
	accepted := map[string]bool{TypePDF: true, TypeJPEG: true, TypePNG: true, TypeHEIC: true, TypeHEIF: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Sniff(data)
		// Only the first SniffLen bytes may matter.
		head := data[:min(len(data), SniffLen)]
		got2, err2 := Sniff(head)
		if got != got2 || (err == nil) != (err2 == nil) {
			t.Fatalf("Sniff depends on bytes beyond SniffLen: %q/%v vs %q/%v", got, err, got2, err2)
		}
		if err != nil {
			var rej *RejectedError
			if got != "" || !errors.As(err, &rej) || !errors.Is(err, guichet.ErrInvalid) {
				t.Fatalf("Sniff = %q, %v: want a RejectedError and no type", got, err)
			}
			return
		}
		if !accepted[got] {
			t.Fatalf("Sniff returned unexpected type %q", got)
		}
		// Nothing executable or markup is ever accepted.
		for _, bad := range []string{"MZ", "\x7fELF", "#!", "PK", "<"} {
			if bytes.HasPrefix(data, []byte(bad)) {
				t.Fatalf("accepted %q-prefixed data as %s", bad, got)
			}
		}
	})
}

func BenchmarkSniff(b *testing.B) {
	heic := withTail(ftyp("mif1", "miaf", "MiHE", "MiPr", "miaf", "heic"))
	for b.Loop() {
		Sniff(heic)
	}
}
