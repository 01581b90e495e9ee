//go:build linux

package probes

// TCPPeers reads the TCP sockets with a remote end of the network namespace
// pid is in: /proc/<pid>/net/tcp and tcp6 (no IPv6 in the kernel: tcp6 is
// skipped). ErrGone when the process exited.
func (fs FS) TCPPeers(pid int) ([]Peer, error) {
	buf := getBuf()
	defer putBuf(buf)
	var out []Peer
	for _, t := range []struct {
		file string
		v6   bool
	}{{"net/tcp", false}, {"net/tcp6", true}} {
		b, absent, err := fs.readNetTable(pid, t.file, t.v6, buf)
		if err != nil {
			return nil, err
		}
		if absent {
			continue // no IPv6 in this kernel
		}
		ps, err := parseNetPeers(b, t.v6)
		if err != nil {
			return nil, malformed(pid, t.file, err)
		}
		out = append(out, ps...)
	}
	return out, nil
}
