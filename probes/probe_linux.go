//go:build linux

package probes

import "fmt"

// Probe reads the security state of process pid. A process that exits (or
// whose PID is reused) during the probe yields an error wrapping ErrGone,
// never a partial record; a file the caller may not read yields a
// *PermissionError; a file of unexpected shape an error wrapping
// ErrMalformed. Probe reads every file every time; see Session for a scan.
func (fs FS) Probe(pid int) (*Process, error) { return fs.probe(pid, nil) }

// Probe is FS.Probe sharing mountinfo and ID maps with the processes the
// session has already probed (see Session). Process.Mounts and the option
// lists of Process.Root may be shared: do not modify them.
func (s *Session) Probe(pid int) (*Process, error) { return s.fs.probe(pid, s) }

// Host probes PID 1 of the proc root, the reference for host namespaces.
func (fs FS) Host() (*Process, error) { return fs.Probe(1) }

// probe reads pid's record, through the cache of s when s is not nil:
// /proc/<pid>/stat first and last, every other file in between (see
// readProcess).
func (fs FS) probe(pid int, s *Session) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	dir := fs.pidDir(pid)
	buf := getBuf()
	defer putBuf(buf)

	// stat stays open for the whole probe and is read again last. Its inode
	// is bound to this process, not to the PID: once the process is reaped
	// the read fails (ESRCH), and a new process reusing the PID is never read
	// through it. So if the last read succeeds, every file read in between
	// was this process's (for a regular file, as in a fixture tree, the start
	// time comparison remains). Reading a held fd again costs about half of
	// an open, read and close.
	statPath := dir + "stat"
	fd, err := openFile(statPath)
	if err != nil {
		return nil, fs.fileErr(pid, "stat", err)
	}
	defer closeFile(fd)
	st, err := fs.readStat(pid, fd, statPath, buf)
	if err != nil {
		return nil, err
	}
	if st.exited() {
		// A zombie has exited: its ns links and mountinfo are gone.
		return nil, goneError(pid, "exited (zombie)")
	}
	p := &Process{PID: pid, PPID: st.ppid, Comm: string(st.comm), StartTime: st.start}
	if err := fs.readProcess(p, dir, buf, s); err != nil {
		return nil, err
	}
	if err := fs.recheckStat(pid, fd, statPath, buf, st.start); err != nil {
		return nil, err
	}
	return p, nil
}

// readProcess fills p from the files of the process at dir other than
// stat: status, ns/*, mountinfo, cgroup, attr/current, uid_map and gid_map,
// in that order.
func (fs FS) readProcess(p *Process, dir string, buf *[]byte, s *Session) error {
	if err := fs.readStatus(p, dir, buf); err != nil {
		return err
	}
	var err error
	if p.Namespaces, err = fs.readNamespaces(p.PID, dir, nsKinds[:]); err != nil {
		return err
	}
	view, err := fs.mounts(p, dir, buf, s)
	if err != nil {
		return err
	}
	if p.Cgroups, err = fs.readCgroups(p.PID, dir, buf); err != nil {
		return err
	}
	if p.LSMLabel, err = fs.lsmLabel(p.PID, dir, buf, s); err != nil {
		return err
	}
	return fs.idMaps(p, dir, buf, s, view)
}
