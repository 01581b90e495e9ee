package probes

import (
	"slices"
	"strings"

	"github.com/prometheus/procfs"
)

// mountsFromProcfs converts procfs mountinfo entries. procfs keeps options
// as maps, so their order is lost: Options and SuperOptions come back sorted.
// All option slices share one backing array (one allocation, not two per
// mount). Paths are unescaped (the kernel writes space, tab, newline and
// backslash as \ooo octal escapes).
func mountsFromProcfs(mis []*procfs.MountInfo) []Mount {
	n := 0
	for _, m := range mis {
		n += len(m.Options) + len(m.SuperOptions)
	}
	opts := make([]string, 0, n)
	out := make([]Mount, len(mis))
	for i, m := range mis {
		var o, so []string
		opts, o = appendOptions(opts, m.Options)
		opts, so = appendOptions(opts, m.SuperOptions)
		_, ro := m.Options["ro"]
		out[i] = Mount{
			ID:           m.MountID,
			ParentID:     m.ParentID,
			Root:         unescapeOctal(m.Root),
			MountPoint:   unescapeOctal(m.MountPoint),
			Options:      o,
			FSType:       m.FSType,
			Source:       unescapeOctal(m.Source),
			SuperOptions: so,
			ReadOnly:     ro,
		}
	}
	return out
}

// appendOptions appends opts as sorted "key" or "key=value" strings to buf
// and returns buf and the appended part (capacity-limited, so a caller's
// append cannot overwrite the next mount's options); nil when opts is empty.
func appendOptions(buf []string, opts map[string]string) ([]string, []string) {
	if len(opts) == 0 {
		return buf, nil
	}
	start := len(buf)
	for k, v := range opts {
		if v != "" {
			k += "=" + v
		}
		buf = append(buf, k)
	}
	part := buf[start:len(buf):len(buf)]
	slices.Sort(part)
	return buf, part
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
