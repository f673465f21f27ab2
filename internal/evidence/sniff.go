// Package evidence decides which uploaded files a citizen may attach to a
// case and keeps them in a blob store.
//
// The type of a file is decided from its content only (Sniff), never from
// its name or the Content-Type the browser sent. Only PDF, JPEG, PNG and
// HEIC/HEIF are accepted; everything else is refused with a stable reason
// code. Blobs are stored as given: callers encrypt them first (see
// internal/vault), so the store never holds plaintext.
package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/guichet/guichet"
)

// Limits on what one case may carry.
const (
	// MaxFileSize is the largest file accepted, in bytes (10 MiB).
	MaxFileSize = 10 << 20
	// MaxFiles is the most files one case may carry.
	MaxFiles = 5
	// SniffLen is how many leading bytes Sniff needs; it never looks further.
	SniffLen = 512
)

// Accepted content types, as Sniff returns them.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeHEIC = "image/heic" // HEIF holding HEVC-coded images
	TypeHEIF = "image/heif" // generic HEIF (brand mif1/msf1)
)

// Reason codes of RejectedError. They are stable: forms use them as
// translation keys, tests and logs as identifiers.
const (
	ReasonType  = "evidence.type"  // content is not an accepted type
	ReasonEmpty = "evidence.empty" // no content at all
	ReasonSize  = "evidence.size"  // larger than MaxFileSize
	ReasonCount = "evidence.count" // more than MaxFiles on one case
)

// RejectedError says why a file was refused. It wraps guichet.ErrInvalid.
// Detail names what was recognised ("executable/pe", "archive/zip", …) for
// logs; it never contains the file's bytes or name.
type RejectedError struct {
	Reason string
	Detail string
}

func (e *RejectedError) Error() string {
	if e.Detail == "" {
		return "evidence refused: " + e.Reason
	}
	return "evidence refused: " + e.Reason + " (" + e.Detail + ")"
}

// Unwrap makes errors.Is(err, guichet.ErrInvalid) true.
func (e *RejectedError) Unwrap() error { return guichet.ErrInvalid }

func reject(reason, detail string) error { return &RejectedError{Reason: reason, Detail: detail} }

// Check applies every per-file rule to a whole upload: not empty, at most
// MaxFileSize bytes, and an accepted type. It returns the sniffed content
// type, or a *RejectedError.
func Check(data []byte) (contentType string, err error) {
	if len(data) > MaxFileSize {
		return "", reject(ReasonSize, fmt.Sprintf("%d bytes", len(data)))
	}
	return Sniff(data)
}

// CheckCount refuses a case's n-th file beyond MaxFiles: n is the number of
// files the case would hold with the new one.
func CheckCount(n int) error {
	if n > MaxFiles {
		return reject(ReasonCount, fmt.Sprintf("%d files", n))
	}
	return nil
}

// Sniff returns the content type of a file from its first bytes (head; only
// the first SniffLen bytes are examined, and the whole file may be passed).
// It accepts:
//
//   - PDF: "%PDF-" then a version "d.d", at offset 0;
//   - JPEG: FF D8 FF then a marker byte;
//   - PNG: the 8-byte signature then an IHDR chunk header;
//   - HEIC/HEIF: an ISO-BMFF file whose first box is a well-formed "ftyp"
//     box, entirely within SniffLen bytes, naming an HEVC image brand
//     (heic, heix, hevc, hevx, heim, heis) as major or compatible brand →
//     TypeHEIC; or with major brand mif1 or msf1 and no AV1 brand (avif,
//     avis) → TypeHEIF. An MP4 or AVIF file that merely lists mif1 among its
//     compatible brands is refused.
//
// Everything else — executables, scripts, archives and office documents,
// HTML, SVG, XML, text — yields a *RejectedError with ReasonType (or
// ReasonEmpty for no bytes). Sniff never panics and allocates nothing on
// success.
func Sniff(head []byte) (contentType string, err error) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if len(head) == 0 {
		return "", reject(ReasonEmpty, "")
	}
	switch {
	case isPDF(head):
		return TypePDF, nil
	case isJPEG(head):
		return TypeJPEG, nil
	case isPNG(head):
		return TypePNG, nil
	}
	if t, ok := heifType(head); ok {
		return t, nil
	}
	return "", reject(ReasonType, identify(head))
}

func isPDF(b []byte) bool {
	return len(b) >= 8 && bytes.HasPrefix(b, []byte("%PDF-")) &&
		isDigit(b[5]) && b[6] == '.' && isDigit(b[7])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isJPEG(b []byte) bool {
	// SOI, then a marker: FF followed by a marker code (C0–FE) or more FF fill.
	return len(b) >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF && b[3] >= 0xC0
}

var pngSig = []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}

func isPNG(b []byte) bool {
	// Signature, then the IHDR chunk, which is always first and 13 bytes long.
	return len(b) >= 16 && bytes.HasPrefix(b, pngSig) &&
		binary.BigEndian.Uint32(b[8:12]) == 13 && string(b[12:16]) == "IHDR"
}

// heifType parses the leading ftyp box: size (4) ‖ "ftyp" ‖ major brand (4) ‖
// minor version (4) ‖ compatible brands (4 each).
func heifType(b []byte) (string, bool) {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return "", false
	}
	size := binary.BigEndian.Uint32(b[0:4])
	// size 0 ("to end of file") and 1 (64-bit size) are legal for boxes in
	// general but never used for ftyp; refusing them bounds the parsing.
	if size < 16 || size > uint32(len(b)) || (size-16)%4 != 0 {
		return "", false
	}
	major := string(b[8:12])
	compat := b[16:size]
	hevc, av1 := isHEVCBrand(major), isAV1Brand(major)
	for i := 0; i+4 <= len(compat); i += 4 {
		brand := string(compat[i : i+4])
		hevc = hevc || isHEVCBrand(brand)
		av1 = av1 || isAV1Brand(brand)
	}
	switch {
	case hevc:
		return TypeHEIC, true
	case (major == "mif1" || major == "msf1") && !av1:
		return TypeHEIF, true
	}
	return "", false
}

func isHEVCBrand(b string) bool {
	switch b {
	case "heic", "heix", "hevc", "hevx", "heim", "heis":
		return true
	}
	return false
}

func isAV1Brand(b string) bool { return b == "avif" || b == "avis" }

// identify names what a refused file looks like, for logs.
func identify(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("MZ")):
		return "executable/pe"
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "executable/elf"
	case len(b) >= 4 && isMachO(binary.BigEndian.Uint32(b)):
		return "executable/macho"
	case bytes.HasPrefix(b, []byte("#!")):
		return "script"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")), bytes.HasPrefix(b, []byte("PK\x05\x06")):
		return "archive/zip"
	case bytes.HasPrefix(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return "office/ole"
	case len(b) >= 8 && string(b[4:8]) == "ftyp":
		return "isobmff/other"
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")), " \t\r\n\f")
	if len(t) > 0 && t[0] == '<' {
		return "markup"
	}
	return "unknown"
}

func isMachO(m uint32) bool {
	switch m {
	case 0xFEEDFACE, 0xFEEDFACF, 0xCEFAEDFE, 0xCFFAEDFE, 0xCAFEBABE:
		return true
	}
	return false
}
