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
		line, data = nextLine(data)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v [3]uint32
		rest, err := parseUint32s(line, v[:])
		if err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		if !atEnd(rest) {
			return nil, fmt.Errorf("line %q: more than 3 fields", line)
		}
		if v[2] == 0 {
			return nil, errors.New("mapping of length 0")
		}
		out = append(out, IDMapping{Inside: v[0], Outside: v[1], Length: v[2]})
	}
	return out, nil
}
