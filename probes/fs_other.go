//go:build !linux

package probes

// NewFS fails on platforms other than Linux.
func NewFS(procRoot string) (FS, error) { return FS{}, ErrUnsupported }

// Probe fails on platforms other than Linux.
func (fs FS) Probe(pid int) (*Process, error) { return nil, ErrUnsupported }

// Host fails on platforms other than Linux.
func (fs FS) Host() (*Process, error) { return nil, ErrUnsupported }

// HostNamespaces fails on platforms other than Linux.
func (fs FS) HostNamespaces() (Namespaces, error) { return nil, ErrUnsupported }

// StillSame fails on platforms other than Linux.
func (fs FS) StillSame(pid int, startTime uint64) (bool, error) { return false, ErrUnsupported }

// PIDs fails on platforms other than Linux.
func (fs FS) PIDs() ([]int, error) { return nil, ErrUnsupported }

// ContainerPIDs fails on platforms other than Linux.
func (fs FS) ContainerPIDs(pid int) ([]int, error) { return nil, ErrUnsupported }

// PIDsInCgroup fails on platforms other than Linux.
func (fs FS) PIDsInCgroup(path string) ([]int, error) { return nil, ErrUnsupported }

// LastCap fails on platforms other than Linux.
func (fs FS) LastCap() (int, error) { return 0, ErrUnsupported }

// AllCaps fails on platforms other than Linux.
func (fs FS) AllCaps() (CapSet, error) { return 0, ErrUnsupported }

// Namespaces fails on platforms other than Linux.
func (fs FS) Namespaces(pid int) (Namespaces, error) { return nil, ErrUnsupported }

// Probe fails on platforms other than Linux.
func (s *Session) Probe(pid int) (*Process, error) { return nil, ErrUnsupported }

// Mounts is unsupported off Linux.
func (fs FS) Mounts(pid int) ([]Mount, Mount, error) { return nil, Mount{}, ErrUnsupported }

// ContainerPIDs is unsupported off Linux.
func (s *Session) ContainerPIDs(pid int) ([]int, error) { return nil, ErrUnsupported }

// NamespacesOf fails on platforms other than Linux.
func (fs FS) NamespacesOf(pid int, kinds ...NSKind) (Namespaces, error) { return nil, ErrUnsupported }

// Status fails on platforms other than Linux.
func (fs FS) Status(pid int) (*Process, error) { return nil, ErrUnsupported }

// Cgroups fails on platforms other than Linux.
func (fs FS) Cgroups(pid int) ([]Cgroup, error) { return nil, ErrUnsupported }

// ContainerPIDsOf is unsupported off Linux.
func (s *Session) ContainerPIDsOf(p *Process) ([]int, error) { return nil, ErrUnsupported }

// Listing is unsupported off Linux.
func (s *Session) Listing() ([]Listed, error) { return nil, ErrUnsupported }

// OpenLive fails on platforms other than Linux.
func OpenLive(procRoot string) (FS, error) { return FS{}, ErrUnsupported }

// Sysctls is unsupported off Linux.
func (fs FS) Sysctls(pid int, names []string) (map[string]string, error) { return nil, ErrUnsupported }

// EnvNames fails on platforms other than Linux.
func (fs FS) EnvNames(pid int, keep func(string) bool) ([]string, error) {
	return nil, ErrUnsupported
}

// Listeners fails on platforms other than Linux.
func (fs FS) Listeners(pid int) ([]Listener, error) { return nil, ErrUnsupported }

// SocketInodes fails on platforms other than Linux.
func (fs FS) SocketInodes(pid int) (map[uint64]bool, error) { return nil, ErrUnsupported }

// TokenAt fails on platforms other than Linux.
func (fs FS) TokenAt(pid int, path string) (Token, error) { return Token{}, ErrUnsupported }

// Exe fails on platforms other than Linux.
func (fs FS) Exe(pid int) (string, error) { return "", ErrUnsupported }

// Cmdline fails on platforms other than Linux.
func (fs FS) Cmdline(pid int) ([]string, error) { return nil, ErrUnsupported }

// HostPID is 1 on platforms other than Linux.
func (fs FS) HostPID() int { return 1 }

// ReadFileInRoot fails on platforms other than Linux.
func (fs FS) ReadFileInRoot(pid int, path string, limit int64) ([]byte, error) {
	return nil, ErrUnsupported
}
