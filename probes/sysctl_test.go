package probes

import (
	"errors"
	"testing"
)

func TestSysctlPath(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"net.ipv4.tcp_syncookies", "net/ipv4/tcp_syncookies"},
		{"kernel.shm_rmid_forced", "kernel/shm_rmid_forced"},
		{"net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter"},
	} {
		if got, err := SysctlPath(tc.name); err != nil || got != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "net..x", "/etc/shadow", "net/../../../etc/shadow", "..", "net.", "a//b"} {
		if _, err := SysctlPath(bad); !errors.Is(err, ErrSysctlName) {
			t.Errorf("%q: %v, want ErrSysctlName", bad, err)
		}
	}
}

func TestNormalizeSysctl(t *testing.T) {
	if got := parseSysctl([]byte("4096\t131072\t6291456\n")); got != "4096 131072 6291456" {
		t.Errorf("got %q", got)
	}
	if got := NormalizeSysctl(" 32768   60999 "); got != "32768 60999" {
		t.Errorf("got %q", got)
	}
}
