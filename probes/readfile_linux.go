//go:build linux

package probes

import (
	"io/fs"
	"sync"
	"syscall"
)

// bufPool holds read buffers: proc files report size 0, so they are read
// into a reused buffer instead of os.ReadFile's fresh one.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// readFile reads a whole proc file into *buf (grown as needed) with raw
// syscalls: os.Open would add an fstat and an *os.File per file. The result
// aliases *buf and is valid until the next call. Errors are *fs.PathError.
func readFile(path string, buf *[]byte) ([]byte, error) {
	fd, err := openRetry(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	b := (*buf)[:cap(*buf)]
	n := 0
	for {
		if n == len(b) {
			b = append(b, make([]byte, len(b))...)
			*buf = b
		}
		m, err := syscall.Read(fd, b[n:])
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

func openRetry(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
