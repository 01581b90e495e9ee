package probes

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnvironNames(t *testing.T) {
	block := []byte("PATH=/bin\x00DB_PASSWORD=hunter2\x00EMPTY=\x00=novalue\x00NOEQUALS\x00DB_PASSWORD=again\x00TOKEN=a=b=c")
	for _, tc := range []struct {
		name string
		keep func(string) bool
		want []string
	}{
		{"all", nil, []string{"DB_PASSWORD", "EMPTY", "PATH", "TOKEN"}},
		{"kept only", func(n string) bool { return n == "DB_PASSWORD" || n == "MISSING" }, []string{"DB_PASSWORD"}},
		{"none", func(string) bool { return false }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parseEnvironNames(block, tc.keep)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			for _, n := range got {
				if strings.Contains(n, "hunter2") || strings.Contains(n, "=") {
					t.Errorf("a value leaked into a name: %q", n)
				}
			}
		})
	}
	if got := parseEnvironNames(nil, nil); got != nil {
		t.Errorf("empty block: %v", got)
	}
}
