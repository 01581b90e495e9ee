//go:build linux

package probes

import (
	"io/fs"
	"syscall"
)

// EnvNames reads /proc/<pid>/environ and returns the names of the
// variables keep accepts (every name when keep is nil), sorted and unique.
// Values are never kept: the file is read into buffers of this call's own,
// each zeroed before it is dropped, and only names become strings.
// Reading another user's environ needs CAP_SYS_PTRACE (a *PermissionError
// names it); a process that exited gives ErrGone. The environment is the
// one the process started with (execve's envp); a process may rewrite that
// memory, so a name absent here proves nothing.
func (fs FS) EnvNames(pid int, keep func(string) bool) ([]string, error) {
	path := fs.pidDir(pid) + "environ"
	fd, err := openFile(path)
	if err != nil {
		return nil, fs.fileErr(pid, "environ", err)
	}
	defer closeFile(fd)
	b, err := readWiped(fd, path)
	defer clear(b)
	if err != nil {
		return nil, fs.fileErr(pid, "environ", err)
	}
	return parseEnvironNames(b, keep), nil
}

// readWiped reads the whole file open as fd like preadAll, but zeroes every
// buffer it outgrows: what it reads is not to linger in memory. The caller
// clears the result.
func readWiped(fd int, path string) ([]byte, error) {
	b := make([]byte, 8192)
	n := 0
	for {
		if n == len(b) {
			nb := make([]byte, 2*len(b))
			copy(nb, b)
			clear(b)
			b = nb
		}
		m, err := syscall.Pread(fd, b[n:], int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			clear(b)
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return b[:n:len(b)], nil
		}
		n += m
	}
}
