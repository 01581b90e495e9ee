//go:build linux

package probes

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
