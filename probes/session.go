package probes

import "sync"

// Session probes processes for one scan, sharing what processes of one
// container have in common instead of reading it once per process:
//
//   - mountinfo, parsed once per mount view, i.e. per (mount namespace,
//     root directory) — mountinfo paths are relative to the process's root,
//     so two processes of one mount namespace chrooted differently see
//     different files. The root is identified by the mount ID, device and
//     inode of /proc/<pid>/root; the mount ID tells apart a chroot into a
//     bind mount of the same directory. Process.Mounts and the option lists
//     of Process.Root are then shared between processes: callers must not
//     modify them.
//   - uid_map and gid_map, per user namespace within that view (a written
//     map never changes; an empty one, not written yet, is not kept).
//   - the absence of an LSM (attr/current reads EINVAL on every process of
//     a kernel with no LSM reporting labels).
//   - the list of processes, with their pid and network namespaces
//     (Listing), which ContainerPIDs looks candidates up in.
//
// Everything else (stat, status, ns/*, cgroup, a label) is read for every
// process. A Session reflects the kernel at the time each entry was first
// read: mounts made afterwards in a namespace already seen are not seen, and
// a namespace inode freed and reused by a new namespace during the session
// could be confused with the old one (the root's mount ID, device and inode
// must match too). So a Session must live for one scan and be dropped
// after it; FS.Probe reads everything every time. A Session is safe for
// concurrent use.
type Session struct {
	fs FS

	mu    sync.Mutex
	views map[viewKey]*mountView
	noLSM bool // attr/current gave EINVAL: no LSM reports labels

	mountReads int // mountinfo files parsed, for tests

	listMu  sync.Mutex       // guards the listing, built once (see Listing)
	listing []Listed         // every process with its pid and net namespaces
	byPidNS map[uint64][]int // the listing by pid namespace
}

// viewKey identifies what a process's mountinfo and ID maps depend on.
type viewKey struct {
	mntNS, userNS uint64
	rootMountID   uint64 // 0 when the kernel does not report it (before 5.8)
	rootDev       uint64
	rootIno       uint64
}

// mountView is what a Session shares between processes of one viewKey.
type mountView struct {
	mounts []Mount
	root   Mount
	uidMap []IDMapping // nil until read non-empty
	gidMap []IDMapping
}

// NewSession returns a Session for one scan of fs.
func (fs FS) NewSession() *Session {
	return &Session{fs: fs, views: make(map[viewKey]*mountView)}
}

// FS returns the FS the session reads.
func (s *Session) FS() FS { return s.fs }

// Listed is one process of a Session's Listing.
type Listed struct {
	PID int
	// Namespaces holds the pid and network namespaces only
	// (/proc/<pid>/ns/pid and ns/net); nil when they could not be read
	// (the process vanished, or the reader may not see them).
	Namespaces Namespaces
}

// listedKinds are the namespaces a Listing reads: what finding a
// container's processes (pid) and a hidden process (pid, net) needs.
var listedKinds = []NSKind{NSPID, NSNet}
