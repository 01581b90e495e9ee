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
// ErrMalformed.
func (fs FS) Probe(pid int) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	proc, err := fs.proc.Proc(pid)
	if err != nil {
		return nil, fs.fileErr(pid, "", err)
	}
	st, err := proc.Stat()
	if err != nil {
		return nil, fs.fileErr(pid, "stat", err)
	}
	if st.State == "Z" || st.State == "X" {
		// A zombie has exited: its ns links and mountinfo are gone.
		return nil, goneError(pid, "exited (zombie)")
	}
	p := &Process{PID: pid, PPID: st.PPID, Comm: st.Comm, StartTime: st.Starttime}
	dir := fs.pidDir(pid)

	buf := getBuf()
	defer putBuf(buf)

	data, err := readFile(dir+"status", buf)
	if err != nil {
		return nil, fs.fileErr(pid, "status", err)
	}
	if err := parseStatus(data, p); err != nil {
		return nil, malformed(pid, "status", err)
	}

	if p.Namespaces, err = fs.namespaces(proc); err != nil {
		return nil, fs.fileErr(pid, "ns", err)
	}

	mis, err := proc.MountInfo()
	if err != nil {
		return nil, fs.fileErr(pid, "mountinfo", err)
	}
	p.Mounts = mountsFromProcfs(mis)
	p.Root, _ = rootMount(p.Mounts)

	if p.Cgroups, err = fs.cgroups(proc); err != nil {
		return nil, fs.fileErr(pid, "cgroup", err)
	}

	// attr/current: EINVAL when no LSM is active, absent without
	// CONFIG_SECURITY.
	data, err = readFile(dir+"attr/current", buf)
	switch {
	case err == nil:
		p.LSMLabel = parseLSMLabel(data)
	case errors.Is(err, syscall.EINVAL), errors.Is(err, os.ErrNotExist):
	default:
		return nil, fs.fileErr(pid, "attr/current", err)
	}

	if p.UIDMap, err = fs.idMap(pid, dir, "uid_map", buf); err != nil {
		return nil, err
	}
	if p.GIDMap, err = fs.idMap(pid, dir, "gid_map", buf); err != nil {
		return nil, err
	}

	// PID reuse guard: every file above belongs to the process we started
	// with only if it is still there with the same start time.
	st2, err := proc.Stat()
	if err != nil {
		return nil, fs.fileErr(pid, "stat", err)
	}
	if st2.Starttime != st.Starttime {
		return nil, goneError(pid, "start time changed (PID reused)")
	}
	return p, nil
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

func (fs FS) namespaces(proc procfs.Proc) (Namespaces, error) {
	pns, err := proc.Namespaces()
	if err != nil {
		return nil, err
	}
	out := make(Namespaces, len(NSKinds()))
	for name, ns := range pns {
		if isNSKind(name) {
			out[NSKind(name)] = uint64(ns.Inode)
		}
	}
	return out, nil
}

func (fs FS) cgroups(proc procfs.Proc) ([]Cgroup, error) {
	cgs, err := proc.Cgroups()
	if err != nil {
		return nil, err
	}
	out := make([]Cgroup, len(cgs))
	for i, c := range cgs {
		out[i] = Cgroup{HierarchyID: c.HierarchyID, Controllers: c.Controllers, Path: c.Path}
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
	ns, err := fs.pidNamespaces(1)
	var perr *PermissionError
	if errors.As(err, &perr) && fs.isKthreadd(2) {
		return fs.pidNamespaces(2)
	}
	return ns, err
}

func (fs FS) pidNamespaces(pid int) (Namespaces, error) {
	proc, err := fs.proc.Proc(pid)
	if err != nil {
		return nil, fs.fileErr(pid, "", err)
	}
	ns, err := fs.namespaces(proc)
	if err != nil {
		return nil, fs.fileErr(pid, "ns", err)
	}
	return ns, nil
}

func (fs FS) isKthreadd(pid int) bool {
	proc, err := fs.proc.Proc(pid)
	if err != nil {
		return false
	}
	st, err := proc.Stat()
	return err == nil && st.PPID == 0 && st.Comm == "kthreadd"
}

// StillSame reports whether pid is still the process that had startTime
// (Process.StartTime). A vanished process gives false and no error.
func (fs FS) StillSame(pid int, startTime uint64) (bool, error) {
	proc, err := fs.proc.Proc(pid)
	if err == nil {
		var st procfs.ProcStat
		if st, err = proc.Stat(); err == nil {
			return st.Starttime == startTime, nil
		}
	}
	if err = fs.fileErr(pid, "stat", err); errors.Is(err, ErrGone) {
		return false, nil
	}
	return false, err
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
	proc, err := fs.proc.Proc(pid)
	if err != nil {
		return nil, fs.fileErr(pid, "", err)
	}
	cg, err := fs.cgroups(proc)
	if err != nil {
		return nil, fs.fileErr(pid, "cgroup", err)
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
