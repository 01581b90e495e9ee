package cri

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

var webPod = PodRef{Name: "web", Namespace: "team-a", UID: "8f1c2d3e-1111-2222-3333-444455556666"}

func TestSnapshotFixtures(t *testing.T) {
	for _, tc := range []struct {
		dir        string
		runtime    string
		pid        int
		sandboxPID int
		wantConfig bool
		image      string
	}{
		{dir: "containerd-1.6.20", runtime: "containerd", pid: 12153, sandboxPID: 12107, wantConfig: true, image: "rtaudit.local/busybox:1"},
		{dir: "containerd-2.4.2", runtime: "containerd", pid: 20295, sandboxPID: 20253, wantConfig: true, image: "rtaudit.local/busybox:1"},
		// CRI-O drops the infra container of a pod whose pid namespace is
		// CONTAINER: the sandbox has no process.
		{dir: "cri-o-1.34.0", runtime: "cri-o", pid: 14150, image: "rtaudit.local/busybox:test"},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			f := newFake()
			loadFixture(t, filepath.Join("testdata", tc.dir)).install(f)
			c := dialFake(t, f)
			snap, err := c.Snapshot(context.Background(), ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if snap.Runtime.Name != tc.runtime {
				t.Errorf("runtime = %q, want %q", snap.Runtime.Name, tc.runtime)
			}
			if len(snap.Sandboxes) != 1 || len(snap.Containers) != 1 {
				t.Fatalf("got %d sandboxes, %d containers; want 1, 1", len(snap.Sandboxes), len(snap.Containers))
			}
			sb, ctr := snap.Sandboxes[0], snap.Containers[0]
			if sb.StatusError != nil || ctr.StatusError != nil {
				t.Fatalf("status errors: %v, %v", sb.StatusError, ctr.StatusError)
			}
			if sb.Pod != webPod || sb.State != "ready" || sb.PID != tc.sandboxPID || sb.Spec == nil {
				t.Errorf("sandbox = pod %+v state %s pid %d spec %v", sb.Pod, sb.State, sb.PID, sb.Spec != nil)
			}
			if sb.NamespaceOptions.GetPid() != runtimeapi.NamespaceMode_CONTAINER {
				t.Errorf("sandbox namespace options = %v", sb.NamespaceOptions)
			}
			if (sb.Config != nil) != tc.wantConfig {
				t.Errorf("sandbox config present = %v", sb.Config != nil)
			}
			if ctr.Pod != webPod || ctr.Name != "app" || ctr.State != "running" || ctr.PID != tc.pid || ctr.SandboxID != sb.ID {
				t.Errorf("container = pod %+v name %q state %s pid %d sandbox %s", ctr.Pod, ctr.Name, ctr.State, ctr.PID, ctr.SandboxID)
			}
			if ctr.Image != tc.image || ctr.Spec == nil || ctr.CreatedAt.IsZero() {
				t.Errorf("container image %q spec %v created %v", ctr.Image, ctr.Spec != nil, ctr.CreatedAt)
			}
			if tc.wantConfig {
				checkContainerConfig(t, ctr.Config)
			} else if ctr.Config != nil || ctr.Privileged == nil {
				t.Errorf("CRI-O: config %v (want nil), privileged %v (want reported)", ctr.Config, ctr.Privileged)
			}
		})
	}
}

// twoPodFake serves the containerd 2.4.2 fixture plus objects that go
// wrong in every way Snapshot must survive.
func twoPodFake(t *testing.T) *fakeRuntime {
	f := newFake()
	fx := loadFixture(t, filepath.Join("testdata", "containerd-2.4.2"))
	fx.install(f)
	sbID := fx.sandbox.GetId()
	running := runtimeapi.ContainerState_CONTAINER_RUNNING
	// Listed, then gone before its status was read.
	f.addContainer(&runtimeapi.Container{Id: "gone", PodSandboxId: sbID, State: running}, nil)
	// Status fails for another reason: kept, with the error.
	f.addContainer(&runtimeapi.Container{Id: "broken", PodSandboxId: sbID, State: running,
		Metadata: &runtimeapi.ContainerMetadata{Name: "broken"}, Labels: map[string]string{LabelContainerName: "broken"}}, nil)
	f.statusErr["broken"] = status.Error(codes.Internal, "failed to get container runtime spec")
	// No kubelet labels: pod identity from the sandbox's metadata.
	f.addContainer(&runtimeapi.Container{Id: "nolabels", PodSandboxId: sbID, State: running, Metadata: &runtimeapi.ContainerMetadata{Name: "bare"}},
		&runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: "nolabels", State: running, Metadata: &runtimeapi.ContainerMetadata{Name: "bare"}},
			Info: map[string]string{"info": `{"pid": 4242, "sandboxID": "` + sbID + `"}`}})
	// Exited: only with All; its pid is not reported.
	f.addContainer(&runtimeapi.Container{Id: "exited", PodSandboxId: sbID, State: runtimeapi.ContainerState_CONTAINER_EXITED, Labels: map[string]string{LabelContainerName: "done"}},
		&runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: "exited", State: runtimeapi.ContainerState_CONTAINER_EXITED},
			Info: map[string]string{"info": `{"pid": 99}`}})
	// A not-ready sandbox, and a sandbox gone mid-listing.
	f.sandboxes = append(f.sandboxes,
		&runtimeapi.PodSandbox{Id: "old", State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY, Metadata: &runtimeapi.PodSandboxMetadata{Name: "old", Namespace: "a"}},
		&runtimeapi.PodSandbox{Id: "vanished", State: runtimeapi.PodSandboxState_SANDBOX_READY, Metadata: &runtimeapi.PodSandboxMetadata{Name: "v", Namespace: "a"}})
	f.sbStatus["old"] = &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{Id: "old", State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		Metadata: &runtimeapi.PodSandboxMetadata{Name: "old", Namespace: "a"}}}
	return f
}

func TestSnapshotSurvivesVanishingAndBrokenObjects(t *testing.T) {
	c := dialFake(t, twoPodFake(t))
	snap, err := c.Snapshot(context.Background(), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Container{}
	for _, ctr := range snap.Containers {
		byID[ctr.ID] = ctr
	}
	if _, ok := byID["gone"]; ok {
		t.Error("container gone mid-listing was kept")
	}
	if _, ok := byID["exited"]; ok {
		t.Error("exited container listed without All")
	}
	broken, ok := byID["broken"]
	if !ok || broken.StatusError == nil || !strings.Contains(broken.StatusError.Error(), "runtime spec") || broken.Name != "broken" || broken.PID != 0 {
		t.Errorf("broken container = %+v", broken)
	}
	bare := byID["nolabels"]
	if bare.Pod != webPod || bare.Name != "bare" || bare.PID != 4242 {
		t.Errorf("unlabelled container: pod %+v name %q pid %d; want pod from sandbox metadata", bare.Pod, bare.Name, bare.PID)
	}
	if len(snap.Sandboxes) != 1 || snap.Sandboxes[0].Pod != webPod {
		t.Errorf("sandboxes = %+v; want only the ready web one (vanished dropped, old not ready)", snap.Sandboxes)
	}
	// Sorted: same pod, so by container name.
	var names []string
	for _, ctr := range snap.Containers {
		names = append(names, ctr.Name)
	}
	if got := strings.Join(names, ","); got != "app,bare,broken" {
		t.Errorf("container order = %s", got)
	}

	all, err := c.Snapshot(context.Background(), ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	var exited *Container
	for i := range all.Containers {
		if all.Containers[i].ID == "exited" {
			exited = &all.Containers[i]
		}
	}
	if exited == nil || exited.State != "exited" || exited.PID != 0 || exited.Pod != webPod {
		t.Errorf("All: exited container = %+v", exited)
	}
	if len(all.Sandboxes) != 2 {
		t.Errorf("All: %d sandboxes, want 2 (web, old)", len(all.Sandboxes))
	}
}

func TestContainerByID(t *testing.T) {
	c := dialFake(t, twoPodFake(t))
	ctx := context.Background()
	fx := loadFixture(t, filepath.Join("testdata", "containerd-2.4.2"))

	ctr, err := c.ContainerByID(ctx, fx.container.GetId())
	if err != nil {
		t.Fatal(err)
	}
	if ctr.Pod != webPod || ctr.PID != 20295 || ctr.SandboxID != fx.sandbox.GetId() {
		t.Errorf("ContainerByID = pod %+v pid %d sandbox %s", ctr.Pod, ctr.PID, ctr.SandboxID)
	}
	checkContainerConfig(t, ctr.Config)

	bare, err := c.ContainerByID(ctx, "nolabels")
	if err != nil || bare.Pod != webPod {
		t.Errorf("unlabelled: %+v, %v; want pod from the sandbox", bare.Pod, err)
	}
	if _, err := c.ContainerByID(ctx, "gone"); !errors.Is(err, ErrNotFound) {
		t.Errorf("gone container: err = %v, want ErrNotFound", err)
	}
	if _, err := c.ContainerByID(ctx, ""); err == nil {
		t.Error("empty ID accepted")
	}
}

func TestSnapshotListFailureIsAnError(t *testing.T) {
	f := newFake()
	c := dialFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Snapshot(ctx, ListOptions{}); err == nil {
		t.Error("Snapshot with a cancelled context succeeded")
	}
}
