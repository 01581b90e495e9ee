package probes

import "github.com/prometheus/procfs"

// DefaultProcRoot is the proc root used when NewFS is given "".
const DefaultProcRoot = "/proc"

// FS reads processes under one proc root: /proc on a host, /host/proc in a
// DaemonSet that mounts the host's, a fixture tree in tests. The zero value is
// not usable; call NewFS. An FS is safe for concurrent use.
type FS struct {
	root string
	proc procfs.FS
}

// Root returns the proc root the FS reads.
func (fs FS) Root() string { return fs.root }
