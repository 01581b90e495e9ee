package probes

import (
	"errors"
	"slices"
)

// ContainerPIDs is FS.ContainerPIDs for a scan: the first call indexes
// every process of the proc root by pid namespace (one readlink each), and
// every call then reads the cgroup of the processes in the reference's pid
// namespace only. A scan of n containers on a host of m processes costs m
// readlinks instead of n×m cgroup reads. A process started after the index
// was built is not seen by this Session (the next scan sees it).
func (s *Session) ContainerPIDs(pid int) ([]int, error) {
	refNS, err := s.fs.pidNS(pid)
	if err != nil {
		return nil, err
	}
	refCg, err := s.fs.pidCgroups(pid)
	if err != nil {
		return nil, err
	}
	if len(refCg) == 0 {
		return nil, malformed(pid, "cgroup", errors.New("no cgroup line"))
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

// pidNSIndex returns the session's index of processes by pid namespace,
// building it on first use. Processes that vanish or cannot be read are
// left out: a process whose ns/pid even the reader may not see (a
// sandbox's init, say) cannot be told to belong to a container, and the
// reference process's own link was read already.
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
