package probes

import (
	"bytes"
	"slices"
)

// parseEnvironNames returns the names in an environ block (NAME=value
// entries separated by NUL, as /proc/<pid>/environ holds them) that keep
// accepts, sorted and unique. No value is copied: only the bytes before the
// first '=' of an entry become a string, and only when kept.
func parseEnvironNames(b []byte, keep func(string) bool) []string {
	var out []string
	for len(b) > 0 {
		entry := b
		if i := bytes.IndexByte(b, 0); i >= 0 {
			entry, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		name, _, ok := bytes.Cut(entry, []byte{'='})
		if !ok || len(name) == 0 {
			continue
		}
		if n := string(name); keep == nil || keep(n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
