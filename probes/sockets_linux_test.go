//go:build linux

package probes

import (
	"net"
	"os"
	"testing"
)

// TestListenersSelf: a socket this test listens on is in its network
// namespace's table, and its inode among the process's descriptors.
func TestListenersSelf(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	ls, err := fs.Listeners(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	inodes, err := fs.SocketInodes(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range ls {
		if l.Proto == "tcp" && l.Port == port && l.Addr.String() == "127.0.0.1" {
			found = true
			if !inodes[l.Inode] {
				t.Errorf("listener %v: inode %d not among the process's sockets", l, l.Inode)
			}
		}
	}
	if !found {
		t.Errorf("port %d not listed among %d listeners", port, len(ls))
	}
}

// TestTCPPeersSelf: a connection this test holds is listed, from both ends,
// with its remote address and as connected.
func TestTCPPeersSelf(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conn, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	peers, err := fs.TCPPeers(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	server := ln.Addr().(*net.TCPAddr).AddrPort()
	client := conn.LocalAddr().(*net.TCPAddr).AddrPort()
	var out, in bool
	for _, p := range peers {
		switch {
		case p.Remote == server && p.Local == client:
			out = p.Connected()
		case p.Remote == client && p.Local == server:
			in = p.Connected()
		}
	}
	if !out || !in {
		t.Errorf("connection %s → %s: client end listed connected %v, server end %v, in %d peers", client, server, out, in, len(peers))
	}
}
