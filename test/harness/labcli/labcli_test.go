package labcli

import (
	"bytes"
	"strings"
	"testing"
)

func TestParseUser(t *testing.T) {
	for in, want := range map[string][2]uint32{"0": {0, 0}, "1000": {1000, 1000}, "1000:2000": {1000, 2000}} {
		u, g, err := parseUser(in)
		if err != nil || u != want[0] || g != want[1] {
			t.Errorf("parseUser(%q) = %d, %d, %v", in, u, g, err)
		}
	}
	for _, bad := range []string{"", "root", "1:x", "-1"} {
		if _, _, err := parseUser(bad); err == nil {
			t.Errorf("parseUser(%q): no error", bad)
		}
	}
}

func TestRunErrors(t *testing.T) {
	var out bytes.Buffer
	for _, args := range [][]string{nil, {"bogus"}, {"run", "--dir", t.TempDir()}, {"exec", "--pod", "a/b/c", "--", "sh"}} {
		if err := Run(args, &out); err == nil {
			t.Errorf("Run(%q): no error", args)
		}
	}
	out.Reset()
	if err := Run([]string{"fields"}, &out); err != nil || !strings.Contains(out.String(), "hostPID") {
		t.Errorf("fields: %v\n%s", err, out.String())
	}
}
