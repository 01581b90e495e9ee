//go:build linux

package probes

import (
	"errors"
	"os"
)

// idMaps fills p.UIDMap and p.GIDMap from /proc/<pid>/uid_map and gid_map,
// or from view when it holds them (and records them there when it does
// not).
func (fs FS) idMaps(p *Process, dir string, buf *[]byte, s *Session, view *mountView) error {
	if view != nil {
		s.mu.Lock()
		p.UIDMap, p.GIDMap = view.uidMap, view.gidMap
		s.mu.Unlock()
	}
	var err error
	if p.UIDMap == nil {
		if p.UIDMap, err = fs.idMap(p.PID, dir, "uid_map", buf); err != nil {
			return err
		}
	}
	if p.GIDMap == nil {
		if p.GIDMap, err = fs.idMap(p.PID, dir, "gid_map", buf); err != nil {
			return err
		}
	}
	if view != nil {
		// A written map never changes; an empty one may still be written.
		s.mu.Lock()
		if len(p.UIDMap) > 0 {
			view.uidMap = p.UIDMap
		}
		if len(p.GIDMap) > 0 {
			view.gidMap = p.GIDMap
		}
		s.mu.Unlock()
	}
	return nil
}

// idMap reads /proc/<pid>/uid_map or gid_map (file); absent (no user
// namespaces in the kernel) gives nil. A vanished process is caught by
// Probe's final stat.
func (fs FS) idMap(pid int, dir, file string, buf *[]byte) ([]IDMapping, error) {
	data, err := readFile(dir+file, buf)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fs.fileErr(pid, file, err)
	}
	m, err := parseIDMap(data)
	if err != nil {
		return nil, malformed(pid, file, err)
	}
	return m, nil
}
