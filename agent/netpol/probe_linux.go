//go:build linux

package netpol

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on an OS thread moved into the network namespace at
// nsPath (/proc/<pid>/ns/net), and moves the thread back. fn must make
// its sockets on the calling goroutine (socket(2) takes the thread's
// namespace; the socket keeps it afterwards). A thread that cannot be
// moved back stays locked, and the runtime ends it with the goroutine.
func inNetns(nsPath string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("own network namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("%s: %w", nsPath, err)
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", nsPath, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("back from %s: %w (thread discarded)", nsPath, err)
			return // still locked: the thread exits with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// ConnectFrom opens a TCP connection to addr from the network namespace
// at nsPath and closes it at once; it says what the connect saw. No byte
// is sent. err explains an Error outcome: the namespace could not be
// entered, or the connect failed otherwise than refused or timed out.
func ConnectFrom(nsPath string, addr netip.AddrPort, timeout time.Duration) (Outcome, error) {
	var out Outcome
	var dialErr error
	err := inNetns(nsPath, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr.String())
		if err == nil {
			c.Close()
		}
		out = classify(err)
		if out == Error {
			dialErr = err
		}
		return nil
	})
	if err != nil {
		return Error, err
	}
	return out, dialErr
}

// AddrsIn lists the global unicast addresses of the interfaces of the
// network namespace at nsPath (a pod's IPs).
func AddrsIn(nsPath string) ([]netip.Addr, error) {
	var out []netip.Addr
	err := inNetns(nsPath, func() error {
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if pfx, err := netip.ParsePrefix(a.String()); err == nil && pfx.Addr().IsGlobalUnicast() {
				out = append(out, pfx.Addr().Unmap())
			}
		}
		return nil
	})
	return out, err
}
