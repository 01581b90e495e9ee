//go:build linux

package probes

import "fmt"

// readStatus fills the credentials, capabilities, no_new_privs and seccomp
// fields of p from /proc/<pid>/status (see parseStatus).
func (fs FS) readStatus(p *Process, dir string, buf *[]byte) error {
	data, err := readFile(dir+"status", buf)
	if err != nil {
		return fs.fileErr(p.PID, "status", err)
	}
	if err := parseStatus(data, p); err != nil {
		return malformed(p.PID, "status", err)
	}
	return nil
}

// Status reads only /proc/<pid>/status of pid: its credentials,
// capabilities, no_new_privs and seccomp mode, in a Process whose other
// fields (but PID) are zero. One file, for a caller that needs no more of
// a process (the bounding set of a container's runtime parent); no guard
// against PID reuse beyond that single read. Errors are as Probe's.
func (fs FS) Status(pid int) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	p := &Process{PID: pid}
	buf := getBuf()
	defer putBuf(buf)
	if err := fs.readStatus(p, fs.pidDir(pid), buf); err != nil {
		return nil, err
	}
	return p, nil
}
