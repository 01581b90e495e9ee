// Package probes reads the kernel's view of a process's security state from
// a proc filesystem: identity and start time, credentials, capabilities,
// no_new_privs, seccomp, namespaces (and the host's), mounts, LSM label,
// cgroups and user-namespace ID maps. It is rtaudit's ground truth.
//
// It is rooted at a configurable proc root (/proc on a host, /host/proc in
// the DaemonSet, a fixture tree in tests) and knows nothing of Kubernetes or
// the CRI: it must not import k8s.io/..., the agent packages, or any CRI or
// OCI types. It depends only on github.com/prometheus/procfs (stat,
// mountinfo, cgroup, ns, cap_last_cap) and github.com/moby/sys/capability
// (capability names).
//
// # Use
//
//	fs, err := probes.NewFS("/host/proc")
//	host, err := fs.HostNamespaces()
//	pids, err := fs.ContainerPIDs(initPID) // includes later `kubectl exec` processes
//	for _, pid := range pids {
//		p, err := fs.Probe(pid)
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
//     reused during the probe (stat's start time is read first and last and
//     must match). A PID that never existed gives ErrGone too. Skip it.
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
// A probe opens about 20 proc files and links; the kernel's work generating
// them (mountinfo above all, about 3 µs per mount on the reference VM)
// dominates. See the benchmarks in bench_linux_test.go.
package probes
