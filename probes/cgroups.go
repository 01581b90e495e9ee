package probes

import "strings"

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

// anyCgroupWithin reports whether one of cgs has a path at or below path.
func anyCgroupWithin(cgs []Cgroup, path string) bool {
	for _, c := range cgs {
		if pathWithin(c.Path, path) {
			return true
		}
	}
	return false
}
