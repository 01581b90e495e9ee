//go:build linux

package probes

import (
	"errors"
	"slices"
)

// readStat reads and parses /proc/<pid>/stat from fd, opened on path.
func (fs FS) readStat(pid, fd int, path string, buf *[]byte) (statFields, error) {
	data, err := preadAll(fd, path, buf)
	if err != nil {
		return statFields{}, fs.fileErr(pid, "stat", err)
	}
	st, err := parseStat(data)
	if err != nil {
		return statFields{}, malformed(pid, "stat", err)
	}
	return st, nil
}

// recheckStat is the PID reuse guard of a probe: it reads /proc/<pid>/stat
// again through fd, held open since the probe began (see FS.probe), and
// reports the process gone when it has exited or is not the one that
// started at start.
func (fs FS) recheckStat(pid, fd int, path string, buf *[]byte, start uint64) error {
	st, err := fs.readStat(pid, fd, path, buf)
	if err != nil {
		return err
	}
	if st.start != start {
		return goneError(pid, "start time changed (PID reused)")
	}
	if st.exited() {
		// Links read after the exit may have looked absent.
		return goneError(pid, "exited during the probe")
	}
	return nil
}

// stat reads and parses /proc/<pid>/stat.
func (fs FS) stat(pid int) (statFields, error) {
	buf := getBuf()
	defer putBuf(buf)
	path := fs.pidDir(pid) + "stat"
	fd, err := openFile(path)
	if err != nil {
		return statFields{}, fs.fileErr(pid, "stat", err)
	}
	defer closeFile(fd)
	st, err := fs.readStat(pid, fd, path, buf)
	if err != nil {
		return statFields{}, err
	}
	st.comm = slices.Clone(st.comm) // not aliasing buf
	return st, nil
}

// StillSame reports whether pid is still the process that had startTime
// (Process.StartTime), from /proc/<pid>/stat. A vanished process gives
// false and no error.
func (fs FS) StillSame(pid int, startTime uint64) (bool, error) {
	st, err := fs.stat(pid)
	if errors.Is(err, ErrGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st.start == startTime, nil
}
