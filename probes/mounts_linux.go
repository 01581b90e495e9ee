//go:build linux

package probes

// Mounts reads only the mount table of pid (/proc/<pid>/mountinfo) and its
// root mount: what a caller needs of a process whose other files it may
// not read, such as the host's init for the host's root filesystem.
func (fs FS) Mounts(pid int) ([]Mount, Mount, error) {
	p := &Process{PID: pid}
	buf := getBuf()
	defer putBuf(buf)
	if err := fs.readMountInfo(p, fs.pidDir(pid), buf); err != nil {
		return nil, Mount{}, err
	}
	return p.Mounts, p.Root, nil
}

// mounts fills p.Mounts and p.Root, from the view s shares for p when s is
// not nil, and returns that view (nil without a session).
func (fs FS) mounts(p *Process, dir string, buf *[]byte, s *Session) (*mountView, error) {
	var key viewKey
	if s != nil {
		var err error
		if key, err = fs.viewKey(p.PID, dir, p.Namespaces); err != nil {
			return nil, err
		}
		if v := s.view(key); v != nil {
			p.Mounts, p.Root = v.mounts, v.root
			return v, nil
		}
	}
	if err := fs.readMountInfo(p, dir, buf); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, nil
	}
	v := s.addView(key, p.Mounts, p.Root)
	p.Mounts, p.Root = v.mounts, v.root
	return v, nil
}

// readMountInfo fills p.Mounts from /proc/<pid>/mountinfo and p.Root with
// the mount at "/" among them.
func (fs FS) readMountInfo(p *Process, dir string, buf *[]byte) error {
	data, err := readFile(dir+"mountinfo", buf)
	if err != nil {
		return fs.fileErr(p.PID, "mountinfo", err)
	}
	if p.Mounts, err = parseMountInfo(data); err != nil {
		return malformed(p.PID, "mountinfo", err)
	}
	p.Root, _ = rootMount(p.Mounts)
	return nil
}

// viewKey identifies the mount view of pid: its mount and user namespaces
// and its root directory (one statx of /proc/<pid>/root).
func (fs FS) viewKey(pid int, dir string, ns Namespaces) (viewKey, error) {
	mntID, dev, ino, err := statRoot(dir + "root")
	if err != nil {
		return viewKey{}, fs.fileErr(pid, "root", err)
	}
	return viewKey{mntNS: ns[NSMnt], userNS: ns[NSUser], rootMountID: mntID, rootDev: dev, rootIno: ino}, nil
}

// view returns the mount view the session holds for key, or nil.
func (s *Session) view(key viewKey) *mountView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.views[key]
}

// addView records the mountinfo just parsed for key and returns the view
// the session now holds for it: the one another goroutine recorded first,
// if any.
func (s *Session) addView(key viewKey, mounts []Mount, root Mount) *mountView {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mountReads++
	if v := s.views[key]; v != nil {
		return v
	}
	v := &mountView{mounts: mounts, root: root}
	s.views[key] = v
	return v
}
