package cli

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWaitSocket: --wait-runtime returns once the socket accepts (it
// appears later, as a sidecar's does) and fails in one line when it never
// does.
func TestWaitSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cri.sock")
	ready := make(chan net.Listener)
	go func() {
		time.Sleep(300 * time.Millisecond)
		l, err := net.Listen("unix", path)
		if err != nil {
			t.Error(err)
		}
		ready <- l
	}()
	if err := waitSocket(context.Background(), "unix://"+path, time.Minute); err != nil {
		t.Fatal(err)
	}
	(<-ready).Close()
	err := waitSocket(context.Background(), "unix://"+filepath.Join(t.TempDir(), "never.sock"), 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "did not accept a connection within 200ms") {
		t.Errorf("never: %v", err)
	}
	if code, _, errOut := run("scan", "--in-cluster", "--pods", "x.yaml"); code != ExitError || !strings.Contains(errOut, "exclusive") {
		t.Errorf("--in-cluster --pods: exit %d %q", code, errOut)
	}
}
