package probes

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseMountInfo parses /proc/<pid>/mountinfo (proc(5)):
//
//	36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//
// Written by hand: procfs.Proc.MountInfo builds three maps per mount and
// loses the options' order; converting them was 80% of a probe's
// allocations. Here one string holds the file, every field is a substring of
// it (paths unescaped only when they contain a backslash), options keep the
// kernel's order and all option lists share one backing array, each
// capacity-limited so a caller's append cannot overwrite the next one.
// Optional fields (shared:N, master:N) are skipped.
func parseMountInfo(data []byte) ([]Mount, error) {
	s := string(data)
	lines := strings.Count(s, "\n") + 1
	out := make([]Mount, 0, lines)
	opts := make([]string, 0, strings.Count(s, ",")+2*lines)
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			continue
		}
		var m Mount
		var err error
		if opts, err = parseMountLine(line, &m, opts); err != nil {
			return nil, fmt.Errorf("line %q: %w", line, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// parseMountLine parses one mountinfo line into m, appending its option
// lists to opts.
func parseMountLine(line string, m *Mount, opts []string) ([]string, error) {
	var f [6]string
	rest := line
	for i := range f {
		var ok bool
		if f[i], rest, ok = strings.Cut(rest, " "); !ok || f[i] == "" {
			return opts, errors.New("fewer than 6 fields before the separator")
		}
	}
	// Optional fields, then "-".
	for {
		var tag string
		var ok bool
		if tag, rest, ok = strings.Cut(rest, " "); !ok {
			return opts, errors.New("no \" - \" separator")
		}
		if tag == "-" {
			break
		}
	}
	fsType, rest, ok1 := strings.Cut(rest, " ")
	source, super, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || fsType == "" || super == "" {
		return opts, errors.New("fewer than 3 fields after the separator")
	}
	id, err1 := strconv.Atoi(f[0])
	parent, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || id < 0 || parent < 0 {
		return opts, errors.New("bad mount or parent ID")
	}
	var o, so []string
	opts, o = appendOptions(opts, f[5])
	opts, so = appendOptions(opts, super)
	*m = Mount{
		ID:           id,
		ParentID:     parent,
		Root:         unescapeOctal(f[3]),
		MountPoint:   unescapeOctal(f[4]),
		Options:      o,
		FSType:       fsType,
		Source:       unescapeOctal(source),
		SuperOptions: so,
		ReadOnly:     slices.Contains(o, "ro"),
	}
	return opts, nil
}

// appendOptions appends the comma-separated options of list to buf and
// returns buf and the appended part, capacity-limited.
func appendOptions(buf []string, list string) ([]string, []string) {
	start := len(buf)
	for o := range strings.SplitSeq(list, ",") {
		buf = append(buf, o)
	}
	return buf, buf[start:len(buf):len(buf)]
}

// unescapeOctal undoes the \ooo escapes the kernel writes in mountinfo paths
// (show_path/mangle: space, tab, newline, backslash). Written by hand: procfs
// returns paths as written and no library exports an unescaper. A backslash
// not followed by three octal digits is kept as is.
func unescapeOctal(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			v := (int(s[i+1]-'0')<<6 | int(s[i+2]-'0')<<3 | int(s[i+3]-'0'))
			if v <= 0xff {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// rootMount returns the mount a process sees at "/": among the mounts whose
// mount point is "/", the topmost one (no other "/" mount stacked on it). The
// boolean is false when no mount is at "/".
func rootMount(mounts []Mount) (Mount, bool) {
	found := -1
	for i := range mounts {
		if mounts[i].MountPoint != "/" {
			continue
		}
		covered := false
		for j := range mounts {
			if j != i && mounts[j].MountPoint == "/" && mounts[j].ParentID == mounts[i].ID {
				covered = true
				break
			}
		}
		if !covered {
			found = i
		}
	}
	if found < 0 {
		return Mount{}, false
	}
	return mounts[found], true
}

// HasOption reports whether the per-mount or per-superblock options contain
// opt (an exact "ro" or a "key=value" string).
func (m Mount) HasOption(opt string) bool {
	return slices.Contains(m.Options, opt) || slices.Contains(m.SuperOptions, opt)
}
