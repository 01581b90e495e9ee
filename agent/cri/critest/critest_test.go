package critest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/cri"
)

// fake is an in-process CRI runtime service over a fixed state.
type fake struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	version    *runtimeapi.VersionResponse
	sandboxes  []*runtimeapi.PodSandbox
	containers []*runtimeapi.Container
	sbStatus   map[string]*runtimeapi.PodSandboxStatusResponse
	ctrStatus  map[string]*runtimeapi.ContainerStatusResponse
}

func (f *fake) Version(context.Context, *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return f.version, nil
}

func (f *fake) ListPodSandbox(_ context.Context, r *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	out := &runtimeapi.ListPodSandboxResponse{}
	for _, sb := range f.sandboxes {
		if st := r.GetFilter().GetState(); st == nil || st.GetState() == sb.GetState() {
			out.Items = append(out.Items, sb)
		}
	}
	return out, nil
}

func (f *fake) ListContainers(_ context.Context, r *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	out := &runtimeapi.ListContainersResponse{}
	for _, c := range f.containers {
		if st := r.GetFilter().GetState(); st == nil || st.GetState() == c.GetState() {
			out.Containers = append(out.Containers, c)
		}
	}
	return out, nil
}

func (f *fake) PodSandboxStatus(_ context.Context, r *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	st, ok := f.sbStatus[r.GetPodSandboxId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no sandbox %q", r.GetPodSandboxId())
	}
	if !r.GetVerbose() {
		return &runtimeapi.PodSandboxStatusResponse{Status: st.GetStatus()}, nil
	}
	return st, nil
}

func (f *fake) ContainerStatus(_ context.Context, r *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	st, ok := f.ctrStatus[r.GetContainerId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "no container %q", r.GetContainerId())
	}
	if !r.GetVerbose() {
		return &runtimeapi.ContainerStatusResponse{Status: st.GetStatus()}, nil
	}
	return st, nil
}

// newFake serves the containerd 1.6.20 fixtures of agent/cri: a ready
// sandbox with a running container, plus an exited container, a
// not-ready sandbox, and a container removed between the listing and its
// status (listed, no status).
func newFake(t *testing.T) *fake {
	t.Helper()
	dir := filepath.Join("..", "testdata", "containerd-1.6.20")
	f := &fake{
		version:   &runtimeapi.VersionResponse{},
		sbStatus:  map[string]*runtimeapi.PodSandboxStatusResponse{},
		ctrStatus: map[string]*runtimeapi.ContainerStatusResponse{},
	}
	readJSON(t, filepath.Join(dir, "version.json"), f.version)
	sb, ctr := &runtimeapi.PodSandboxStatus{}, &runtimeapi.ContainerStatus{}
	readJSON(t, filepath.Join(dir, "sandbox_status.json"), sb)
	readJSON(t, filepath.Join(dir, "container_status.json"), ctr)
	sbInfo, ctrInfo := readFile(t, filepath.Join(dir, "sandbox_info.json")), readFile(t, filepath.Join(dir, "container_info.json"))

	sb.State = runtimeapi.PodSandboxState_SANDBOX_READY
	f.sandboxes = append(f.sandboxes, &runtimeapi.PodSandbox{
		Id: sb.GetId(), Metadata: sb.GetMetadata(), State: sb.GetState(), CreatedAt: sb.GetCreatedAt(),
		Labels: sb.GetLabels(), Annotations: sb.GetAnnotations(),
	})
	f.sbStatus[sb.GetId()] = &runtimeapi.PodSandboxStatusResponse{Status: sb, Info: map[string]string{"info": sbInfo}}

	old := proto.Clone(sb).(*runtimeapi.PodSandboxStatus)
	old.Id, old.State = "old-sandbox", runtimeapi.PodSandboxState_SANDBOX_NOTREADY
	f.sandboxes = append(f.sandboxes, &runtimeapi.PodSandbox{Id: old.Id, Metadata: old.Metadata, State: old.State, Labels: old.Labels})
	f.sbStatus[old.Id] = &runtimeapi.PodSandboxStatusResponse{Status: old}

	add := func(id string, state runtimeapi.ContainerState, withStatus bool) {
		st := proto.Clone(ctr).(*runtimeapi.ContainerStatus)
		st.Id, st.State = id, state
		f.containers = append(f.containers, &runtimeapi.Container{
			Id: id, PodSandboxId: sb.GetId(), Metadata: st.GetMetadata(), Image: st.GetImage(), ImageRef: st.GetImageRef(),
			State: state, CreatedAt: st.GetCreatedAt(), Labels: st.GetLabels(), Annotations: st.GetAnnotations(),
		})
		if withStatus {
			f.ctrStatus[id] = &runtimeapi.ContainerStatusResponse{Status: st, Info: map[string]string{"info": ctrInfo}}
		}
	}
	add(ctr.GetId(), runtimeapi.ContainerState_CONTAINER_RUNNING, true)
	add("exited-one", runtimeapi.ContainerState_CONTAINER_EXITED, true)
	add("removed-meanwhile", runtimeapi.ContainerState_CONTAINER_RUNNING, false)
	return f
}

// dial serves f over an in-memory connection.
func dial(t *testing.T, f runtimeapi.RuntimeServiceServer) runtimeapi.RuntimeServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return runtimeapi.NewRuntimeServiceClient(conn)
}

var info = cri.Info{Name: "containerd", Version: "1.6.20~ds1", APIVersion: "v1", Endpoint: "unix:///run/containerd/containerd.sock"}

// snapshotOpts compares snapshots: protobuf messages by content, errors
// by message.
var snapshotOpts = cmp.Options{
	protocmp.Transform(),
	cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) }),
}

// TestRecordReplay: a capture recorded from a runtime, saved and loaded,
// replays into the same snapshot as the runtime gives, running-only and
// with every state.
func TestRecordReplay(t *testing.T) {
	ctx := context.Background()
	live := dial(t, newFake(t))
	c, err := Record(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sandboxes) != 2 || len(c.Containers) != 3 || len(c.ContainerStatuses) != 2 || len(c.SandboxStatuses) != 2 {
		t.Fatalf("capture: %d sandboxes (%d statuses), %d containers (%d statuses); want 2 (2), 3 (2)",
			len(c.Sandboxes), len(c.SandboxStatuses), len(c.Containers), len(c.ContainerStatuses))
	}
	path := filepath.Join(t.TempDir(), "cri.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, loaded, protocmp.Transform()); diff != "" {
		t.Errorf("loaded capture differs (-saved +loaded):\n%s", diff)
	}
	// Served over gRPC (NewServer), the replay records the same capture.
	again, err := Record(ctx, dial(t, NewServer(loaded)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, again, protocmp.Transform()); diff != "" {
		t.Errorf("capture recorded from the served replay differs (-live +served):\n%s", diff)
	}
	for _, all := range []bool{false, true} {
		want, err := cri.NewClient(live, info, 0, nil).Snapshot(ctx, cri.ListOptions{All: all})
		if err != nil {
			t.Fatal(err)
		}
		got, err := cri.NewClient(Replay(loaded), info, 0, nil).Snapshot(ctx, cri.ListOptions{All: all})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, snapshotOpts); diff != "" {
			t.Errorf("All=%v: replayed snapshot differs (-live +replay):\n%s", all, diff)
		}
		wantCtrs := map[bool]int{false: 1, true: 2}[all]
		if len(got.Containers) != wantCtrs || got.Containers[0].PID == 0 || got.Containers[0].Spec == nil {
			t.Errorf("All=%v: %d containers (want %d, the removed one left out), first %+v", all, len(got.Containers), wantCtrs, got.Containers[0])
		}
	}
}

// TestSaveStable: saving a loaded capture gives the same bytes.
func TestSaveStable(t *testing.T) {
	c, err := Record(context.Background(), dial(t, newFake(t)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	if err := c.Save(a); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Save(b); err != nil {
		t.Fatal(err)
	}
	if x, y := readFile(t, a), readFile(t, b); x != y {
		t.Errorf("a saved capture, loaded and saved again, changed:\n%s", cmp.Diff(x, y))
	}
}

// TestReplayAnswers: filters, NotFound for a container without a status,
// no verbose info unless asked, copies rather than the capture itself.
func TestReplayAnswers(t *testing.T) {
	ctx := context.Background()
	c, err := Record(ctx, dial(t, newFake(t)))
	if err != nil {
		t.Fatal(err)
	}
	c.OtherTasks = []cri.Task{{ID: "hidden-1", Namespace: "containerd:default", PID: 4242}}
	r := Replay(c)
	running := &runtimeapi.ContainerFilter{State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}
	ls, err := r.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: running})
	if err != nil || len(ls.GetContainers()) != 2 {
		t.Fatalf("running containers: %d, %v; want 2", len(ls.GetContainers()), err)
	}
	ls.Containers[0].Id = "changed"
	if c.Containers[0].GetId() == "changed" {
		t.Error("ListContainers returned the capture's own message")
	}
	_, err = r.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: "removed-meanwhile", Verbose: true})
	if status.Code(err) != codes.NotFound {
		t.Errorf("status of a container without one: %v, want NotFound", err)
	}
	id := c.Containers[0].GetId()
	st, err := r.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
	if err != nil || st.GetInfo() != nil || st.GetStatus().GetId() != id {
		t.Errorf("non-verbose status: %v, %v: want the status without info", st, err)
	}
	sbs, err := r.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		State: &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY}}})
	if err != nil || len(sbs.GetItems()) != 1 {
		t.Errorf("ready sandboxes: %d, %v; want 1", len(sbs.GetItems()), err)
	}
	rt := NewRuntime(c, c.Info("unix:///run/containerd/containerd.sock"), nil)
	tasks, err := rt.OtherTasks(ctx)
	if err != nil || len(tasks) != 1 || tasks[0].PID != 4242 {
		t.Errorf("OtherTasks = %v, %v", tasks, err)
	}
	if got := rt.Info(); got.Name != "containerd" || got.Version != "1.6.20~ds1" || got.Socket != "" {
		t.Errorf("Info = %+v", got)
	}
	path := filepath.Join(t.TempDir(), "cri.json")
	if err := c.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil || !cmp.Equal(loaded.OtherTasks, c.OtherTasks) {
		t.Errorf("tasks after a round trip: %v, %v", loaded.OtherTasks, err)
	}
}

func TestLoadRejectsUnknownFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cri.json")
	if err := os.WriteFile(path, []byte(`{"version": {}, "sandboxs": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil {
		t.Error("a misspelt key loaded without error")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
