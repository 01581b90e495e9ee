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

// ContainerPIDs is FS.ContainerPIDs for a scan: it looks up the processes
// of the reference's pid namespace in the session's Listing (read once per
// session) and reads the cgroup of those only. A scan of n containers on a
// host of m processes costs m readlinks instead of n×m cgroup reads. A
// process started after the listing was made is not seen by this Session
// (the next scan sees it).
func (s *Session) ContainerPIDs(pid int) ([]int, error) {
	refNS, refCg, err := s.fs.containerOf(pid)
	if err != nil {
		return nil, err
	}
	return s.members(pid, refNS, refCg)
}

// ContainerPIDsOf is ContainerPIDs for a process the session has probed:
// its pid namespace and cgroups are taken from p, not read again. p is
// included.
func (s *Session) ContainerPIDsOf(p *Process) ([]int, error) {
	refNS, ok := p.Namespaces[NSPID]
	if !ok {
		return s.ContainerPIDs(p.PID)
	}
	if len(p.Cgroups) == 0 {
		return nil, malformed(p.PID, "cgroup", errors.New("no cgroup line"))
	}
	return s.members(p.PID, refNS, p.Cgroups)
}

// members lists pid and the processes of the listing in pid namespace
// refNS whose cgroups are within refCg, sorted. Each candidate's cgroup is
// read (one file) rather than the candidate probed: a pid namespace may
// hold other containers' processes (shareProcessNamespace, hostPID).
func (s *Session) members(pid int, refNS uint64, refCg []Cgroup) ([]int, error) {
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

// Listing returns every process (thread group leader) of the proc root,
// sorted by PID, with its pid and network namespaces: listed and read once
// per session, on first use, so that one scan sees one list of processes
// (ContainerPIDs and a search for hidden processes alike). Two readlinks
// per process: the other namespaces of a host process decide nothing.
func (s *Session) Listing() ([]Listed, error) {
	s.listMu.Lock()
	defer s.listMu.Unlock()
	if s.listing != nil {
		return s.listing, nil
	}
	pids, err := s.fs.PIDs()
	if err != nil {
		return nil, err
	}
	listing := make([]Listed, len(pids))
	index := make(map[uint64][]int)
	for i, pid := range pids {
		listing[i].PID = pid
		ns, err := s.fs.NamespacesOf(pid, listedKinds...)
		if err != nil {
			continue
		}
		listing[i].Namespaces = ns
		if pidNS, ok := ns[NSPID]; ok {
			index[pidNS] = append(index[pidNS], pid)
		}
	}
	s.listing, s.byPidNS = listing, index
	return listing, nil
}

// pidNSIndex returns the session's index of the Listing by pid namespace.
// Processes that vanish or cannot be read are left out: a process whose
// ns/pid even the reader may not see (a sandbox's init, say) cannot be told
// to belong to a container, and the reference process's own link was read
// already.
func (s *Session) pidNSIndex() (map[uint64][]int, error) {
	if _, err := s.Listing(); err != nil {
		return nil, err
	}
	s.listMu.Lock()
	defer s.listMu.Unlock()
	return s.byPidNS, nil
}
