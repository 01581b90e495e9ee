package declared

import (
	"os"
	"testing"
)

func TestNodeName(t *testing.T) {
	host, _ := os.Hostname()
	t.Setenv("NODE_NAME", "")
	if got := NodeName(""); got != host {
		t.Errorf("no flag, no NODE_NAME: %q, want the host name %q", got, host)
	}
	t.Setenv("NODE_NAME", "node-a")
	if got := NodeName(""); got != "node-a" {
		t.Errorf("NODE_NAME set: %q, want node-a", got)
	}
	if got := NodeName("node-b"); got != "node-b" {
		t.Errorf("explicit name: %q, want node-b", got)
	}
}
