package integration

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/crifilter"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// TestCRIFilter: through the read-only gate the audit is the same as on
// the runtime's own socket (CRI and containerd's other namespaces alike),
// while every call that could start or change a container is refused.
func TestCRIFilter(t *testing.T) {
	lab := harness.SharedLab(t)
	sock := filepath.Join(t.TempDir(), "cri.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f, err := crifilter.New(lab.Address(), nil)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Serve(ln) }()
	t.Cleanup(f.Stop)

	p, _ := launch(t, lab, podYAML("filter-exec", "  securityContext: {runAsUser: 1000}\n  containers:\n"+sleeper))
	pid, err := p.ExecAs(t.Context(), "main", 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	archives, err := harness.BuildImages(harness.DefaultCacheDir())
	if err != nil {
		t.Fatal(err)
	}
	ctr := func(args ...string) error {
		return exec.Command("ctr", append([]string{"-a", lab.Address(), "-n", "rtaudit-filter"}, args...)...).Run()
	}
	if err := ctr("images", "import", archives.Busybox); err != nil {
		t.Fatal(err)
	}
	if err := ctr("run", "-d", harness.BusyboxImage, "filter-hidden", "sleep", "3600"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = ctr("task", "kill", "-s", "KILL", "filter-hidden")
		_ = ctr("task", "rm", "-f", "filter-hidden")
		_ = ctr("container", "rm", "filter-hidden")
	})

	o := scan.Options{}
	o.Runtime.Endpoint = "unix://" + sock
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := scan.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	var exec0, hidden bool
	for _, fd := range r.Findings {
		exec0 = exec0 || (fd.Pod == "filter-exec" && fd.Check == checks.RunAsUser && fd.PID == pid)
		hidden = hidden || (fd.Check == checks.UndeclaredContainer && fd.ContainerID == "filter-hidden" && fd.Namespace == "containerd:rtaudit-filter")
	}
	if !exec0 || !hidden {
		t.Errorf("through the filter: exec finding %v, other-namespace task %v:%s", exec0, hidden, dump(r))
	}

	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	_, err = rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "evil", Namespace: "default", Uid: "evil"}}})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("RunPodSandbox through the filter: %v, want PermissionDenied", err)
	}
	id, err := p.ContainerID("main")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"id"}})
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(err.Error(), "not a read call") {
		t.Errorf("ExecSync through the filter: %v, want PermissionDenied", err)
	}
}
