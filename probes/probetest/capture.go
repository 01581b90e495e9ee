package probetest

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

// Files are the per-process files Capture copies (attr/current only when
// readable: it reads EINVAL on a kernel with no LSM reporting labels).
var Files = []string{"stat", "status", "cgroup", "mountinfo", "uid_map", "gid_map", "attr/current", "cmdline"}

// optional files are skipped when they cannot be read.
var optional = map[string]bool{"attr/current": true}

const (
	nsFile        = "ns.txt"
	hostPathsFile = "hostpaths.txt"
	capLastCap    = "sys/kernel/cap_last_cap"
)

// Capture copies, for each of pids, what probes reads of the process under
// procRoot ("" means /proc) into dst/proc/<pid>/, its ns/* link targets
// into dst/ns.txt, the kernel's cap_last_cap, and into dst/hostpaths.txt
// which of hostPaths exist under PID 1's root (<procRoot>/1/root/<path>),
// file or directory. What dst held of an earlier capture is replaced. A
// process that is gone or unreadable fails the capture: a partial record
// would be a different host.
//
// An init that refuses its ns/* links and root even to root (ptrace
// denied) is captured as a readable one: PID 1's links are written from
// kthreadd's (PID 2, in every initial namespace, as
// probes.FS.HostNamespaces falls back to) and the host paths are looked
// up under kthreadd's root; ns.txt and hostpaths.txt say so in a comment.
// A scan of the materialised tree then judges masked paths, which a scan
// of such a live host cannot.
func Capture(procRoot string, pids []int, dst string, hostPaths ...string) error {
	if procRoot == "" {
		procRoot = probes.DefaultProcRoot
	}
	out := filepath.Join(dst, "proc")
	if err := os.RemoveAll(out); err != nil {
		return fmt.Errorf("probetest: %w", err)
	}
	if err := copyFile(filepath.Join(procRoot, capLastCap), filepath.Join(out, capLastCap)); err != nil {
		return err
	}
	pids = slices.Clone(pids)
	slices.Sort(pids)
	pids = slices.Compact(pids)
	var ns strings.Builder
	ns.WriteString("# pid kind link-target: the ns/* links of proc/<pid> (see probetest.Materialise)\n")
	for _, pid := range pids {
		src, to := filepath.Join(procRoot, strconv.Itoa(pid)), filepath.Join(out, strconv.Itoa(pid))
		for _, f := range Files {
			err := copyFile(filepath.Join(src, f), filepath.Join(to, f))
			if err != nil && !optional[f] {
				return fmt.Errorf("probetest: pid %d: %w", pid, err)
			}
		}
		nsDir := filepath.Join(src, "ns")
		if pid == 1 && unreadable(filepath.Join(nsDir, "pid")) && isKthreadd(procRoot, 2) {
			// As probes.FS.HostNamespaces does: some inits refuse ptrace
			// even to root; kthreadd lives in every initial namespace.
			nsDir = filepath.Join(procRoot, "2", "ns")
			ns.WriteString("# pid 1's links were unreadable (EACCES): written from kthreadd's (pid 2)\n")
		}
		for _, kind := range probes.NSKinds() {
			target, err := os.Readlink(filepath.Join(nsDir, string(kind)))
			if errors.Is(err, fs.ErrNotExist) {
				if _, derr := os.Stat(src); derr != nil {
					return fmt.Errorf("probetest: pid %d: %w", pid, derr)
				}
				continue // this kernel lacks the kind
			}
			if err != nil {
				return fmt.Errorf("probetest: pid %d: %w", pid, err)
			}
			fmt.Fprintf(&ns, "%d %s %s\n", pid, kind, target)
		}
	}
	if err := os.WriteFile(filepath.Join(dst, nsFile), []byte(ns.String()), 0o644); err != nil {
		return fmt.Errorf("probetest: %w", err)
	}
	var hp strings.Builder
	hp.WriteString("# d|f path: the paths that exist under PID 1's root (see probetest.Materialise)\n")
	hostRoot := filepath.Join(procRoot, "1", "root")
	if len(hostPaths) > 0 && unreadable(hostRoot) && isKthreadd(procRoot, 2) {
		hostRoot = filepath.Join(procRoot, "2", "root")
		hp.WriteString("# pid 1's root was unreadable (EACCES): looked up under kthreadd's (pid 2)\n")
	}
	paths := slices.Clone(hostPaths)
	slices.Sort(paths)
	for _, p := range slices.Compact(paths) {
		if !filepath.IsAbs(p) || strings.ContainsAny(p, " \n") {
			return fmt.Errorf("probetest: host path %q: want an absolute path without spaces", p)
		}
		fi, err := os.Lstat(filepath.Join(hostRoot, p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("probetest: host path %s: %w", p, err)
		}
		kind := "f"
		if fi.IsDir() {
			kind = "d"
		}
		fmt.Fprintf(&hp, "%s %s\n", kind, filepath.Clean(p))
	}
	if err := os.WriteFile(filepath.Join(dst, hostPathsFile), []byte(hp.String()), 0o644); err != nil {
		return fmt.Errorf("probetest: %w", err)
	}
	return nil
}

// unreadable reports whether the link at path refuses to be read.
func unreadable(path string) bool {
	_, err := os.Readlink(path)
	return errors.Is(err, fs.ErrPermission)
}

// isKthreadd reports whether pid is kthreadd (no parent).
func isKthreadd(procRoot string, pid int) bool {
	data, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	return err == nil && strings.HasPrefix(string(data), strconv.Itoa(pid)+" (kthreadd) ") &&
		len(strings.Fields(string(data))) > 3 && strings.Fields(string(data))[3] == "0"
}

// copyFile copies a proc file (whose size stat reports wrongly) to a
// regular file, creating its directory.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// Materialise builds the proc root captured in src (see Capture) in a
// temporary directory of t and returns an FS reading it. The tree is the
// test's own: it may edit or delete files under fs.Root() to derive other
// cases.
func Materialise(t testing.TB, src string) probes.FS {
	t.Helper()
	fs, err := Build(src, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Build is Materialise into dir (which should be empty): dir/proc is the
// proc root, dir/root-<pid> the root directories.
func Build(src, dir string) (probes.FS, error) {
	root := filepath.Join(dir, "proc")
	if err := os.CopyFS(root, os.DirFS(filepath.Join(src, "proc"))); err != nil {
		return probes.FS{}, fmt.Errorf("probetest: %w", err)
	}
	err := eachLine(filepath.Join(src, nsFile), 3, func(f []string) error {
		if _, err := strconv.Atoi(f[0]); err != nil {
			return fmt.Errorf("bad pid %q", f[0])
		}
		nsDir := filepath.Join(root, f[0], "ns")
		if err := os.MkdirAll(nsDir, 0o755); err != nil {
			return err
		}
		return os.Symlink(f[2], filepath.Join(nsDir, filepath.Base(f[1])))
	})
	if err != nil {
		return probes.FS{}, err
	}
	// Processes with the same mountinfo share a root directory, others
	// have their own, as on a host (a Session keys mount views on it).
	entries, err := os.ReadDir(root)
	if err != nil {
		return probes.FS{}, fmt.Errorf("probetest: %w", err)
	}
	roots := map[string]string{} // mountinfo content -> root directory
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		mi, err := os.ReadFile(filepath.Join(root, e.Name(), "mountinfo"))
		if err != nil {
			return probes.FS{}, fmt.Errorf("probetest: %w", err)
		}
		rd, ok := roots[string(mi)]
		if !ok {
			rd = filepath.Join(dir, "root-"+e.Name())
			if err := os.Mkdir(rd, 0o755); err != nil {
				return probes.FS{}, fmt.Errorf("probetest: %w", err)
			}
			roots[string(mi)] = rd
		}
		if err := os.Symlink(rd, filepath.Join(root, e.Name(), "root")); err != nil {
			return probes.FS{}, fmt.Errorf("probetest: %w", err)
		}
	}
	hostRoot := filepath.Join(root, "1", "root")
	err = eachLine(filepath.Join(src, hostPathsFile), 2, func(f []string) error {
		p := filepath.Join(hostRoot, filepath.Clean("/"+f[1]))
		switch f[0] {
		case "d":
			return os.MkdirAll(p, 0o755)
		case "f":
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			return os.WriteFile(p, nil, 0o644)
		}
		return fmt.Errorf("bad kind %q", f[0])
	})
	if err != nil {
		return probes.FS{}, err
	}
	if err := os.WriteFile(filepath.Join(root, probes.FixtureMarker), nil, 0o644); err != nil {
		return probes.FS{}, fmt.Errorf("probetest: %w", err)
	}
	return probes.NewFS(root)
}

// eachLine calls fn with the fields of each line of path that is neither
// blank nor a comment; every such line must have n fields. A missing file
// has no lines.
func eachLine(path string, n int, fn func([]string) error) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("probetest: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) != n {
			return fmt.Errorf("probetest: %s:%d: want %d fields, got %q", path, line, n, sc.Text())
		}
		if err := fn(fields); err != nil {
			return fmt.Errorf("probetest: %s:%d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("probetest: %s: %w", path, err)
	}
	return nil
}
