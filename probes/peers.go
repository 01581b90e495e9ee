package probes

import (
	"net/netip"
)

// Peer is a TCP socket with a remote end in one network namespace, from
// /proc/<pid>/net/{tcp,tcp6}: the addresses as the namespace sees them (a
// Service's ClusterIP, not what a NAT on the host rewrote it to).
type Peer struct {
	Local, Remote netip.AddrPort
	State         uint8 // include/net/tcp_states.h
}

// TCP states after a handshake completed (include/net/tcp_states.h).
const (
	tcpEstablished = 0x01
	tcpFinWait1    = 0x04
	tcpFinWait2    = 0x05
	tcpTimeWait    = 0x06
	tcpCloseWait   = 0x08
	tcpLastAck     = 0x09
	tcpClosing     = 0x0B
)

// Connected reports whether the handshake completed: established, or
// closing after it (TIME_WAIT sockets stay listed for about a minute after
// a connection ends). SYN_SENT and SYN_RECV are attempts, not connections.
func (p Peer) Connected() bool {
	switch p.State {
	case tcpEstablished, tcpFinWait1, tcpFinWait2, tcpTimeWait, tcpCloseWait, tcpLastAck, tcpClosing:
		return true
	}
	return false
}

// parseNetPeers parses one /proc/net/{tcp,tcp6} table and keeps the sockets
// with a remote end (remote port not 0). v6 says which address width the
// table holds; IPv4-mapped addresses of a tcp6 table are unmapped.
func parseNetPeers(b []byte, v6 bool) ([]Peer, error) {
	var out []Peer
	err := eachNetRow(b, 4, func(f []string, st uint8) error {
		raddr, rport, err := parseHexAddrPort(f[2], v6)
		if err != nil {
			return err
		}
		if rport == 0 {
			return nil // listening or unconnected
		}
		laddr, lport, err := parseHexAddrPort(f[1], v6)
		if err != nil {
			return err
		}
		out = append(out, Peer{
			Local:  netip.AddrPortFrom(laddr.Unmap(), lport),
			Remote: netip.AddrPortFrom(raddr.Unmap(), rport),
			State:  st,
		})
		return nil
	})
	return out, err
}
