package probes

import (
	"bytes"
	"errors"
	"fmt"
)

// The fields of /proc/<pid>/status parseStatus requires (present on every
// kernel rtaudit supports), one bit each.
const (
	haveUID = 1 << iota
	haveGID
	haveGroups
	haveInh
	havePrm
	haveEff
	haveBnd
	statusRequired = haveUID | haveGID | haveGroups | haveInh | havePrm | haveEff | haveBnd
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
	var have int
	for len(data) > 0 {
		var line []byte
		line, data = nextLine(data)
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		key, val := line[:colon], line[colon+1:]
		got, err := parseStatusField(key, val, p)
		if err != nil {
			return fmt.Errorf("field %s: %w", key, err)
		}
		have |= got
	}
	if have&statusRequired != statusRequired {
		return errors.New("missing Uid, Gid, Groups or Cap* field")
	}
	return nil
}

// parseStatusField stores the value val of the status field key in p, and
// returns the bit of key among the required fields (0 for the others).
// Fields rtaudit does not use are skipped.
func parseStatusField(key, val []byte, p *Process) (have int, err error) {
	switch string(key) {
	case "Uid":
		return haveUID, parseIDs(val, &p.UID)
	case "Gid":
		return haveGID, parseIDs(val, &p.GID)
	case "Groups":
		p.Groups, err = parseUint32List(val)
		return haveGroups, err
	case "NSpid":
		p.NSpid, err = parseIntList(val)
	case "CapInh":
		return haveInh, parseCapSet(val, &p.Caps.Inheritable)
	case "CapPrm":
		return havePrm, parseCapSet(val, &p.Caps.Permitted)
	case "CapEff":
		return haveEff, parseCapSet(val, &p.Caps.Effective)
	case "CapBnd":
		return haveBnd, parseCapSet(val, &p.Caps.Bounding)
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
	return 0, err
}

func parseIDs(val []byte, ids *IDs) error {
	rest, err := parseUint32s(val, ids[:])
	if err != nil {
		return err
	}
	if !atEnd(rest) {
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
	if !atEnd(rest) {
		return 0, errors.New("more than one value")
	}
	n, err := parseUint(f, 10, 31)
	return int(n), err
}

func parseCapSet(val []byte, c *CapSet) error {
	f, rest := nextField(val)
	if !atEnd(rest) {
		return errors.New("more than one value")
	}
	if len(f) != 16 {
		return fmt.Errorf("capability mask %q is not 16 hex digits", f)
	}
	n, err := parseUint(f, 16, 64)
	*c = CapSet(n)
	return err
}
