package checks

import (
	"path"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/probes"
)

// Readers of a process's mount table (/proc/<pid>/mountinfo).

// mountTable identifies a process's mount table: the processes of one
// container share one (probes.Session), so the same slice.
type mountTable struct {
	first *probes.Mount
	n     int
}

// visibleMountsOf is visibleMounts(ms), computed once per mount table
// during one Evaluate of s: five checks ask it of every process, and
// computing it each time was an eighth of a scan's allocations (make
// bench-scan BENCH_PROFILE=...). The map is shared: callers must not
// modify it.
func (s *Subject) visibleMountsOf(ms []probes.Mount) map[string]probes.Mount {
	if s.visible == nil || len(ms) == 0 {
		return visibleMounts(ms)
	}
	k := mountTable{&ms[0], len(ms)}
	v, ok := s.visible[k]
	if !ok {
		v = visibleMounts(ms)
		s.visible[k] = v
	}
	return v
}

// visibleMounts returns, for each mount point, the mount a process sees
// there. A mount is hidden when another is stacked on it (a mount at the
// same point whose parent it is: mounting over a mount point makes the
// covered mount the parent) or when its parent is hidden. A mount whose
// parent is not in the table (the root of the namespace) is visible. When
// the IDs are unusable (not unique), the last mount listed at a point wins,
// as mountinfo lists mounts in the order they were made.
func visibleMounts(ms []probes.Mount) map[string]probes.Mount {
	out := make(map[string]probes.Mount, len(ms))
	byID := make(map[int]int, len(ms))
	for i, m := range ms {
		if _, dup := byID[m.ID]; dup {
			for _, m := range ms {
				out[m.MountPoint] = m
			}
			return out
		}
		byID[m.ID] = i
	}
	covered := map[int]bool{}
	for _, m := range ms {
		if pi, ok := byID[m.ParentID]; ok && m.ParentID != m.ID && ms[pi].MountPoint == m.MountPoint {
			covered[m.ParentID] = true
		}
	}
	visible := func(i int) bool {
		if covered[ms[i].ID] {
			return false
		}
		for range ms { // at most len(ms) steps up: a cycle is not visible
			m := ms[i]
			pi, ok := byID[m.ParentID]
			if !ok || m.ParentID == m.ID {
				return true
			}
			// The mount m is stacked on is covered by m itself (or by
			// the chain m tops); any other covered parent hides m.
			if ms[pi].MountPoint != m.MountPoint && covered[ms[pi].ID] {
				return false
			}
			i = pi
		}
		return false
	}
	for i, m := range ms {
		if visible(i) {
			out[m.MountPoint] = m
		}
	}
	return out
}

// containingMount is the visible mount a path lies on: the one at the
// longest mount point that is the path or one of its parents.
func containingMount(vis map[string]probes.Mount, p string) (probes.Mount, bool) {
	for p = path.Clean(p); ; p = path.Dir(p) {
		if m, ok := vis[p]; ok {
			return m, true
		}
		if p == "/" || p == "." {
			return probes.Mount{}, false
		}
	}
}

// isMask reports whether a mount is what runc (and crun) put on a masked
// path: a read-only tmpfs over a directory, or /dev/null bound over a file
// (Root "/null" of the container's /dev tmpfs, or of a devtmpfs).
func isMask(m probes.Mount) bool {
	switch m.FSType {
	case "tmpfs":
		return m.ReadOnly || m.Root == "/null"
	case "devtmpfs":
		return m.Root == "/null"
	}
	return false
}

// sameFilesystem reports whether two mounts show the same filesystem:
// mountinfo's device number is not in probes.Mount, so type, source and
// the per-superblock options (the same for every mount of a superblock)
// stand in for it.
func sameFilesystem(a, b probes.Mount) bool {
	return a.FSType == b.FSType && a.Source == b.Source && slices.Equal(a.SuperOptions, b.SuperOptions)
}

// hostPathOf maps a mount of the host's root filesystem back to the host
// path it binds; ok is false when m is on another filesystem or the host
// root is unknown.
func hostPathOf(hostRoot, m probes.Mount) (string, bool) {
	if hostRoot.MountPoint == "" || !sameFilesystem(hostRoot, m) {
		return "", false
	}
	rel, ok := strings.CutPrefix(m.Root, hostRoot.Root)
	if !ok || (rel != "" && hostRoot.Root != "/" && !strings.HasPrefix(rel, "/")) {
		return "", false
	}
	return path.Join("/", rel), true
}

// mountOptionsReadOnly reports whether OCI mount options make it read-only.
func mountOptionsReadOnly(opts []string) bool {
	return slices.Contains(opts, "ro") || slices.Contains(opts, "rro")
}
