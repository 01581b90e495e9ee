//go:build linux

package probes

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxTokenSize bounds a token file read: service-account JWTs are a few
// kilobytes.
const maxTokenSize = 64 << 10

// TokenAt reads the token file at path inside the root of pid
// (/proc/<pid>/root: see ReadFileInRoot) and returns only its JWT expiry.
// The bytes read are zeroed before return. A missing file gives an error
// wrapping fs.ErrNotExist; a file that is not a regular one of at most
// 64 KiB, ErrNotToken.
func (fsys FS) TokenAt(pid int, path string) (Token, error) {
	b, err := fsys.ReadFileInRoot(pid, path, maxTokenSize)
	defer clear(b)
	if errors.Is(err, errNotRegular) {
		return Token{}, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, ErrNotToken)
	}
	if err != nil {
		return Token{}, err
	}
	return parseJWTExpiry(b), nil
}

// errNotRegular: not a regular file within the size limit.
var errNotRegular = errors.New("not a regular file within the size limit")

// ReadFileInRoot reads the file at path inside the root of pid
// (/proc/<pid>/root), resolving every symlink inside that root (openat2
// RESOLVE_IN_ROOT: a container's link cannot lead the reader out of the
// container's filesystem). The file must be a regular file of at most
// limit bytes, opened non-blocking (a FIFO planted there cannot hang the
// scan). The caller must clear the bytes once read: they may be secret.
// A missing file gives an error wrapping fs.ErrNotExist.
func (fsys FS) ReadFileInRoot(pid int, path string, limit int64) ([]byte, error) {
	root := fsys.pidDir(pid) + "root"
	dfd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fsys.fileErr(pid, "root", &fs.PathError{Op: "open", Path: root, Err: err})
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
		return nil, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	defer closeFile(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > limit {
		return nil, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, errNotRegular)
	}
	b, err := readWiped(fd, path)
	if err != nil {
		return nil, fmt.Errorf("probes: pid %d: root%s: %w", pid, path, err)
	}
	return b, nil
}
