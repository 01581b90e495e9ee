package probes

import (
	"bytes"
	"errors"
	"fmt"
)

// statFields holds the fields of /proc/<pid>/stat a probe uses. Comm aliases
// the data parsed.
type statFields struct {
	comm  []byte // field 2, without the parentheses
	state byte   // field 3: R, S, D, Z, X, ...
	ppid  int    // field 4
	start uint64 // field 22, clock ticks since boot
}

// exited reports whether the process is a zombie or dead: it has exited,
// and its ns links and mountinfo are gone.
func (s statFields) exited() bool { return s.state == 'Z' || s.state == 'X' }

// parseStat extracts fields 2, 3, 4 and 22 of /proc/<pid>/stat.
//
// Written by hand: procfs.Proc.Stat scans all 52 fields with fmt.Fscan (about
// 2 µs and 30 allocations) and a probe reads stat twice, first and last, to
// guard against PID reuse. Comm may contain spaces and parentheses, so it
// runs from the first "(" to the last ")".
func parseStat(data []byte) (statFields, error) {
	var s statFields
	data = bytes.TrimRight(data, "\n")
	open := bytes.IndexByte(data, '(')
	closing := bytes.LastIndexByte(data, ')')
	if open < 0 || closing < open {
		return s, errors.New("no (comm)")
	}
	s.comm = data[open+1 : closing]
	rest := data[closing+1:]
	for i := 3; i <= 22; i++ {
		var f []byte
		f, rest = nextField(rest)
		if len(f) == 0 {
			return s, fmt.Errorf("%d fields, want at least 22", i-1)
		}
		switch i {
		case 3:
			if len(f) != 1 {
				return s, fmt.Errorf("state %q is not one letter", f)
			}
			s.state = f[0]
		case 4:
			n, err := parseUint(f, 10, 31)
			if err != nil {
				return s, fmt.Errorf("ppid: %w", err)
			}
			s.ppid = int(n)
		case 22:
			n, err := parseUint(f, 10, 64)
			if err != nil {
				return s, fmt.Errorf("start time: %w", err)
			}
			s.start = n
		}
	}
	return s, nil
}
