//go:build linux

package probes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// Sysctls reads the values of the named sysctls as a process sees them.
// /proc/sys answers in the namespaces of whoever reads it (net.* in the
// reader's network namespace, kernel.shm* and the like in its IPC
// namespace), so the reads happen on a throwaway OS thread that joins the
// process's network, IPC and UTS namespaces first (setns(2): CAP_SYS_ADMIN,
// reported as a PermissionError), then reads <proc root>/sys. A name the
// kernel does not have is left out of the map; an invalid name is an
// error; the process gone is ErrGone.
func (fs FS) Sysctls(pid int, names []string) (map[string]string, error) {
	rels := make([]string, len(names))
	for i, name := range names {
		rel, err := SysctlPath(name)
		if err != nil {
			return nil, err
		}
		rels[i] = rel
	}
	type result struct {
		values map[string]string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		values, back, err := fs.sysctlsIn(pid, names, rels)
		if back {
			runtime.UnlockOSThread()
		} // else the thread stays locked and ends with the goroutine
		done <- result{values, err}
	}()
	r := <-done
	return r.values, r.err
}

// sysctlNamespaces are the namespaces whose sysctls a pod may set.
var sysctlNamespaces = []struct {
	kind NSKind
	flag int
}{{NSNet, unix.CLONE_NEWNET}, {NSIPC, unix.CLONE_NEWIPC}, {NSUTS, unix.CLONE_NEWUTS}}

// sysctlsIn runs on a locked thread: it enters pid's namespaces, reads,
// and moves the thread back to its own namespaces; back says it did (or
// never left). A thread left elsewhere must not run anything else, and
// must not be the main thread either: /proc/<own pid>/ns/* are the main
// thread's, so the process would look like it lives in the pod's.
func (fs FS) sysctlsIn(pid int, names, rels []string) (_ map[string]string, back bool, err error) {
	var own []int
	defer func() {
		back = true
		for i, fd := range own {
			if unix.Setns(fd, sysctlNamespaces[i].flag) != nil {
				back = false
			}
			unix.Close(fd)
		}
	}()
	for _, ns := range sysctlNamespaces {
		fd, err := unix.Open("/proc/thread-self/ns/"+string(ns.kind), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, false, fmt.Errorf("probes: own %s namespace: %w", ns.kind, err)
		}
		own = append(own, fd)
	}
	for _, ns := range sysctlNamespaces {
		file := "ns/" + string(ns.kind)
		fd, err := unix.Open(fs.pidDir(pid)+file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, false, fs.fileErr(pid, file, &os.PathError{Op: "open", Path: fs.pidDir(pid) + file, Err: err})
		}
		err = unix.Setns(fd, ns.flag)
		unix.Close(fd)
		if err != nil {
			if errors.Is(err, syscall.EPERM) {
				return nil, false, &PermissionError{PID: pid, File: file, Capability: "CAP_SYS_ADMIN", Err: err}
			}
			return nil, false, fs.fileErr(pid, file, &os.PathError{Op: "setns", Path: fs.pidDir(pid) + file, Err: err})
		}
	}
	buf := getBuf()
	defer putBuf(buf)
	out := make(map[string]string, len(names))
	for i, name := range names {
		data, err := readFile(filepath.Join(fs.root, "sys", rels[i]), buf)
		switch {
		case err == nil:
			out[name] = parseSysctl(data)
		case errors.Is(err, os.ErrNotExist):
			// not a sysctl of this kernel
		default:
			return nil, false, fmt.Errorf("probes: pid %d: sysctl %s: %w", pid, name, err)
		}
	}
	return out, false, nil
}
