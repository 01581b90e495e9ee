package probes

import (
	"bytes"
	"strconv"
)

// The tokenisers shared by the parsers of /proc/<pid>/stat, status,
// uid_map and gid_map. They work on the bytes read, without copying.

// nextLine returns the first line of data, without its newline, and the
// rest (nil after the last line).
func nextLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return data[:i], data[i+1:]
	}
	return data, nil
}

// nextField returns the next whitespace-separated field of b and the rest.
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], b[j:]
}

// atEnd reports whether no field is left in b.
func atEnd(b []byte) bool {
	f, _ := nextField(b)
	return len(f) == 0
}

func parseUint(b []byte, base, bitSize int) (uint64, error) {
	// string(b) in a call argument that does not escape is not copied.
	return strconv.ParseUint(string(b), base, bitSize)
}

// parseUint32s fills dst with the first len(dst) decimal fields of val and
// returns what follows them.
func parseUint32s(val []byte, dst []uint32) (rest []byte, err error) {
	rest = val
	for i := range dst {
		var f []byte
		f, rest = nextField(rest)
		n, err := parseUint(f, 10, 32)
		if err != nil {
			return nil, err
		}
		dst[i] = uint32(n)
	}
	return rest, nil
}
