// Package probes reads the kernel's view of a process's security state from
// a proc filesystem: identity and start time, credentials, capabilities,
// no_new_privs, seccomp, namespaces (and the host's), mounts, LSM label,
// cgroups and user-namespace ID maps. It is rtaudit's ground truth.
//
// It is rooted at a configurable proc root (/proc on a host, /host/proc in
// the DaemonSet, a fixture tree in tests) and knows nothing of Kubernetes or
// the CRI: it must not import k8s.io/..., the agent packages, or any CRI or
// OCI types. It depends only on github.com/prometheus/procfs (the proc
// root, the PID list, cap_last_cap), github.com/moby/sys/capability
// (capability names) and golang.org/x/sys/unix (statx). The files read for
// every process (stat, status, mountinfo, cgroup, ns/*) are read with raw
// syscalls and small parsers of its own: through procfs they cost several
// times what the kernel does (see Cost).
//
// # Use
//
//	fs, err := probes.NewFS("/host/proc")
//	host, err := fs.HostNamespaces()
//	s := fs.NewSession() // one per scan, then dropped
//	pids, err := fs.ContainerPIDs(initPID) // includes later `kubectl exec` processes
//	for _, pid := range pids {
//		p, err := s.Probe(pid) // p.Mounts may be shared: read-only
//		if errors.Is(err, probes.ErrGone) { continue } // exited meanwhile: skip
//		...
//		p.IsHost(host, probes.NSNet)
//		p.Caps.Effective.Names() // ["CAP_CHOWN", ...]
//	}
//
// # Errors
//
// Probe returns a complete record or an error, never a partial record:
//   - ErrGone (errors.Is): the process exited, is a zombie, or its PID was
//     reused during the probe (stat is opened first and read again last
//     through the same descriptor, which is bound to the process, not the
//     PID: the last read fails once the process is gone, and must show the
//     same start time and no zombie). A PID that never existed gives ErrGone
//     too. Skip it.
//   - *PermissionError (errors.As): a file the caller may not read, with the
//     capability that would allow it (CAP_SYS_PTRACE for another user's ns/*).
//   - ErrMalformed (errors.Is): a file not in the kernel's format.
//   - ErrUnsupported: every FS method on platforms other than Linux (the
//     package builds and its parsers test everywhere).
//
// # Conventions
//
// Capability sets are bitmaps (CapSet); names are canonical "CAP_NET_ADMIN",
// and a bit no name is known for is shown by number, "CAP_41", so nothing a
// newer kernel grants is hidden. ParseCapNames is the one place names from a
// pod spec or runtime config are normalised; "ALL" is expanded by the caller
// with FS.AllCaps, which reads cap_last_cap under the proc root.
//
// Namespaces are inode numbers keyed by kind; a kind the kernel lacks is
// absent, and Same/IsHost are false for it. The host reference is PID 1 of
// the proc root, or kthreadd (PID 2) when PID 1 refuses its ns links, as
// some init processes do even to root.
//
// Cgroup paths are as /proc/<pid>/cgroup shows them to the reader (relative
// to the reader's cgroup namespace); ContainerPIDs compares every hierarchy,
// so it works on cgroup v1, v2 and hybrid hosts.
//
// Only the thread group leader is read: per-thread credentials (possible with
// raw setresuid on one thread) are not seen.
//
// # Cost
//
// The kernel's work generating proc files bounds a probe: on the reference
// VM (2 vCPUs, where a bare syscall costs 0.2 µs and opening a proc file
// about 4 µs) each file costs 3–15 µs, mountinfo about 2 µs per mount.
// FS.Probe reads about 20 files and links. A Session reads mountinfo and the
// ID maps once per mount view and the LSM's absence once, leaving stat,
// status, cgroup, eight ns links and a statx of root per process. Its
// Listing reads the pid and network namespace links of every process once
// (FS.NamespacesOf): where ContainerPIDs looks for a container's processes,
// and the first look a hidden-process search takes at every PID. FS.Status
// and FS.Cgroups read one file each. See bench_linux_test.go.
package probes
