package reports

import (
	"strings"
	"unicode/utf8"
)

// MaxText is the most bytes a message or property value keeps: strings a
// container controls (process names, paths) can be arbitrarily long.
const MaxText = 1024

const truncated = "…(truncated)"

// capText makes s safe to store as data: valid UTF-8 (the JSON round trip
// through the API server would otherwise rewrite invalid bytes, and the
// object would never compare equal again) and at most MaxText bytes, cut
// on a rune boundary and marked. Everything else (quotes, newlines, control
// characters) stays as is: it is a JSON string value, escaped on the wire.
func capText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= MaxText {
		return s
	}
	cut := MaxText - len(truncated)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + truncated
}
