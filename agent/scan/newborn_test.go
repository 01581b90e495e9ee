package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// TestNewbornNotJudged: processes outside every audited container that
// started after the runtime was listed (by the kernel's start time against
// the uptime read just before the listing) are left to the next scan and
// counted in a note; with the listing after their start they are reported
// as hidden, as before.
func TestNewbornNotJudged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		offset  int64 // uptime at the listing, in ticks relative to the group's start
		hidden  bool
		newborn bool
	}{
		{"listed after the group started", +100, true, false},
		{"listed before the group started", -100, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := load(t, "hidden")
			unshare := c.byComm(t, "unshare")
			if len(unshare) != 1 {
				t.Fatalf("unshare %v: want one in the capture", unshare)
			}
			p, err := c.fs.Probe(unshare[0])
			if err != nil {
				t.Fatal(err)
			}
			at := int64(p.StartTime) + tc.offset
			uptime := fmt.Sprintf("%d.%02d 0.00\n", at/100, at%100)
			if err := os.WriteFile(filepath.Join(c.fs.Root(), "uptime"), []byte(uptime), 0o644); err != nil {
				t.Fatal(err)
			}
			r := c.scan(t, c.pods)
			var found bool
			for _, f := range r.Findings {
				if f.Check == checks.UndeclaredContainer && f.PID == unshare[0] {
					found = true
				}
			}
			var noted bool
			for _, n := range r.Notes {
				noted = noted || strings.Contains(n, "started during the scan")
			}
			if found != tc.hidden || noted != tc.newborn {
				t.Errorf("unshare group (pid %s, start %d ticks, uptime %q): reported %v noted %v; want %v %v; notes %q",
					strconv.Itoa(unshare[0]), p.StartTime, uptime, found, noted, tc.hidden, tc.newborn, r.Notes)
			}
		})
	}
}
