package probes

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Listener is a socket waiting for peers in one network namespace: a TCP
// socket in LISTEN state or a UDP socket bound and not connected, from
// /proc/<pid>/net/{tcp,tcp6,udp,udp6} (which show the network namespace of
// <pid>).
type Listener struct {
	Proto string     // "tcp" or "udp"
	Addr  netip.Addr // local address; the unspecified address for a wildcard
	Port  uint16
	UID   uint32 // the owner's UID, in the reader's user namespace
	Inode uint64 // the socket inode, which /proc/<pid>/fd/N links name as socket:[inode]
}

func (l Listener) String() string {
	return l.Proto + " " + netip.AddrPortFrom(l.Addr, l.Port).String()
}

// TCP states of /proc/net/tcp (include/net/tcp_states.h).
const (
	tcpListen = 0x0A
	tcpClose  = 0x07 // an unconnected UDP socket is listed in this state
)

// parseNetSockets parses one /proc/net/{tcp,tcp6,udp,udp6} table and keeps
// the listeners: TCP in LISTEN, UDP in CLOSE with no remote peer. proto
// is "tcp" or "udp"; v6 says which address width the table holds.
func parseNetSockets(b []byte, proto string, v6 bool) ([]Listener, error) {
	var out []Listener
	want := uint8(tcpListen)
	if proto == "udp" {
		want = tcpClose
	}
	err := eachNetRow(b, 10, func(f []string, st uint8) error {
		if st != want {
			return nil
		}
		addr, port, err := parseHexAddrPort(f[1], v6)
		if err != nil {
			return err
		}
		if proto == "udp" {
			if _, rport, err := parseHexAddrPort(f[2], v6); err != nil || rport != 0 {
				return nil // connected
			}
		}
		uid, err := strconv.ParseUint(f[7], 10, 32)
		if err != nil {
			return fmt.Errorf("uid %q: %v", f[7], err)
		}
		ino, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil {
			return fmt.Errorf("inode %q: %v", f[9], err)
		}
		out = append(out, Listener{Proto: proto, Addr: addr, Port: port, UID: uint32(uid), Inode: ino})
		return nil
	})
	return out, err
}

// eachNetRow calls fn with the fields and the state of each socket row of
// a /proc/net/{tcp,tcp6,udp,udp6} table (the header skipped, blank lines
// ignored); a row with fewer than min fields, a bad state or an error of
// fn stops the walk with that error.
func eachNetRow(b []byte, min int, fn func(f []string, state uint8) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 512), 64*1024)
	for first := true; sc.Scan(); first = false {
		if first { // the header
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) < min {
			return fmt.Errorf("short line %q", sc.Text())
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return fmt.Errorf("state %q: %v", f[3], err)
		}
		if err := fn(f, uint8(st)); err != nil {
			return err
		}
	}
	return sc.Err()
}

// parseHexAddrPort parses "0100007F:1F90": the address as the kernel's
// 32-bit words in host byte order (little endian on every architecture
// this runs on), the port big-endian hex.
func parseHexAddrPort(s string, v6 bool) (netip.Addr, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, fmt.Errorf("address %q", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, fmt.Errorf("port %q: %v", s, err)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (v6 && len(raw) != 16) || (!v6 && len(raw) != 4) {
		return netip.Addr{}, 0, fmt.Errorf("address %q", s)
	}
	for i := 0; i < len(raw); i += 4 { // each word from host (little-endian) order
		binary.BigEndian.PutUint32(raw[i:], binary.LittleEndian.Uint32(raw[i:]))
	}
	addr, _ := netip.AddrFromSlice(raw)
	return addr, uint16(port), nil
}

// socketInode parses a /proc/<pid>/fd link target "socket:[12345]".
func socketInode(target string) (uint64, bool) {
	s, ok := strings.CutPrefix(target, "socket:[")
	if !ok || !strings.HasSuffix(s, "]") {
		return 0, false
	}
	ino, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64)
	return ino, err == nil
}
