//go:build linux

package probes

import (
	"errors"
	"io/fs"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// bufPool holds read buffers: proc files report size 0, so they are read
// into a reused buffer instead of os.ReadFile's fresh one.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// readFile reads a whole proc file into *buf (grown as needed) with raw
// syscalls: os.Open would add an fstat and an *os.File per file, and
// io.ReadAll reads in 512-byte steps. The result aliases *buf and is valid
// until the next call. Errors are *fs.PathError.
func readFile(path string, buf *[]byte) ([]byte, error) {
	fd, err := openFile(path)
	if err != nil {
		return nil, err
	}
	defer closeFile(fd)
	return preadAll(fd, path, buf)
}

// openFile opens path read-only. Errors are *fs.PathError.
func openFile(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

func closeFile(fd int) { _ = syscall.Close(fd) }

// preadAll reads the whole file open as fd from offset 0 into *buf (grown as
// needed): a proc file read again is generated again. The result aliases
// *buf. path names the file in errors (*fs.PathError).
func preadAll(fd int, path string, buf *[]byte) ([]byte, error) {
	b := (*buf)[:cap(*buf)]
	n := 0
	for {
		if n == len(b) {
			b = append(b, make([]byte, len(b))...)
			*buf = b
		}
		m, err := syscall.Pread(fd, b[n:], int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return b[:n], nil
		}
		n += m
	}
}

// readlink reads the target of the link at path into buf. A target that
// fills buf is reported as ENAMETOOLONG. Errors are *fs.PathError.
func readlink(path string, buf []byte) (int, error) {
	for {
		n, err := syscall.Readlink(path, buf)
		if err == syscall.EINTR {
			continue
		}
		if err == nil && n >= len(buf) {
			err = syscall.ENAMETOOLONG
		}
		if err != nil {
			return 0, &fs.PathError{Op: "readlink", Path: path, Err: err}
		}
		return n, nil
	}
}

// statRoot returns the mount ID, device and inode of the directory path
// leads to (/proc/<pid>/root: the process's root). The mount ID is the
// unique 64-bit one from Linux 6.8, the reusable one from 5.8, 0 before.
// Errors are *fs.PathError.
func statRoot(path string) (mntID, dev, ino uint64, err error) {
	var stx unix.Statx_t
	for {
		err = unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_INO|unix.STATX_MNT_ID_UNIQUE, &stx)
		if err != unix.EINTR {
			break
		}
	}
	if errors.Is(err, unix.ENOSYS) { // before Linux 4.11
		var st unix.Stat_t
		if err = unix.Stat(path, &st); err == nil {
			return 0, st.Dev, st.Ino, nil
		}
	}
	if err != nil {
		return 0, 0, 0, &fs.PathError{Op: "statx", Path: path, Err: err}
	}
	if stx.Mask&(unix.STATX_MNT_ID|unix.STATX_MNT_ID_UNIQUE) != 0 {
		mntID = stx.Mnt_id
	}
	return mntID, unix.Mkdev(stx.Dev_major, stx.Dev_minor), stx.Ino, nil
}
