package cri

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// slowRuntime answers status calls after a delay, counting how many are in
// flight; IDs starting "gone" are NotFound, "bad" fail otherwise, and the
// status of cancelAt cancels the caller's context.
type slowRuntime struct {
	runtimeapi.RuntimeServiceClient
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeapi.Container
	cancelAt   string
	cancel     context.CancelFunc

	mu               sync.Mutex
	inFlight, maxIn  int
	sbCalls, ctCalls int
}

func (r *slowRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest, ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error) {
	return &runtimeapi.ListPodSandboxResponse{Items: r.sandboxes}, nil
}

func (r *slowRuntime) ListContainers(context.Context, *runtimeapi.ListContainersRequest, ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error) {
	return &runtimeapi.ListContainersResponse{Containers: r.containers}, nil
}

func (r *slowRuntime) enter(ctx context.Context, id string, calls *int) error {
	r.mu.Lock()
	r.inFlight++
	r.maxIn = max(r.maxIn, r.inFlight)
	*calls++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inFlight--
		r.mu.Unlock()
	}()
	if id == r.cancelAt {
		r.cancel()
		return status.FromContextError(ctx.Err()).Err()
	}
	time.Sleep(2 * time.Millisecond)
	switch {
	case id[:4] == "gone":
		return status.Errorf(codes.NotFound, "could not find %q", id)
	case id[:3] == "bad":
		return status.Errorf(codes.Internal, "cannot read %q", id)
	}
	return nil
}

func (r *slowRuntime) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest, _ ...grpc.CallOption) (*runtimeapi.PodSandboxStatusResponse, error) {
	if err := r.enter(ctx, req.GetPodSandboxId(), &r.sbCalls); err != nil {
		return nil, err
	}
	info := `{"pid": 100}`
	return &runtimeapi.PodSandboxStatusResponse{Status: &runtimeapi.PodSandboxStatus{Id: req.GetPodSandboxId(), State: runtimeapi.PodSandboxState_SANDBOX_READY}, Info: map[string]string{"info": info}}, nil
}

func (r *slowRuntime) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ContainerStatusResponse, error) {
	if err := r.enter(ctx, req.GetContainerId(), &r.ctCalls); err != nil {
		return nil, err
	}
	info := `{"pid": 200}`
	return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: req.GetContainerId(), State: runtimeapi.ContainerState_CONTAINER_RUNNING}, Info: map[string]string{"info": info}}, nil
}

// newSlowRuntime lists n sandboxes and n containers, one per pod; every
// tenth sandbox and container is gone, every seventh container is bad.
func newSlowRuntime(n int) *slowRuntime {
	r := &slowRuntime{}
	for i := range n {
		sb, ctr := fmt.Sprintf("sb-%03d", i), fmt.Sprintf("ct-%03d", i)
		if i%10 == 3 {
			sb, ctr = "gone-"+sb, "gone-"+ctr
		} else if i%7 == 5 {
			ctr = "bad-" + ctr
		}
		pod := &runtimeapi.PodSandboxMetadata{Name: fmt.Sprintf("pod-%03d", i), Namespace: "ns", Uid: sb}
		r.sandboxes = append(r.sandboxes, &runtimeapi.PodSandbox{Id: sb, Metadata: pod, State: runtimeapi.PodSandboxState_SANDBOX_READY})
		r.containers = append(r.containers, &runtimeapi.Container{Id: ctr, PodSandboxId: sb, State: runtimeapi.ContainerState_CONTAINER_RUNNING,
			Metadata: &runtimeapi.ContainerMetadata{Name: "main"}})
	}
	return r
}

// Snapshot reads statuses concurrently, at most statusWorkers at a time,
// and the result is what reading them one by one gives: sorted, the
// vanished left out, the unreadable kept with their StatusError.
func TestSnapshotConcurrentStatuses(t *testing.T) {
	const n = 60
	rt := newSlowRuntime(n)
	c := newClient(rt, time.Second, nil)
	snap, err := c.Snapshot(context.Background(), ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rt.sbCalls != n || rt.ctCalls != n {
		t.Errorf("%d sandbox and %d container status calls, want %d each", rt.sbCalls, rt.ctCalls, n)
	}
	if rt.maxIn < 2 || rt.maxIn > statusWorkers {
		t.Errorf("%d status calls in flight at most, want 2..%d", rt.maxIn, statusWorkers)
	}
	var wantSbs, wantCtrs, bad int
	for i := range n {
		if i%10 != 3 {
			wantSbs++
			wantCtrs++
			if i%7 == 5 {
				bad++
			}
		}
	}
	if len(snap.Sandboxes) != wantSbs || len(snap.Containers) != wantCtrs {
		t.Fatalf("%d sandboxes, %d containers; want %d, %d", len(snap.Sandboxes), len(snap.Containers), wantSbs, wantCtrs)
	}
	for i, sb := range snap.Sandboxes {
		if i > 0 && snap.Sandboxes[i-1].Pod.Name >= sb.Pod.Name {
			t.Errorf("sandboxes out of order at %d: %s after %s", i, sb.Pod.Name, snap.Sandboxes[i-1].Pod.Name)
		}
		if sb.PID != 100 || sb.StatusError != nil {
			t.Errorf("sandbox %s: pid %d, error %v", sb.ID, sb.PID, sb.StatusError)
		}
	}
	for i, ctr := range snap.Containers {
		if i > 0 && snap.Containers[i-1].Pod.Name >= ctr.Pod.Name {
			t.Errorf("containers out of order at %d: %s after %s", i, ctr.Pod.Name, snap.Containers[i-1].Pod.Name)
		}
		if ctr.Pod.Name != "pod-"+ctr.SandboxID[len(ctr.SandboxID)-3:] {
			t.Errorf("container %s is in pod %s, sandbox %s", ctr.ID, ctr.Pod.Name, ctr.SandboxID)
		}
		if (ctr.StatusError != nil) != (ctr.ID[:3] == "bad") || (ctr.StatusError == nil && ctr.PID != 200) {
			t.Errorf("container %s: pid %d, error %v", ctr.ID, ctr.PID, ctr.StatusError)
		}
		if ctr.StatusError != nil {
			bad--
		}
	}
	if bad != 0 {
		t.Errorf("%d unreadable containers missing", bad)
	}
}

// The caller giving up mid-snapshot is an error, not a partial snapshot.
func TestSnapshotCanceledMidway(t *testing.T) {
	rt := newSlowRuntime(40)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt.cancelAt, rt.cancel = "ct-011", cancel
	c := newClient(rt, time.Second, nil)
	snap, err := c.Snapshot(ctx, ListOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Snapshot error = %v, want a cancellation error", err)
	}
	if snap != nil {
		t.Errorf("a partial snapshot came back with the error: %d containers", len(snap.Containers))
	}
}
