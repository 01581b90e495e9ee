//go:build !linux

package probes

// TCPPeers fails on platforms other than Linux.
func (fs FS) TCPPeers(pid int) ([]Peer, error) { return nil, ErrUnsupported }
