//go:build linux

package probes

import (
	"fmt"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxTokenSize bounds a token file read: service-account JWTs are a few
// kilobytes.
const maxTokenSize = 64 << 10

// TokenAt reads the token file at path inside the root of pid
// (/proc/<pid>/root), resolving every symlink inside that root
// (openat2 RESOLVE_IN_ROOT: a container's link cannot lead the reader out
// of the container's filesystem), and returns only its JWT expiry. The
// file must be a regular file of at most 64 KiB, opened non-blocking (a
// FIFO planted there cannot hang the scan). The bytes read are zeroed
// before return. A missing file gives an error wrapping fs.ErrNotExist.
func (fsys FS) TokenAt(pid int, path string) (Token, error) {
	root := fsys.pidDir(pid) + "root"
	dfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return Token{}, fsys.fileErr(pid, "root", &fs.PathError{Op: "open", Path: root, Err: err})
	}
	defer unix.Close(dfd)
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY,
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	var fd int
	for {
		fd, err = unix.Openat2(dfd, path, &how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return Token{}, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	defer closeFile(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Token{}, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > maxTokenSize {
		return Token{}, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, ErrNotToken)
	}
	b, err := readWiped(fd, path)
	defer clear(b)
	if err != nil {
		return Token{}, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	return parseJWTExpiry(b), nil
}
