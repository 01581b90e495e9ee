//go:build linux

package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/cri/critest"
	"github.com/rtaudit/rtaudit/probes/probetest"
)

// serveCapture serves a captured scenario of agent/scan/testdata over a
// unix socket, as containerd would, and materialises its proc tree; it
// returns the endpoint, the proc root and the scenario's manifests.
func serveCapture(t *testing.T, scenario string) (endpoint, procRoot, pods string) {
	t.Helper()
	dir := filepath.Join("..", "scan", "testdata", scenario)
	c, err := critest.Load(filepath.Join(dir, "cri.json"))
	if err != nil {
		t.Fatal(err)
	}
	sockDir, err := os.MkdirTemp("", "rtaudit-explain") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "cri.sock")
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, critest.NewServer(c))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	fs := probetest.Materialise(t, dir)
	return "unix://" + sock, fs.Root(), filepath.Join(dir, "pods.yaml")
}

// TestScanTableOnCapture: the oci-drift capture's capability finding
// reads by name in the table, and its SARIF points at the manifest.
func TestScanTableOnCapture(t *testing.T) {
	endpoint, procRoot, pods := serveCapture(t, "oci-drift")
	flags := []string{"--runtime-endpoint", endpoint, "--proc-root", procRoot, "--pods", pods}
	code, out, errOut := run(append([]string{"scan", "-o", "wide"}, flags...)...)
	if code != ExitClean {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "capabilities  critical  oci") || !strings.Contains(out, "+CAP_SYS_ADMIN") || strings.Contains(out, "00000000a8") {
		t.Errorf("the capability drift is not shown by name:\n%s", out)
	}
	code, out, errOut = run(append([]string{"scan", "-o", "sarif"}, flags...)...)
	if code != ExitClean {
		t.Fatalf("-o sarif: exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{`"ruleId": "capabilities"`, `"fullyQualifiedName": "default/`, `"uri": "../scan/testdata/oci-drift/pods.yaml"`} {
		if !strings.Contains(out, want) {
			t.Errorf("SARIF lacks %s:\n%s", want, out)
		}
	}
}
