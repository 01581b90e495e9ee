package probes

// Process is the security state of one process as the kernel reports it.
// Raw kernel shapes are kept raw: capabilities as bitmaps, IDs as numbers.
type Process struct {
	PID       int
	PPID      int
	Comm      string
	StartTime uint64 // field 22 of /proc/<pid>/stat, clock ticks since boot: guards PID reuse
	NSpid     []int  // NSpid of /proc/<pid>/status: the PID in each nested pid namespace, outermost first

	UID    IDs      // Uid of /proc/<pid>/status
	GID    IDs      // Gid of /proc/<pid>/status
	Groups []uint32 // Groups of /proc/<pid>/status

	Caps           Capabilities
	NoNewPrivs     bool
	Seccomp        SeccompMode
	SeccompFilters int

	Namespaces Namespaces  // readlink of /proc/<pid>/ns/*
	UIDMap     []IDMapping // /proc/<pid>/uid_map
	GIDMap     []IDMapping // /proc/<pid>/gid_map

	// Root is the mount at "/" as the process sees it (topmost one stacked
	// there); zero MountPoint when none is visible (a chroot). Mounts is
	// /proc/<pid>/mountinfo, options in the kernel's order. Through a
	// Session both (and the ID maps) are shared by the processes of one
	// mount view: read them, never modify them.
	Root   Mount
	Mounts []Mount

	LSMLabel string   // /proc/<pid>/attr/current, "" when no LSM reports one
	Cgroups  []Cgroup // /proc/<pid>/cgroup
}

// IDs holds the real, effective, saved and filesystem IDs, in the order the
// kernel prints them.
type IDs [4]uint32

// Indexes into IDs. (Filesystem was named FS before; it is renamed so the
// package's FS type can exist.)
const (
	Real = iota
	Effective
	Saved
	Filesystem
)

// Capabilities holds the five capability sets of /proc/<pid>/status.
type Capabilities struct {
	Inheritable CapSet // CapInh
	Permitted   CapSet // CapPrm
	Effective   CapSet // CapEff
	Bounding    CapSet // CapBnd
	Ambient     CapSet // CapAmb
}

// CapSet is a capability bitmap as the kernel prints it: bit n is capability n.
type CapSet uint64

// SeccompMode is the Seccomp field of /proc/<pid>/status.
type SeccompMode int

// Seccomp modes.
const (
	SeccompDisabled SeccompMode = 0
	SeccompStrict   SeccompMode = 1
	SeccompFilter   SeccompMode = 2
)

// NSKind names a namespace type as it appears under /proc/<pid>/ns.
type NSKind string

// Namespace kinds.
const (
	NSCgroup NSKind = "cgroup"
	NSIPC    NSKind = "ipc"
	NSMnt    NSKind = "mnt"
	NSNet    NSKind = "net"
	NSPID    NSKind = "pid"
	NSTime   NSKind = "time"
	NSUser   NSKind = "user"
	NSUTS    NSKind = "uts"
)

// Namespaces maps a namespace kind to its inode. A kind the kernel does not
// have is absent. Compare with Same, never by reading absent keys as 0.
type Namespaces map[NSKind]uint64

// IDMapping is one line of uid_map or gid_map.
type IDMapping struct {
	Inside  uint32 // first ID inside the namespace
	Outside uint32 // first ID in the parent namespace
	Length  uint32
}

// Mount is one line of mountinfo.
type Mount struct {
	ID, ParentID int
	Root         string   // root of the mount within its filesystem
	MountPoint   string   // as the process sees it
	Options      []string // per-mount options (ro/rw, nosuid, ...)
	FSType       string
	Source       string
	SuperOptions []string // per-superblock options
	ReadOnly     bool     // "ro" among the per-mount options
}

// Cgroup is one line of /proc/<pid>/cgroup.
type Cgroup struct {
	HierarchyID int
	Controllers []string // empty for the cgroup v2 unified line
	Path        string
}
