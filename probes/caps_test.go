package probes

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCapNames(t *testing.T) {
	tests := []struct {
		set  CapSet
		want []string
		str  string
	}{
		{0, nil, "none"},
		{1 << 12, []string{"CAP_NET_ADMIN"}, "CAP_NET_ADMIN"},
		{1<<0 | 1<<21, []string{"CAP_CHOWN", "CAP_SYS_ADMIN"}, "CAP_CHOWN,CAP_SYS_ADMIN"},
		{1<<40 | 1<<41 | 1<<63, []string{"CAP_CHECKPOINT_RESTORE", "CAP_41", "CAP_63"}, "CAP_CHECKPOINT_RESTORE,CAP_41,CAP_63"},
		{0xa80425fb, []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"}, ""},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.set.Names()); diff != "" {
			t.Errorf("%#x Names() (-want +got):\n%s", uint64(tt.set), diff)
		}
		if tt.str != "" && tt.set.String() != tt.str {
			t.Errorf("%#x String() = %q, want %q", uint64(tt.set), tt.set.String(), tt.str)
		}
		if tt.set.Count() != len(tt.want) {
			t.Errorf("%#x Count() = %d, want %d", uint64(tt.set), tt.set.Count(), len(tt.want))
		}
	}
}

func TestParseCapNames(t *testing.T) {
	tests := []struct {
		in      []string
		want    CapSet
		unknown []string
	}{
		{nil, 0, nil},
		{[]string{"NET_ADMIN"}, 1 << 12, nil},
		{[]string{"net_admin", "CAP_NET_ADMIN", " cap_net_admin "}, 1 << 12, nil},
		{[]string{"sys_admin", "Net_Raw"}, 1<<21 | 1<<13, nil},
		{[]string{"CAP_41", "cap_63"}, 1<<41 | 1<<63, nil},
		{[]string{"ALL", "bogus", "NET_ADMIN", "CAP_64"}, 1 << 12, []string{"CAP_ALL", "CAP_BOGUS", "CAP_64"}},
		{[]string{""}, 0, []string{"CAP_"}},
	}
	for _, tt := range tests {
		got, unknown := ParseCapNames(tt.in)
		if got != tt.want {
			t.Errorf("ParseCapNames(%q) = %#x, want %#x", tt.in, uint64(got), uint64(tt.want))
		}
		if diff := cmp.Diff(tt.unknown, unknown); diff != "" {
			t.Errorf("ParseCapNames(%q) unknown (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCapNamesRoundTrip(t *testing.T) {
	for bit := range 64 {
		set, unknown := ParseCapNames(CapSet(1 << bit).Names())
		if set != 1<<bit || unknown != nil {
			t.Errorf("bit %d: round trip gave %#x, unknown %q", bit, uint64(set), unknown)
		}
	}
	if CapName(-1) != "" || CapName(64) != "" {
		t.Error("CapName outside 0-63 must be empty")
	}
}

func TestCapSetUpToAndHas(t *testing.T) {
	tests := []struct {
		last int
		want CapSet
	}{{-1, 0}, {0, 1}, {40, 0x1ffffffffff}, {63, ^CapSet(0)}, {70, ^CapSet(0)}}
	for _, tt := range tests {
		if got := CapSetUpTo(tt.last); got != tt.want {
			t.Errorf("CapSetUpTo(%d) = %#x, want %#x", tt.last, uint64(got), uint64(tt.want))
		}
	}
	s := CapSet(1<<12 | 1<<63)
	for bit, want := range map[int]bool{12: true, 63: true, 13: false, -1: false, 64: false} {
		if s.Has(bit) != want {
			t.Errorf("Has(%d) = %v, want %v", bit, !want, want)
		}
	}
}

func FuzzParseCapNames(f *testing.F) {
	for _, s := range []string{"NET_ADMIN", "cap_sys_admin", "CAP_41", "ALL", "", "cAp_", "CAP_CAP_CHOWN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		set, unknown := ParseCapNames([]string{name})
		if (set == 0) == (len(unknown) == 0) {
			t.Fatalf("%q: set %#x and unknown %q: exactly one must be non-empty", name, uint64(set), unknown)
		}
		if set != 0 && (set.Count() != 1 || !slices.Contains(capNames[:], NormalizeCapName(name))) {
			t.Fatalf("%q: gave %#x", name, uint64(set))
		}
	})
}
