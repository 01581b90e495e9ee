//go:build linux

package probes

import (
	"errors"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listeners reads the listening sockets of the network namespace pid is in:
// /proc/<pid>/net/tcp, tcp6, udp and udp6. A table the kernel lacks (no
// IPv6) is skipped. ErrGone when the process exited.
//
// The TCP tables of the reader's own network namespace are asked of the
// kernel's socket diagnostics instead (sockets_diag_linux.go: the files
// cost milliseconds whatever the number of sockets).
func (fs FS) Listeners(pid int) ([]Listener, error) {
	buf := getBuf()
	defer putBuf(buf)
	var out []Listener
	diag := fs.sameNetNS(pid)
	for _, t := range []struct {
		file, proto string
		v6          bool
	}{{"net/tcp", "tcp", false}, {"net/tcp6", "tcp", true}, {"net/udp", "udp", false}, {"net/udp6", "udp", true}} {
		if diag && t.proto == "tcp" {
			family := uint8(unix.AF_INET)
			if t.v6 {
				family = unix.AF_INET6
			}
			if ls, err := tcpListenersDiag(family); err == nil {
				out = append(out, ls...)
				continue
			}
		}
		b, absent, err := fs.readNetTable(pid, t.file, t.v6, buf)
		if err != nil {
			return nil, err
		}
		if absent {
			continue // no IPv6 in this kernel
		}
		ls, err := parseNetSockets(b, t.proto, t.v6)
		if err != nil {
			return nil, malformed(pid, t.file, err)
		}
		out = append(out, ls...)
	}
	return out, nil
}

// readNetTable reads /proc/<pid>/<file>, one of the net/ tables, into buf.
// An IPv6 table the kernel lacks (no IPv6) is absent, with no error, while
// the process is still there; ErrGone when it exited.
func (fs FS) readNetTable(pid int, file string, v6 bool, buf *[]byte) (b []byte, absent bool, err error) {
	b, err = readFile(fs.pidDir(pid)+file, buf)
	if err == nil {
		return b, false, nil
	}
	if errors.Is(err, os.ErrNotExist) && v6 {
		if _, serr := os.Stat(fs.pidDir(pid)); serr == nil {
			return nil, true, nil
		}
	}
	return nil, false, fs.fileErr(pid, file, err)
}

// SocketInodes returns the inodes of the sockets pid holds open
// (/proc/<pid>/fd/* links "socket:[inode]"). Reading another user's fd
// links needs CAP_SYS_PTRACE; a descriptor closed meanwhile is skipped.
func (fs FS) SocketInodes(pid int) (map[uint64]bool, error) {
	dir := fs.pidDir(pid) + "fd"
	f, err := os.Open(dir)
	if err != nil {
		return nil, fs.fdErr(pid, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fs.fdErr(pid, err)
	}
	out := map[uint64]bool{}
	link := make([]byte, 128)
	for _, n := range names {
		if _, err := strconv.Atoi(n); err != nil {
			continue
		}
		k, err := readlink(dir+"/"+n, link)
		if err != nil {
			continue // closed meanwhile
		}
		if ino, ok := socketInode(string(link[:k])); ok {
			out[ino] = true
		}
	}
	return out, nil
}

func (fs FS) fdErr(pid int, err error) error {
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		return &PermissionError{PID: pid, File: "fd", Capability: "CAP_SYS_PTRACE", Err: err}
	}
	return fs.fileErr(pid, "fd", err)
}
