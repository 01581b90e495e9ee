package groundtruth

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These need neither root nor a cluster.

func TestParseMountinfo(t *testing.T) {
	data := []byte(`1 0 0:1 / / ro,relatime - overlay overlay rw
2 1 0:2 / /proc rw,nosuid,nodev,noexec - proc proc rw
3 2 0:3 /null /proc/keys rw,nosuid - tmpfs tmpfs rw
4 1 0:4 / /with\040space rw shared:1 - ext4 /dev/vda rw
5 1 0:5 / / rw - overlay overlay rw
garbage
`)
	want := map[string]string{
		"/":           "overlay rw", // the last mount stacked on / wins
		"/proc":       "proc rw,nosuid,nodev,noexec",
		"/proc/keys":  "tmpfs rw,nosuid",
		"/with space": "ext4 rw",
	}
	if diff := cmp.Diff(want, parseMountinfo(data)); diff != "" {
		t.Errorf("parseMountinfo (-want +got):\n%s", diff)
	}
}

func TestDiff(t *testing.T) {
	a := kernel{"same": "1", "changed": "ro", "onlyA": "x"}
	b := kernel{"same": "1", "changed": "rw", "onlyB": "y"}
	want := map[string]string{"changed": "ro | rw", "onlyA": "x | -", "onlyB": "- | y"}
	if d := cmp.Diff(want, diff(a, b)); d != "" {
		t.Errorf("diff (-want +got):\n%s", d)
	}
}

func TestMatchValue(t *testing.T) {
	for _, tc := range []struct {
		pattern, v string
		want       bool
	}{
		{"-", "-", true},
		{"-", "tmpfs ro", false},
		{"tmpfs ro", "-", false},
		{"tmpfs ro", "tmpfs ro,nosuid,nodev", true},
		{"tmpfs ro", "tmpfs rw", false},
		{"* rw", "ext4 rw,nosuid", true},
		{"* rw", "xfs ro", false},
		{"ext4 rw", "xfs rw", false},
	} {
		if got := matchValue(tc.pattern, tc.v); got != tc.want {
			t.Errorf("matchValue(%q, %q) = %v, want %v", tc.pattern, tc.v, got, tc.want)
		}
	}
}
