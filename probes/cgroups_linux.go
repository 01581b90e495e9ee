//go:build linux

package probes

import "fmt"

// readCgroups reads /proc/<pid>/cgroup of the process at dir.
func (fs FS) readCgroups(pid int, dir string, buf *[]byte) ([]Cgroup, error) {
	data, err := readFile(dir+"cgroup", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "cgroup", err)
	}
	cg, err := parseCgroups(data)
	if err != nil {
		return nil, malformed(pid, "cgroup", err)
	}
	return cg, nil
}

// pidCgroups reads /proc/<pid>/cgroup outside a probe.
func (fs FS) pidCgroups(pid int) ([]Cgroup, error) {
	buf := getBuf()
	defer putBuf(buf)
	return fs.readCgroups(pid, fs.pidDir(pid), buf)
}

// Cgroups reads only /proc/<pid>/cgroup of pid. Errors are as Probe's.
func (fs FS) Cgroups(pid int) ([]Cgroup, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	return fs.pidCgroups(pid)
}
