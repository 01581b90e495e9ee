//go:build linux

package probes

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// PIDs lists the processes (thread group leaders) of the proc root, sorted:
// the numeric entries of /proc.
func (fs FS) PIDs() ([]int, error) {
	procs, err := fs.proc.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("probes: list %s: %w", fs.root, err)
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.PID
	}
	slices.Sort(pids)
	return pids, nil
}

// PIDsInCgroup lists the processes with a cgroup (any hierarchy) at or below
// path, as /proc/<pid>/cgroup shows it to the reader, e.g.
// "/kubepods/besteffort/pod<uid>/<container id>". Sorted.
func (fs FS) PIDsInCgroup(path string) ([]int, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("probes: cgroup path %q is not absolute", path)
	}
	path = filepath.Clean(path)
	return fs.filterPIDs(func(q int) (bool, error) {
		cg, err := fs.pidCgroups(q)
		return err == nil && anyCgroupWithin(cg, path), err
	}, 0)
}

// filterPIDs returns the PIDs keep accepts, skipping those that vanish or
// whose files are malformed (except ref, whose disappearance is reported).
// A permission error stops the walk: membership could not be decided.
func (fs FS) filterPIDs(keep func(pid int) (bool, error), ref int) ([]int, error) {
	all, err := fs.PIDs()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, q := range all {
		ok, err := keep(q)
		if (errors.Is(err, ErrGone) || errors.Is(err, ErrMalformed)) && q != ref {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, q)
		}
	}
	if ref > 0 && !slices.Contains(out, ref) {
		return nil, goneError(ref, "")
	}
	return out, nil
}
