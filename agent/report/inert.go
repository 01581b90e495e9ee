package report

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Much of what a report shows is chosen by whoever controls a container: a
// process sets its own comm (/proc/self/comm), a pod spec names the
// container, the image, the mount paths. Nothing of it may reach a terminal
// as a control sequence, so every string a human output prints goes
// through Inert, and the JSON writers pass their output through
// inertJSON.

// Inert returns s with everything a terminal could act on, or that could
// make one string pass for another, written visibly as a Go-style escape:
// C0 controls and DEL as \n, \r, \t or \x1b; C1 controls, Unicode format
// characters (bidirectional overrides, zero-width characters) and the
// line and paragraph separators as \u009b, \u202e; each byte of invalid
// UTF-8 as \xff; and the backslash itself as \\, so an escape in the
// output always stands for the character, never for text that looked like
// one. Anything else, printable Unicode included, is kept.
func Inert(s string) string {
	if isInert(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case active(r):
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isInert reports whether Inert would return s unchanged.
func isInert(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' || c >= utf8.RuneSelf {
			return !slowNeedsEscape(s)
		}
	}
	return true
}

func slowNeedsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\\' || r < 0x20 || r == 0x7f || active(r) {
			return true
		}
		i += size
	}
	return false
}

// active are the non-ASCII runes a terminal or a text renderer acts on
// instead of showing: C1 controls (U+0080–U+009F; U+009B is CSI on
// terminals that take 8-bit controls), format characters (Cf: the
// bidirectional overrides and isolates, zero-width spaces and joiners,
// the byte-order mark, tag characters) and the line and paragraph
// separators.
func active(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

// inertJSON rewrites DEL and the active runes (see active) that
// encoding/json leaves raw into \u escapes, so the JSON can be printed to a
// terminal as it is. They can only occur inside JSON strings, where the
// escape means the same character: the document decodes to the same
// values. (encoding/json already escapes C0 controls, U+2028, U+2029 and,
// by default, <, > and &, and replaces invalid UTF-8 with \ufffd.)
func inertJSON(in []byte) []byte {
	clean := true
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRune(in[i:])
		if jsonActive(r) {
			clean = false
			break
		}
		i += size
	}
	if clean {
		return in
	}
	out := bytes.NewBuffer(make([]byte, 0, len(in)+32))
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRune(in[i:])
		switch {
		case !jsonActive(r):
			out.Write(in[i : i+size])
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(out, `\u%04x`, r)
		}
		i += size
	}
	return out.Bytes()
}

func jsonActive(r rune) bool { return r == 0x7f || active(r) }
