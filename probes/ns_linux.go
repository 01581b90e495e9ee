//go:build linux

package probes

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Namespaces reads the namespace inodes of pid: one readlink per kind
// (/proc/<pid>/ns/<kind>) and nothing else. Errors are as Probe's: ErrGone
// for a process that exited or is a zombie, a *PermissionError
// (CAP_SYS_PTRACE) for another user's process, ErrMalformed for a link that
// is not kind:[inode]. Unlike Probe it does not guard against the PID being
// reused between two links.
func (fs FS) Namespaces(pid int) (Namespaces, error) {
	return fs.NamespacesOf(pid, nsKinds[:]...)
}

// NamespacesOf is Namespaces reading only the links of kinds: a cheap first
// look, such as the pid and network namespaces that tell a host process
// from a contained one (two readlinks instead of eight). A kind the kernel
// lacks is absent from the result.
func (fs FS) NamespacesOf(pid int, kinds ...NSKind) (Namespaces, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("probes: invalid pid %d", pid)
	}
	for _, k := range kinds {
		if !isNSKind(string(k)) {
			return nil, fmt.Errorf("probes: unknown namespace kind %q", k)
		}
	}
	return fs.readNamespaces(pid, fs.pidDir(pid), kinds)
}

// readNamespaces reads the ns/<kind> links of the process at dir.
//
// Readlinks by hand: procfs.Proc.Namespaces lists the ns directory and reads
// ten links (the *_for_children ones too) through os.Readlink.
func (fs FS) readNamespaces(pid int, dir string, kinds []NSKind) (Namespaces, error) {
	out := make(Namespaces, len(kinds))
	var link [64]byte
	for _, k := range kinds {
		inode, ok, err := fs.readNSLink(pid, dir, k, link[:])
		if err != nil {
			return nil, err
		}
		if ok {
			out[k] = inode
		}
	}
	if len(out) == 0 && len(kinds) > 0 {
		return nil, goneError(pid, "ns")
	}
	return out, nil
}

// readNSLink reads the link ns/<k> of the process at dir into link and
// returns its inode; ok is false when the kernel lacks kind k.
//
// A missing link means either that the kernel lacks that kind (the entry
// does not exist) or that the process is exiting (the entry exists but no
// longer resolves) or gone (its directory is gone too); the rare miss is
// told apart with an lstat or two.
func (fs FS) readNSLink(pid int, dir string, k NSKind, link []byte) (inode uint64, ok bool, err error) {
	path := dir + "ns/" + string(k)
	n, err := readlink(path, link)
	if errors.Is(err, os.ErrNotExist) {
		if _, lerr := os.Lstat(path); lerr == nil {
			return 0, false, goneError(pid, "ns/"+string(k))
		}
		if _, derr := os.Lstat(dir + "ns"); derr != nil {
			return 0, false, fs.fileErr(pid, "ns", derr)
		}
		return 0, false, nil // this kernel lacks kind k
	}
	if errors.Is(err, syscall.ENAMETOOLONG) {
		return 0, false, malformed(pid, "ns", fmt.Errorf("link ns/%s: target longer than %d bytes", k, len(link)))
	}
	if err != nil {
		return 0, false, fs.fileErr(pid, "ns", err)
	}
	kind, inode, err := parseNSLink(string(link[:n]))
	if err == nil && kind != string(k) {
		err = fmt.Errorf("link ns/%s points to a %s namespace", k, kind)
	}
	if err != nil {
		return 0, false, malformed(pid, "ns", err)
	}
	return inode, true, nil
}

// HostNamespaces returns the namespaces of PID 1 of the proc root
// (/proc/1/ns/*): the host's when the proc root is the host's /proc. When
// PID 1 refuses the ns/* links (some init processes are not
// ptrace-readable even by root) it falls back to PID 2 if that is
// kthreadd, which lives in the initial namespaces of every kind.
func (fs FS) HostNamespaces() (Namespaces, error) {
	ns, err := fs.Namespaces(1)
	var perr *PermissionError
	if errors.As(err, &perr) && fs.isKthreadd(2) {
		return fs.Namespaces(2)
	}
	return ns, err
}

// isKthreadd reports whether pid is kthreadd (PID 2, no parent), from
// /proc/<pid>/stat.
func (fs FS) isKthreadd(pid int) bool {
	st, err := fs.stat(pid)
	return err == nil && st.ppid == 0 && string(st.comm) == "kthreadd"
}

// pidNS returns the pid namespace inode of pid: one readlink of
// /proc/<pid>/ns/pid.
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
