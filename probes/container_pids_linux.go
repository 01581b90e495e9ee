//go:build linux

package probes

import (
	"errors"
	"slices"
)

// ContainerPIDs lists the processes of the container pid belongs to: those
// in the same pid namespace (/proc/<pid>/ns/pid) and in the same cgroups
// (/proc/<pid>/cgroup) or below them, which includes processes added later
// by `kubectl exec`. pid is included; processes that vanish meanwhile are
// left out. The result is sorted.
func (fs FS) ContainerPIDs(pid int) ([]int, error) {
	refNS, refCg, err := fs.containerOf(pid)
	if err != nil {
		return nil, err
	}
	return fs.filterPIDs(func(q int) (bool, error) {
		if q == pid {
			return true, nil
		}
		cg, err := fs.pidCgroups(q)
		if err != nil || !cgroupsWithin(cg, refCg) {
			return false, err
		}
		ns, err := fs.pidNS(q)
		return err == nil && ns == refNS, err
	}, pid)
}

// ContainerPIDs is FS.ContainerPIDs for a scan: the first call indexes
// every process of the proc root by pid namespace (one readlink each), and
// every call then reads the cgroup of the processes in the reference's pid
// namespace only. A scan of n containers on a host of m processes costs m
// readlinks instead of n×m cgroup reads. A process started after the index
// was built is not seen by this Session (the next scan sees it).
func (s *Session) ContainerPIDs(pid int) ([]int, error) {
	refNS, refCg, err := s.fs.containerOf(pid)
	if err != nil {
		return nil, err
	}
	index, err := s.pidNSIndex()
	if err != nil {
		return nil, err
	}
	out := []int{pid}
	for _, q := range index[refNS] {
		if q == pid {
			continue
		}
		cg, err := s.fs.pidCgroups(q)
		if errors.Is(err, ErrGone) || errors.Is(err, ErrMalformed) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if cgroupsWithin(cg, refCg) {
			out = append(out, q)
		}
	}
	slices.Sort(out)
	return out, nil
}

// containerOf returns what identifies the container of pid: its pid
// namespace (/proc/<pid>/ns/pid) and its cgroups (/proc/<pid>/cgroup, at
// least one line).
func (fs FS) containerOf(pid int) (refNS uint64, refCg []Cgroup, err error) {
	if refNS, err = fs.pidNS(pid); err != nil {
		return 0, nil, err
	}
	if refCg, err = fs.pidCgroups(pid); err != nil {
		return 0, nil, err
	}
	if len(refCg) == 0 {
		return 0, nil, malformed(pid, "cgroup", errors.New("no cgroup line"))
	}
	return refNS, refCg, nil
}

// pidNSIndex returns the session's index of processes by pid namespace
// (/proc/<pid>/ns/pid of every process), building it on first use.
// Processes that vanish or cannot be read are left out: a process whose
// ns/pid even the reader may not see (a sandbox's init, say) cannot be told
// to belong to a container, and the reference process's own link was read
// already.
func (s *Session) pidNSIndex() (map[uint64][]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byPidNS != nil {
		return s.byPidNS, nil
	}
	all, err := s.fs.PIDs()
	if err != nil {
		return nil, err
	}
	index := make(map[uint64][]int)
	for _, q := range all {
		ns, err := s.fs.pidNS(q)
		if err != nil {
			continue
		}
		index[ns] = append(index[ns], q)
	}
	s.byPidNS = index
	return index, nil
}
