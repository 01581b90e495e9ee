//go:build linux

package probes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// Probe reads the security state of process pid. A process that exits (or
// whose PID is reused) during the probe yields an error wrapping ErrGone,
// never a partial record; a file the caller may not read yields a
// *PermissionError; a file of unexpected shape an error wrapping
// ErrMalformed. Probe reads every file every time; see Session for a scan.
func (fs FS) Probe(pid int) (*Process, error) { return fs.probe(pid, nil) }

// Probe is FS.Probe sharing mountinfo and ID maps with the processes the
// session has already probed (see Session). Process.Mounts and the option
// lists of Process.Root may be shared: do not modify them.
func (s *Session) Probe(pid int) (*Process, error) { return s.fs.probe(pid, s) }

// probe reads pid's record, through the cache of s when s is not nil.
func (fs FS) probe(pid int, s *Session) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	dir := fs.pidDir(pid)
	buf := getBuf()
	defer putBuf(buf)

	// stat stays open for the whole probe and is read again last. Its inode
	// is bound to this process, not to the PID: once the process is reaped
	// the read fails (ESRCH), and a new process reusing the PID is never read
	// through it. So if the last read succeeds, every file read in between
	// was this process's (for a regular file, as in a fixture tree, the start
	// time comparison remains). Reading a held fd again costs about half of
	// an open, read and close.
	statPath := dir + "stat"
	fd, err := openFile(statPath)
	if err != nil {
		return nil, fs.fileErr(pid, "stat", err)
	}
	defer closeFile(fd)
	st, err := fs.readStat(pid, fd, statPath, buf)
	if err != nil {
		return nil, err
	}
	if st.state == 'Z' || st.state == 'X' {
		// A zombie has exited: its ns links and mountinfo are gone.
		return nil, goneError(pid, "exited (zombie)")
	}
	p := &Process{PID: pid, PPID: st.ppid, Comm: string(st.comm), StartTime: st.start}

	data, err := readFile(dir+"status", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "status", err)
	}
	if err := parseStatus(data, p); err != nil {
		return nil, malformed(pid, "status", err)
	}

	if p.Namespaces, err = fs.readNamespaces(pid, dir); err != nil {
		return nil, err
	}

	view, err := fs.mounts(p, dir, buf, s)
	if err != nil {
		return nil, err
	}

	data, err = readFile(dir+"cgroup", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "cgroup", err)
	}
	if p.Cgroups, err = parseCgroups(data); err != nil {
		return nil, malformed(pid, "cgroup", err)
	}

	if p.LSMLabel, err = fs.lsmLabel(pid, dir, buf, s); err != nil {
		return nil, err
	}

	if err := fs.idMaps(p, dir, buf, s, view); err != nil {
		return nil, err
	}

	// PID reuse guard: see the open of stat above.
	st2, err := fs.readStat(pid, fd, statPath, buf)
	if err != nil {
		return nil, err
	}
	if st2.start != st.start {
		return nil, goneError(pid, "start time changed (PID reused)")
	}
	if st2.state == 'Z' || st2.state == 'X' {
		// Links read after the exit may have looked absent.
		return nil, goneError(pid, "exited during the probe")
	}
	return p, nil
}

// readStat reads and parses stat from fd, opened on path.
func (fs FS) readStat(pid, fd int, path string, buf *[]byte) (statFields, error) {
	data, err := preadAll(fd, path, buf)
	if err != nil {
		return statFields{}, fs.fileErr(pid, "stat", err)
	}
	st, err := parseStat(data)
	if err != nil {
		return statFields{}, malformed(pid, "stat", err)
	}
	return st, nil
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
		s.mu.Lock()
		v := s.views[key]
		s.mu.Unlock()
		if v != nil {
			p.Mounts, p.Root = v.mounts, v.root
			return v, nil
		}
	}
	data, err := readFile(dir+"mountinfo", buf)
	if err != nil {
		return nil, fs.fileErr(p.PID, "mountinfo", err)
	}
	if p.Mounts, err = parseMountInfo(data); err != nil {
		return nil, malformed(p.PID, "mountinfo", err)
	}
	p.Root, _ = rootMount(p.Mounts)
	if s == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mountReads++
	if v := s.views[key]; v != nil { // another goroutine was first
		p.Mounts, p.Root = v.mounts, v.root
		return v, nil
	}
	v := &mountView{mounts: p.Mounts, root: p.Root}
	s.views[key] = v
	return v, nil
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

// lsmLabel reads attr/current: EINVAL when no LSM is active (a session
// remembers it: it holds for every process of the kernel), absent without
// CONFIG_SECURITY.
func (fs FS) lsmLabel(pid int, dir string, buf *[]byte, s *Session) (string, error) {
	if s != nil {
		s.mu.Lock()
		none := s.noLSM
		s.mu.Unlock()
		if none {
			return "", nil
		}
	}
	data, err := readFile(dir+"attr/current", buf)
	switch {
	case err == nil:
		return parseLSMLabel(data), nil
	case errors.Is(err, syscall.EINVAL):
		if s != nil {
			s.mu.Lock()
			s.noLSM = true
			s.mu.Unlock()
		}
		return "", nil
	case errors.Is(err, os.ErrNotExist):
		return "", nil
	}
	return "", fs.fileErr(pid, "attr/current", err)
}

// idMaps fills p.UIDMap and p.GIDMap, from view when it holds them.
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

// idMap reads uid_map or gid_map; absent (no user namespaces in the kernel)
// gives nil. A vanished process is caught by Probe's final stat.
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

// Namespaces reads the namespace inodes of pid: one readlink per kind and
// nothing else, for a cheap first look (a search for hidden processes reads
// every PID's and probes only those outside the host's). Errors are as
// Probe's: ErrGone for a process that exited or is a zombie, a
// *PermissionError (CAP_SYS_PTRACE) for another user's process, ErrMalformed
// for a link that is not kind:[inode]. Unlike Probe it does not guard
// against the PID being reused between two links.
func (fs FS) Namespaces(pid int) (Namespaces, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	return fs.readNamespaces(pid, fs.pidDir(pid))
}

// readNamespaces reads the ns/<kind> links of the process at dir.
//
// Readlinks by hand: procfs.Proc.Namespaces lists the ns directory and reads
// ten links (the *_for_children ones too) through os.Readlink. A missing
// link means either that the kernel lacks that kind (the entry does not
// exist) or that the process is exiting (the entry exists but no longer
// resolves) or gone (its directory is gone too); the rare miss is told apart
// with an lstat or two.
func (fs FS) readNamespaces(pid int, dir string) (Namespaces, error) {
	out := make(Namespaces, len(nsKinds))
	var link [64]byte
	for _, k := range nsKinds {
		path := dir + "ns/" + string(k)
		n, err := readlink(path, link[:])
		if errors.Is(err, os.ErrNotExist) {
			if _, lerr := os.Lstat(path); lerr == nil {
				return nil, goneError(pid, "ns/"+string(k))
			}
			if _, derr := os.Lstat(dir + "ns"); derr != nil {
				return nil, fs.fileErr(pid, "ns", derr)
			}
			continue // this kernel lacks kind k
		}
		if errors.Is(err, syscall.ENAMETOOLONG) {
			return nil, malformed(pid, "ns", fmt.Errorf("link ns/%s: target longer than %d bytes", k, len(link)))
		}
		if err != nil {
			return nil, fs.fileErr(pid, "ns", err)
		}
		kind, inode, err := parseNSLink(string(link[:n]))
		if err == nil && kind != string(k) {
			err = fmt.Errorf("link ns/%s points to a %s namespace", k, kind)
		}
		if err != nil {
			return nil, malformed(pid, "ns", err)
		}
		out[k] = inode
	}
	if len(out) == 0 {
		return nil, goneError(pid, "ns")
	}
	return out, nil
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

// Host probes PID 1 of the proc root, the reference for host namespaces.
func (fs FS) Host() (*Process, error) { return fs.Probe(1) }

// HostNamespaces returns the namespaces of PID 1 of the proc root: the
// host's when the proc root is the host's /proc. When PID 1 refuses the
// ns/* links (some init processes are not ptrace-readable even by root)
// it falls back to PID 2 if that is kthreadd, which lives in the initial
// namespaces of every kind.
func (fs FS) HostNamespaces() (Namespaces, error) {
	ns, err := fs.Namespaces(1)
	var perr *PermissionError
	if errors.As(err, &perr) && fs.isKthreadd(2) {
		return fs.Namespaces(2)
	}
	return ns, err
}

// isKthreadd reports whether pid is kthreadd (PID 2, no parent).
func (fs FS) isKthreadd(pid int) bool {
	st, err := fs.stat(pid)
	return err == nil && st.ppid == 0 && string(st.comm) == "kthreadd"
}

// stat reads and parses /proc/<pid>/stat.
func (fs FS) stat(pid int) (statFields, error) {
	buf := getBuf()
	defer putBuf(buf)
	data, err := readFile(fs.pidDir(pid)+"stat", buf)
	if err != nil {
		return statFields{}, fs.fileErr(pid, "stat", err)
	}
	st, err := parseStat(data)
	if err != nil {
		return statFields{}, malformed(pid, "stat", err)
	}
	st.comm = slices.Clone(st.comm) // not aliasing buf
	return st, nil
}

// StillSame reports whether pid is still the process that had startTime
// (Process.StartTime). A vanished process gives false and no error.
func (fs FS) StillSame(pid int, startTime uint64) (bool, error) {
	st, err := fs.stat(pid)
	if errors.Is(err, ErrGone) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return st.start == startTime, nil
}

// PIDs lists the processes (thread group leaders) of the proc root, sorted.
func (fs FS) PIDs() ([]int, error) {
	procs, err := fs.proc.AllProcs()
	if err != nil {
		return nil, fmt.Errorf("probes: list %s: %w", fs.root, err)
	}
	pids := make([]int, len(procs))
	for i, p := range procs {
		pids[i] = p.PID
	}
	slices.Sort(pids)
	return pids, nil
}

// ContainerPIDs lists the processes of the container pid belongs to: those
// in the same pid namespace and in the same cgroups (or below them), which
// includes processes added later by `kubectl exec`. pid is included;
// processes that vanish meanwhile are left out. The result is sorted.
func (fs FS) ContainerPIDs(pid int) ([]int, error) {
	refNS, err := fs.pidNS(pid)
	if err != nil {
		return nil, err
	}
	refCg, err := fs.pidCgroups(pid)
	if err != nil {
		return nil, err
	}
	if len(refCg) == 0 {
		return nil, malformed(pid, "cgroup", errors.New("no cgroup line"))
	}
	return fs.filterPIDs(func(q int) (bool, error) {
		if q == pid {
			return true, nil
		}
		cg, err := fs.pidCgroups(q)
		if err != nil || !cgroupsWithin(cg, refCg) {
			return false, err
		}
		ns, err := fs.pidNS(q)
		return err == nil && ns == refNS, err
	}, pid)
}

// PIDsInCgroup lists the processes with a cgroup (any hierarchy) at or below
// path, as /proc/<pid>/cgroup shows it to the reader, e.g.
// "/kubepods/besteffort/pod<uid>/<container id>". Sorted.
func (fs FS) PIDsInCgroup(path string) ([]int, error) {
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("probes: cgroup path %q is not absolute", path)
	}
	path = filepath.Clean(path)
	return fs.filterPIDs(func(q int) (bool, error) {
		cg, err := fs.pidCgroups(q)
		return err == nil && anyCgroupWithin(cg, path), err
	}, 0)
}

// filterPIDs returns the PIDs keep accepts, skipping those that vanish or
// whose files are malformed (except ref, whose disappearance is reported).
// A permission error stops the walk: membership could not be decided.
func (fs FS) filterPIDs(keep func(pid int) (bool, error), ref int) ([]int, error) {
	all, err := fs.PIDs()
	if err != nil {
		return nil, err
	}
	var out []int
	for _, q := range all {
		ok, err := keep(q)
		if (errors.Is(err, ErrGone) || errors.Is(err, ErrMalformed)) && q != ref {
			continue
		}
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, q)
		}
	}
	if ref > 0 && !slices.Contains(out, ref) {
		return nil, goneError(ref, "")
	}
	return out, nil
}

// pidNS returns the pid namespace inode of pid (one readlink).
func (fs FS) pidNS(pid int) (uint64, error) {
	target, err := os.Readlink(fs.pidDir(pid) + "ns/pid")
	if err != nil {
		return 0, fs.fileErr(pid, "ns/pid", err)
	}
	_, inode, err := parseNSLink(target)
	if err != nil {
		return 0, malformed(pid, "ns/pid", err)
	}
	return inode, nil
}

func (fs FS) pidCgroups(pid int) ([]Cgroup, error) {
	buf := getBuf()
	defer putBuf(buf)
	data, err := readFile(fs.pidDir(pid)+"cgroup", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "cgroup", err)
	}
	cg, err := parseCgroups(data)
	if err != nil {
		return nil, malformed(pid, "cgroup", err)
	}
	return cg, nil
}

// LastCap returns the highest capability the kernel knows,
// <root>/sys/kernel/cap_last_cap.
func (fs FS) LastCap() (int, error) {
	v, err := fs.proc.SysctlInts("kernel.cap_last_cap")
	if err != nil {
		return 0, fmt.Errorf("probes: read cap_last_cap: %w", err)
	}
	if len(v) != 1 || v[0] < 0 || v[0] > 63 {
		return 0, fmt.Errorf("probes: cap_last_cap: %w: %v", ErrMalformed, v)
	}
	return v[0], nil
}

// AllCaps returns every capability of the running kernel: what "ALL" in a
// pod spec means.
func (fs FS) AllCaps() (CapSet, error) {
	last, err := fs.LastCap()
	if err != nil {
		return 0, err
	}
	return CapSetUpTo(last), nil
}

// Mounts reads only the mount table of pid (/proc/<pid>/mountinfo) and its
// root mount: what a caller needs of a process whose other files it may
// not read, such as the host's init for the host's root filesystem.
func (fs FS) Mounts(pid int) ([]Mount, Mount, error) {
	p := &Process{PID: pid}
	buf := getBuf()
	defer putBuf(buf)
	if _, err := fs.mounts(p, fs.pidDir(pid), buf, nil); err != nil {
		return nil, Mount{}, err
	}
	return p.Mounts, p.Root, nil
}
