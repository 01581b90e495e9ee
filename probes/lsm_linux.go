//go:build linux

package probes

import (
	"errors"
	"os"
	"syscall"
)

// lsmLabel reads /proc/<pid>/attr/current: EINVAL when no LSM is active (a
// session remembers it: it holds for every process of the kernel), absent
// without CONFIG_SECURITY. Both give "".
func (fs FS) lsmLabel(pid int, dir string, buf *[]byte, s *Session) (string, error) {
	if s.knowsNoLSM() {
		return "", nil
	}
	data, err := readFile(dir+"attr/current", buf)
	switch {
	case err == nil:
		return parseLSMLabel(data), nil
	case errors.Is(err, syscall.EINVAL):
		s.setNoLSM()
		return "", nil
	case errors.Is(err, os.ErrNotExist):
		return "", nil
	}
	return "", fs.fileErr(pid, "attr/current", err)
}

// knowsNoLSM reports whether the session (if any) has seen that no LSM
// reports labels.
func (s *Session) knowsNoLSM() bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.noLSM
}

// setNoLSM records in the session (if any) that no LSM reports labels.
func (s *Session) setNoLSM() {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.noLSM = true
	s.mu.Unlock()
}
