package probes

import (
	"fmt"
	"strconv"
	"strings"
)

// pathWithin reports whether cgroup path p is base or below it.
func pathWithin(p, base string) bool {
	if base == "/" {
		return strings.HasPrefix(p, "/")
	}
	return p == base || (strings.HasPrefix(p, base) && p[len(base)] == '/')
}

// cgroupsWithin reports whether every hierarchy of ref (a container's
// cgroups) has the same hierarchy in cand with a path at or below ref's. On a
// cgroup v1 or hybrid host that compares each controller; on v2 the single
// unified line. ref must not be empty.
func cgroupsWithin(cand, ref []Cgroup) bool {
	if len(ref) == 0 {
		return false
	}
	for _, r := range ref {
		ok := false
		for _, c := range cand {
			if c.HierarchyID == r.HierarchyID && pathWithin(c.Path, r.Path) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// WithinCgroupsOf reports whether p is in every cgroup hierarchy of ref at
// ref's path or below it: a process of the container ref is the init of,
// whatever namespaces it made.
func (p *Process) WithinCgroupsOf(ref *Process) bool { return cgroupsWithin(p.Cgroups, ref.Cgroups) }

// anyCgroupWithin reports whether one of cgs has a path at or below path.
func anyCgroupWithin(cgs []Cgroup, path string) bool {
	for _, c := range cgs {
		if pathWithin(c.Path, path) {
			return true
		}
	}
	return false
}

// parseCgroups parses /proc/<pid>/cgroup: "hierarchy-ID:controllers:path"
// lines, controllers empty on the cgroup v2 line.
//
// Written by hand: procfs.Proc.Cgroups reads through os.Open and io.ReadAll
// and splits every line into fresh strings, about as costly as the kernel
// generating the file; here one string holds the file, every field is a
// substring of it and every controller list shares one backing array.
func parseCgroups(data []byte) ([]Cgroup, error) {
	s := string(data)
	lines := strings.Count(s, "\n") + 1
	out := make([]Cgroup, 0, lines)
	ctrls := make([]string, 0, strings.Count(s, ",")+lines)
	for line := range strings.SplitSeq(s, "\n") {
		if line == "" {
			continue
		}
		id, rest, ok1 := strings.Cut(line, ":")
		ctl, path, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("line %q is not id:controllers:path", line)
		}
		n, err := strconv.ParseUint(id, 10, 31)
		if err != nil {
			return nil, fmt.Errorf("line %q: bad hierarchy ID", line)
		}
		var c []string
		if ctl != "" {
			start := len(ctrls)
			for name := range strings.SplitSeq(ctl, ",") {
				ctrls = append(ctrls, name)
			}
			c = ctrls[start:len(ctrls):len(ctrls)]
		}
		out = append(out, Cgroup{HierarchyID: int(n), Controllers: c, Path: path})
	}
	return out, nil
}
