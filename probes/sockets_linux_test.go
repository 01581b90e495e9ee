//go:build linux

package probes

import (
	"maps"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
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

// TestListenersDiagMatchesFile: in the reader's own network namespace the
// TCP listeners come from sock_diag; they are the ones the /proc tables
// list (compared as sets, tried again while other processes on the host
// open or close listeners between the two reads).
func TestListenersDiagMatchesFile(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	mine := []uint16{uint16(ln.Addr().(*net.TCPAddr).Port)}
	if ln6, err := net.Listen("tcp6", "[::1]:0"); err == nil {
		defer ln6.Close()
		mine = append(mine, uint16(ln6.Addr().(*net.TCPAddr).Port))
	}
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	if !fs.sameNetNS(os.Getpid()) {
		t.Fatal("this process is not in its own network namespace")
	}
	fromFiles := func() map[Listener]bool {
		got := map[Listener]bool{}
		for _, f := range []struct {
			name string
			v6   bool
		}{{"tcp", false}, {"tcp6", true}} {
			b, err := os.ReadFile("/proc/self/net/" + f.name)
			if err != nil {
				continue
			}
			ls, err := parseNetSockets(b, "tcp", f.v6)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range ls {
				got[l] = true
			}
		}
		return got
	}
	fromDiag := func() map[Listener]bool {
		got := map[Listener]bool{}
		ls, err := fs.Listeners(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			if l.Proto == "tcp" {
				got[l] = true
			}
		}
		return got
	}
	var a, b map[Listener]bool
	for range 5 {
		if a, b = fromDiag(), fromFiles(); maps.Equal(a, b) {
			break
		}
	}
	if !maps.Equal(a, b) {
		t.Fatalf("sock_diag listeners %v, /proc tables %v", a, b)
	}
	for _, port := range mine {
		found := false
		for l := range a {
			found = found || (l.Port == port && l.Addr.IsLoopback() && l.UID == uint32(os.Getuid()) && l.Inode != 0)
		}
		if !found {
			t.Errorf("port %d not among %v", port, a)
		}
	}
	if d, err := tcpListenersDiag(unix.AF_INET); err != nil || len(d) == 0 {
		t.Errorf("sock_diag itself: %v, %d listeners", err, len(d))
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
