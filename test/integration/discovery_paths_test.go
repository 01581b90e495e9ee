package integration

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// Containerd17Env names a containerd 1.7 binary (test/containerd-1.7.sh
// builds it, its shim beside it) for TestDiscoverContainerd17;
// RequireContainerd17Env=1 (make test-containerd-1.7) makes its absence a
// failure.
const (
	Containerd17Env        = "RTAUDIT_CONTAINERD17"
	RequireContainerd17Env = "RTAUDIT_REQUIRE_CONTAINERD17"
)

// discoverAt starts a private containerd (binary, "" for the lab's) whose
// socket sits at socket under a fresh host root, then checks that the
// scan, given that host root and no endpoint, finds it at that endpoint
// among the default ones, reports its name and version, and audits a
// compliant pod with no finding.
func discoverAt(t *testing.T, binary, socket string) cri.Info {
	t.Helper()
	if err := harness.Available(); err != nil {
		if os.Getenv(harness.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	hostRoot, err := os.MkdirTemp("/var/tmp", "rtaudit-disc-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(hostRoot) })
	dir := filepath.Join(hostRoot, filepath.Dir(strings.TrimPrefix(socket, "unix://")))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := harness.StartLab(ctx, harness.Options{Dir: dir, Binary: binary}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Stop(); err != nil {
			t.Error(err)
		}
	})
	if got := filepath.Join(hostRoot, strings.TrimPrefix(socket, "unix://")); lab.Address() != got {
		t.Fatalf("lab socket %s, want %s", lab.Address(), got)
	}
	c, err := cri.Dial(ctx, cri.DialOptions{HostRoot: hostRoot})
	if err != nil {
		t.Fatal(err)
	}
	info := c.Info()
	c.Close()
	if info.Endpoint != socket || info.Name != "containerd" {
		t.Errorf("found %+v, want containerd at %s", info, socket)
	}

	yaml := podYAML("discovered", "  containers:\n"+mx.Sleeper)
	manifest, err := harness.ParsePod([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	p, err := lab.Launcher.Run(ctx, manifest.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Delete(context.Background()) })
	pid, err := p.PID(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	waitExec(t, pid)
	r, err := scan.Run(ctx, scan.Options{
		Runtime:  cri.DialOptions{HostRoot: hostRoot},
		Declared: declared.NewIndex(expect.OriginManifest, []*corev1.Pod{manifest}),
		Filter:   scan.Filter{Namespace: "default", Pod: "discovered"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Containers) != 1 || len(r.Errors) != 0 {
		t.Fatalf("containers %+v, errors %+v: want the pod's one container", r.Containers, r.Errors)
	}
	if d := drifts(r); len(d) != 0 {
		t.Errorf("findings %v, want none:%s", d, dump(r))
	}
	return info
}

// TestDiscoverK3sSocket: k3s's embedded containerd
// (/run/k3s/containerd/containerd.sock) is found among the default
// endpoints when nothing answers before it.
func TestDiscoverK3sSocket(t *testing.T) {
	const k3s = "unix:///run/k3s/containerd/containerd.sock"
	if !slices.Contains(cri.DefaultEndpoints, k3s) {
		t.Fatalf("%s is not a default endpoint", k3s)
	}
	discoverAt(t, "", k3s)
}

// TestDiscoverContainerd17: containerd 1.7 (built from the module proxy)
// at the default socket is found and named, and a compliant pod on it
// audits clean.
func TestDiscoverContainerd17(t *testing.T) {
	bin := os.Getenv(Containerd17Env)
	if bin == "" {
		msg := Containerd17Env + " is not set (bash test/containerd-1.7.sh builds it; make test-containerd-1.7)"
		if os.Getenv(RequireContainerd17Env) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	info := discoverAt(t, bin, cri.DefaultEndpoints[0])
	if !strings.HasPrefix(strings.TrimPrefix(info.Version, "v"), "1.7.") {
		t.Errorf("version %q, want 1.7.x", info.Version)
	}
	t.Logf("found %s %s at %s", info.Name, info.Version, info.Endpoint)
}
