//go:build linux

package probes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/prometheus/procfs"
)

// NewFS returns an FS rooted at procRoot ("" means /proc). It fails when
// procRoot is not a directory.
func NewFS(procRoot string) (FS, error) {
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	root := filepath.Clean(procRoot)
	pfs, err := procfs.NewFS(root)
	if err != nil {
		return FS{}, fmt.Errorf("probes: proc root %s: %w", procRoot, err)
	}
	return FS{root: root, proc: pfs}, nil
}

// pidDir returns "<root>/<pid>/".
func (fs FS) pidDir(pid int) string {
	return fs.root + "/" + strconv.Itoa(pid) + "/"
}

// fileErr turns an error met reading file of pid into the package's typed
// errors. I/O errors carry an *os.PathError; anything else came from a
// parser.
func (fs FS) fileErr(pid int, file string, err error) error {
	var pe *os.PathError
	isPath := errors.As(err, &pe)
	if isPath {
		if rel, ok := strings.CutPrefix(pe.Path, fs.pidDir(pid)); ok {
			file = rel
		}
	}
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return goneError(pid, file)
	case errors.Is(err, os.ErrPermission):
		return &PermissionError{PID: pid, File: file, Capability: neededCapability(file), Err: err}
	case !isPath && !errors.Is(err, procfs.ErrFileRead):
		return malformed(pid, file, err)
	}
	return fmt.Errorf("probes: pid %d: %s: %w", pid, file, err)
}
