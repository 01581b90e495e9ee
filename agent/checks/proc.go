package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/probes"
)

// Readers of a probed process. /proc shows IDs as the reader (the host)
// sees them; the pod spec speaks of IDs inside the container's user
// namespace, so a process's IDs are mapped back through the container's
// uid_map/gid_map (identity when it has none, i.e. hostUsers): its own,
// unless it runs in a user namespace nested below the container's
// (unshare -r, a browser's sandbox), whose root is no root of the
// container.

// overflowID is what the kernel shows for an ID with no mapping.
const overflowID = 65534

// inside maps a host ID into the namespace described by maps.
func inside(id uint32, maps []probes.IDMapping) uint32 {
	if len(maps) == 0 {
		return id
	}
	for _, m := range maps {
		if id >= m.Outside && id-m.Outside < m.Length {
			return m.Inside + (id - m.Outside)
		}
	}
	return overflowID
}

// outside maps an ID inside the namespace described by maps back to the
// host; false when it has no mapping.
func outside(id int64, maps []probes.IDMapping) (int64, bool) {
	if len(maps) == 0 {
		return id, true
	}
	for _, m := range maps {
		if id >= int64(m.Inside) && id-int64(m.Inside) < int64(m.Length) {
			return int64(m.Outside) + id - int64(m.Inside), true
		}
	}
	return 0, false
}

// remapped reports whether maps move any ID: a user namespace of its own,
// not the host's identity map.
func remapped(maps []probes.IDMapping) bool {
	for _, m := range maps {
		if m.Inside != m.Outside {
			return true
		}
	}
	return false
}

// hostNote names the host IDs behind in-namespace IDs for messages,
// joined by sep: " (host 1048576)", or "" when the process's user
// namespace does not remap IDs (then both views agree).
func hostNote(in []int64, maps []probes.IDMapping, sep string) string {
	if !remapped(maps) || len(in) == 0 {
		return ""
	}
	parts := make([]string, len(in))
	for i, id := range in {
		if h, ok := outside(id, maps); ok {
			parts[i] = fmt.Sprint(h)
		} else {
			parts[i] = "unmapped"
		}
	}
	return " (host " + strings.Join(parts, sep) + ")"
}

// idsNote is hostNote for an ids value, one ID when all four agree.
func idsNote(v ids, maps []probes.IDMapping) string {
	if x := v.all(); x >= 0 {
		return hostNote([]int64{x}, maps, " ")
	}
	return hostNote(v[:], maps, " ")
}

// ids are a process's four IDs (real, effective, saved, fs) inside its
// user namespace.
type ids [4]int64

func insideIDs(raw probes.IDs, maps []probes.IDMapping) ids {
	var out ids
	for i, id := range raw {
		out[i] = int64(inside(id, maps))
	}
	return out
}

// all is the single ID a process shows when its four agree, else -1.
func (v ids) all() int64 {
	if v[0] == v[1] && v[1] == v[2] && v[2] == v[3] {
		return v[0]
	}
	return -1
}

// has reports whether any of the four is id.
func (v ids) has(id int64) bool { return slices.Contains(v[:], id) }

func (v ids) String() string {
	if x := v.all(); x >= 0 {
		return fmt.Sprint(x)
	}
	return fmt.Sprintf("%d %d %d %d", v[0], v[1], v[2], v[3])
}

func (s *Subject) procUIDs(p *probes.Process) ids { return insideIDs(p.UID, s.uidMap(p)) }
func (s *Subject) procGIDs(p *probes.Process) ids { return insideIDs(p.GID, s.gidMap(p)) }

// procRoot reports whether the process's effective UID is root in the
// container's user namespace, which decides what its capability sets
// should hold.
func (s *Subject) procRoot(p *probes.Process) bool { return s.procUIDs(p)[probes.Effective] == 0 }

func (s *Subject) procGroups(p *probes.Process) []int64 {
	out := make([]int64, 0, len(p.Groups))
	for _, g := range p.Groups {
		out = append(out, int64(inside(g, s.gidMap(p))))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// procHostNamespace says whether the process shares the host's namespace
// of that kind; unknown when either inode is missing.
func procHostNamespace(s *Subject, p *probes.Process, kind probes.NSKind) opt[bool] {
	if slices.Contains(s.nested(p), kind) {
		p = s.init() // a namespace nested below the container's: the container's decides
	}
	got, ok1 := p.Namespaces[kind]
	host, ok2 := s.Host[kind]
	if !ok1 || !ok2 {
		return opt[bool]{}
	}
	return some(got == host)
}

// procSysWritable finds the /sys mount; unknown when mounts were not read.
func procSysWritable(p *probes.Process) opt[bool] {
	for i := len(p.Mounts) - 1; i >= 0; i-- { // the last mount stacked there wins
		if p.Mounts[i].MountPoint == "/sys" {
			return some(!p.Mounts[i].ReadOnly)
		}
	}
	return opt[bool]{}
}

// init is the container's init process: the one with InitPID, else the
// first process known.
func (s *Subject) init() *probes.Process {
	var first *probes.Process
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if p.PID == s.InitPID {
			return p
		}
		if first == nil {
			first = p
		}
	}
	return first
}

// nested returns the kinds of p's user and pid namespaces that differ from
// the container init's and are not the host's: namespaces a process of the
// container made below the container's own.
func (s *Subject) nested(p *probes.Process) []probes.NSKind {
	init := s.init()
	if init == nil || init == p {
		return nil
	}
	var out []probes.NSKind
	for _, kind := range []probes.NSKind{probes.NSUser, probes.NSPID} {
		got, ok1 := p.Namespaces[kind]
		want, ok2 := init.Namespaces[kind]
		if ok1 && ok2 && got != want && got != s.Host[kind] {
			out = append(out, kind)
		}
	}
	return out
}

// inNestedUserNS reports whether p runs in a user namespace below the
// container's: its capabilities are its own namespace's, none of the
// container's.
func (s *Subject) inNestedUserNS(p *probes.Process) bool {
	return slices.Contains(s.nested(p), probes.NSUser)
}

// uidMap and gidMap are the maps that translate p's host IDs into the
// container's user namespace.
func (s *Subject) uidMap(p *probes.Process) []probes.IDMapping {
	if s.inNestedUserNS(p) {
		return s.init().UIDMap
	}
	return p.UIDMap
}

func (s *Subject) gidMap(p *probes.Process) []probes.IDMapping {
	if s.inNestedUserNS(p) {
		return s.init().GIDMap
	}
	return p.GIDMap
}
