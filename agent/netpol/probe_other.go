//go:build !linux

package netpol

import (
	"errors"
	"net/netip"
	"time"
)

var errUnsupported = errors.New("netpol: network namespaces need Linux")

// ConnectFrom fails on platforms other than Linux.
func ConnectFrom(nsPath string, addr netip.AddrPort, timeout time.Duration) (Outcome, error) {
	return Error, errUnsupported
}

// AddrsIn fails on platforms other than Linux.
func AddrsIn(nsPath string) ([]netip.Addr, error) { return nil, errUnsupported }
