package probes

import (
	"bytes"
	"errors"
	"fmt"
)

// parseIDMap parses /proc/<pid>/uid_map or gid_map: lines of three numbers
// (first ID inside, first ID outside, length). An empty file (a new user
// namespace whose map is not written yet) gives nil.
//
// Written by hand: neither procfs nor moby/sys/user reads another process's
// map under a chosen proc root.
func parseIDMap(data []byte) ([]IDMapping, error) {
	var out []IDMapping
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v [3]uint32
		rest := line
		for i := range v {
			var f []byte
			f, rest = nextField(rest)
			n, err := parseUint(f, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", line, err)
			}
			v[i] = uint32(n)
		}
		if f, _ := nextField(rest); len(f) != 0 {
			return nil, fmt.Errorf("line %q: more than 3 fields", line)
		}
		if v[2] == 0 {
			return nil, errors.New("mapping of length 0")
		}
		out = append(out, IDMapping{Inside: v[0], Outside: v[1], Length: v[2]})
	}
	return out, nil
}

// parseLSMLabel turns the content of /proc/<pid>/attr/current into a label:
// the kernel ends it with a newline (AppArmor) or a NUL (SELinux).
func parseLSMLabel(data []byte) string {
	return string(bytes.TrimRight(data, "\n\x00"))
}
