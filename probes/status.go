package probes

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// parseStatus fills the credential, capability and seccomp fields of p from
// the content of /proc/<pid>/status.
//
// Written by hand because procfs.ProcStatus has no Groups, NoNewPrivs,
// Seccomp or Seccomp_filters; reading the file a second time for those would
// cost a second read and could mix two states of a process that changes
// credentials in between (a setuid exec). One read, one parse.
//
// Required fields (present on every kernel rtaudit supports): Uid, Gid,
// Groups, CapInh, CapPrm, CapEff, CapBnd. The others (NSpid 4.1, CapAmb 4.3,
// NoNewPrivs 4.10, Seccomp_filters 5.9) are left zero when absent.
func parseStatus(data []byte, p *Process) error {
	const (
		haveUID = 1 << iota
		haveGID
		haveGroups
		haveInh
		havePrm
		haveEff
		haveBnd
		required = haveUID | haveGID | haveGroups | haveInh | havePrm | haveEff | haveBnd
	)
	var have int
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		key, val := line[:colon], line[colon+1:]
		var err error
		switch string(key) {
		case "Uid":
			err = parseIDs(val, &p.UID)
			have |= haveUID
		case "Gid":
			err = parseIDs(val, &p.GID)
			have |= haveGID
		case "Groups":
			p.Groups, err = parseUint32List(val)
			have |= haveGroups
		case "NSpid":
			p.NSpid, err = parseIntList(val)
		case "CapInh":
			err = parseCapSet(val, &p.Caps.Inheritable)
			have |= haveInh
		case "CapPrm":
			err = parseCapSet(val, &p.Caps.Permitted)
			have |= havePrm
		case "CapEff":
			err = parseCapSet(val, &p.Caps.Effective)
			have |= haveEff
		case "CapBnd":
			err = parseCapSet(val, &p.Caps.Bounding)
			have |= haveBnd
		case "CapAmb":
			err = parseCapSet(val, &p.Caps.Ambient)
		case "NoNewPrivs":
			var n int
			n, err = parseSmallInt(val)
			p.NoNewPrivs = n != 0
		case "Seccomp":
			var n int
			n, err = parseSmallInt(val)
			p.Seccomp = SeccompMode(n)
		case "Seccomp_filters":
			p.SeccompFilters, err = parseSmallInt(val)
		}
		if err != nil {
			return fmt.Errorf("field %s: %w", key, err)
		}
	}
	if have&required != required {
		return errors.New("missing Uid, Gid, Groups or Cap* field")
	}
	return nil
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

func parseUint(b []byte, base, bitSize int) (uint64, error) {
	// string(b) in a call argument that does not escape is not copied.
	return strconv.ParseUint(string(b), base, bitSize)
}

func parseIDs(val []byte, ids *IDs) error {
	rest := val
	for i := range ids {
		var f []byte
		f, rest = nextField(rest)
		n, err := parseUint(f, 10, 32)
		if err != nil {
			return err
		}
		ids[i] = uint32(n)
	}
	if f, _ := nextField(rest); len(f) != 0 {
		return errors.New("more than 4 IDs")
	}
	return nil
}

func parseUint32List(val []byte) ([]uint32, error) { return parseList[uint32](val, 32) }

func parseIntList(val []byte) ([]int, error) { return parseList[int](val, 31) }

// parseList parses space-separated decimal numbers of at most bits bits.
func parseList[T uint32 | int](val []byte, bits int) ([]T, error) {
	var out []T
	for f, rest := nextField(val); len(f) > 0; f, rest = nextField(rest) {
		n, err := parseUint(f, 10, bits)
		if err != nil {
			return nil, err
		}
		out = append(out, T(n))
	}
	return out, nil
}

func parseSmallInt(val []byte) (int, error) {
	f, rest := nextField(val)
	if g, _ := nextField(rest); len(g) != 0 {
		return 0, errors.New("more than one value")
	}
	n, err := parseUint(f, 10, 31)
	return int(n), err
}

func parseCapSet(val []byte, c *CapSet) error {
	f, rest := nextField(val)
	if g, _ := nextField(rest); len(g) != 0 {
		return errors.New("more than one value")
	}
	if len(f) != 16 {
		return fmt.Errorf("capability mask %q is not 16 hex digits", f)
	}
	n, err := parseUint(f, 16, 64)
	*c = CapSet(n)
	return err
}
