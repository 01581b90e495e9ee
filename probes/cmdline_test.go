package probes

import (
	"slices"
	"testing"
)

func TestParseCmdline(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\x00", nil},
		{"sleep\x003600\x00", []string{"sleep", "3600"}},
		{"containerd-shim-runc-v2\x00-namespace\x00k8s.io\x00-id\x00abc\x00-address\x00/run/c.sock", []string{"containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "abc", "-address", "/run/c.sock"}},
		{"a\x00\x00b\x00", []string{"a", "", "b"}}, // an empty argument stays
	} {
		if got := ParseCmdline([]byte(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("ParseCmdline(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
