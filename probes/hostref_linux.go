//go:build linux

package probes

// HostPID is the process that stands for the host: PID 1, or kthreadd
// (PID 2) when PID 1 refuses its ns links (as HostNamespaces does). Its
// /proc/<pid>/ns/net and net/* are the host's network namespace.
func (fs FS) HostPID() int {
	if _, err := fs.NamespacesOf(1, NSNet); err != nil && fs.isKthreadd(2) {
		return 2
	}
	return 1
}
