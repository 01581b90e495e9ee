//go:build linux

package netpol

import (
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestConnectFrom: from this process's own namespace a listener connects
// and a closed port is refused; from a fresh network namespace (unshare
// -n, root only) the same listener is out of reach.
func TestConnectFrom(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	closed, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := netip.MustParseAddrPort(closed.Addr().String())
	closed.Close()
	defer ln.Close()
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/ns/net"
	if got, err := ConnectFrom(self, addr, time.Second); err != nil || got != Connected {
		t.Errorf("own namespace to a listener: %s %v", got, err)
	}
	if got, err := ConnectFrom(self, closedAddr, time.Second); err != nil || got != Refused {
		t.Errorf("own namespace to a closed port: %s %v", got, err)
	}
	if _, err := ConnectFrom("/nonexistent/ns/net", addr, time.Second); err == nil {
		t.Error("a missing namespace entered")
	}
	if os.Geteuid() != 0 {
		t.Skip("entering another network namespace needs root (CAP_SYS_ADMIN)")
	}
	cmd := exec.Command("unshare", "-n", "sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	ns := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/net"
	deadline := time.Now().Add(5 * time.Second)
	for { // wait for unshare to have made its namespace
		a, _ := os.Readlink(ns)
		b, _ := os.Readlink(self)
		if a != b || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got, err := ConnectFrom(ns, addr, time.Second); err != nil || got == Connected {
		t.Errorf("fresh namespace reached the host's loopback listener: %s %v", got, err)
	}
	if addrs, err := AddrsIn(ns); err != nil || len(addrs) != 0 {
		t.Errorf("fresh namespace addresses %v %v, want none", addrs, err)
	}
	// This thread, and the next, are back in the original namespace.
	if got, _ := ConnectFrom(self, addr, time.Second); got != Connected {
		t.Errorf("after the probe: %s", got)
	}
}
