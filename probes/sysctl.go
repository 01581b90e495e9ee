package probes

import (
	"errors"
	"strings"
)

// ErrSysctlName is a sysctl name that cannot name a file under
// /proc/<pid>/sys (empty, absolute, or with an empty or ".." component):
// a name from a manifest must never lead outside that tree.
var ErrSysctlName = errors.New("probes: invalid sysctl name")

// SysctlPath is the path of a sysctl under /proc/<pid>/sys, as the kubelet
// reads names: dot-separated ("net.ipv4.tcp_syncookies"), or, when the
// name has a slash, slash-separated with dots inside components
// ("net/ipv4/conf/eth0.100/rp_filter").
func SysctlPath(name string) (string, error) {
	p := name
	if !strings.Contains(name, "/") {
		p = strings.ReplaceAll(name, ".", "/")
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." {
			return "", ErrSysctlName
		}
	}
	return p, nil
}

// parseSysctl normalises a sysctl's value as the kernel prints it
// (tcp_rmem separates its fields with tabs) and as a pod spec writes it:
// the fields joined by one space.
func parseSysctl(data []byte) string { return NormalizeSysctl(string(data)) }

// NormalizeSysctl is a sysctl value's fields joined by one space.
func NormalizeSysctl(v string) string { return strings.Join(strings.Fields(v), " ") }
