package cri

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// fakeRuntime is a CRI RuntimeService serving fixture answers; methods it
// does not override answer Unimplemented, as a real gRPC server does.
type fakeRuntime struct {
	runtimeapi.UnimplementedRuntimeServiceServer

	mu           sync.Mutex
	version      *runtimeapi.VersionResponse
	sandboxes    []*runtimeapi.PodSandbox
	containers   []*runtimeapi.Container
	sbStatus     map[string]*runtimeapi.PodSandboxStatusResponse
	ctrStatus    map[string]*runtimeapi.ContainerStatusResponse
	statusErr    map[string]error // per container or sandbox ID
	versionDelay time.Duration

	// events: nil answers Unimplemented; eventsEOF ends the stream at once.
	events    chan *runtimeapi.ContainerEventResponse
	eventsEOF bool
	streamErr []error // errors returned by the next streams, in order
	streams   int

	statusCalls int // PodSandboxStatus and ContainerStatus calls answered
}

func newFake() *fakeRuntime {
	return &fakeRuntime{
		version:   &runtimeapi.VersionResponse{Version: "0.1.0", RuntimeName: "fake", RuntimeVersion: "1.0", RuntimeApiVersion: "v1"},
		sbStatus:  map[string]*runtimeapi.PodSandboxStatusResponse{},
		ctrStatus: map[string]*runtimeapi.ContainerStatusResponse{},
		statusErr: map[string]error{},
	}
}

func (f *fakeRuntime) Version(ctx context.Context, _ *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	f.mu.Lock()
	d, v := f.versionDelay, f.version
	f.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	return v, nil
}

func (f *fakeRuntime) ListPodSandbox(context.Context, *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &runtimeapi.ListPodSandboxResponse{Items: f.sandboxes}, nil
}

func (f *fakeRuntime) ListContainers(_ context.Context, r *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*runtimeapi.Container
	for _, c := range f.containers {
		if st := r.GetFilter().GetState(); st != nil && st.GetState() != c.GetState() {
			continue
		}
		out = append(out, c)
	}
	return &runtimeapi.ListContainersResponse{Containers: out}, nil
}

func (f *fakeRuntime) PodSandboxStatus(_ context.Context, r *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statusCalls++
	if err := f.statusErr[r.GetPodSandboxId()]; err != nil {
		return nil, err
	}
	resp, ok := f.sbStatus[r.GetPodSandboxId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "could not find pod %q", r.GetPodSandboxId())
	}
	if !r.GetVerbose() {
		return &runtimeapi.PodSandboxStatusResponse{Status: resp.GetStatus()}, nil
	}
	return resp, nil
}

func (f *fakeRuntime) ContainerStatus(_ context.Context, r *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statusCalls++
	if err := f.statusErr[r.GetContainerId()]; err != nil {
		return nil, err
	}
	resp, ok := f.ctrStatus[r.GetContainerId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "could not find container %q", r.GetContainerId())
	}
	return resp, nil
}

func (f *fakeRuntime) GetContainerEvents(_ *runtimeapi.GetEventsRequest, s grpc.ServerStreamingServer[runtimeapi.ContainerEventResponse]) error {
	f.mu.Lock()
	events, eof := f.events, f.eventsEOF
	var err error
	if len(f.streamErr) > 0 {
		err, f.streamErr = f.streamErr[0], f.streamErr[1:]
	}
	f.streams++
	f.mu.Unlock()
	switch {
	case err != nil:
		return err
	case eof:
		return nil
	case events == nil:
		return status.Error(codes.Unimplemented, "method GetContainerEvents not implemented")
	}
	for {
		select {
		case ev := <-events:
			if err := s.Send(ev); err != nil {
				return err
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

// addContainer lists a container and serves its status.
func (f *fakeRuntime) addContainer(c *runtimeapi.Container, st *runtimeapi.ContainerStatusResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = append(f.containers, c)
	if st != nil {
		f.ctrStatus[c.GetId()] = st
	}
}

// setState changes a listed container's state.
func (f *fakeRuntime) setState(id string, s runtimeapi.ContainerState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.GetId() == id {
			c.State = s
		}
	}
}

// serve runs f on a unix socket at path until the test ends.
func serve(t *testing.T, path string, f runtimeapi.RuntimeServiceServer) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	lis, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	if f != nil {
		runtimeapi.RegisterRuntimeServiceServer(srv, f)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
}

// sockDir is a short temporary directory: unix socket paths are limited
// to 108 bytes and t.TempDir can be long.
func sockDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "rtcri")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

// dialFake serves f and dials it.
func dialFake(t *testing.T, f *fakeRuntime) *Client {
	t.Helper()
	sock := filepath.Join(sockDir(t), "cri.sock")
	serve(t, sock, f)
	c, err := Dial(context.Background(), DialOptions{Endpoint: "unix://" + sock, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// fixture is one runtime's captured answers under testdata/.
type fixture struct {
	version       *runtimeapi.VersionResponse
	sandbox       *runtimeapi.PodSandboxStatus
	sandboxInfo   string
	container     *runtimeapi.ContainerStatus
	containerInfo string
}

func loadFixture(t *testing.T, dir string) fixture {
	t.Helper()
	var fx fixture
	fx.version = &runtimeapi.VersionResponse{}
	fx.sandbox = &runtimeapi.PodSandboxStatus{}
	fx.container = &runtimeapi.ContainerStatus{}
	readJSON(t, filepath.Join(dir, "version.json"), fx.version)
	readJSON(t, filepath.Join(dir, "sandbox_status.json"), fx.sandbox)
	readJSON(t, filepath.Join(dir, "container_status.json"), fx.container)
	fx.sandboxInfo = readFile(t, filepath.Join(dir, "sandbox_info.json"))
	fx.containerInfo = readFile(t, filepath.Join(dir, "container_info.json"))
	return fx
}

// install makes f serve fx: one ready sandbox, one running container.
func (fx fixture) install(f *fakeRuntime) {
	f.version = fx.version
	sb, c := fx.sandbox, fx.container
	var sandboxID string
	var v containerInfo
	if err := json.Unmarshal([]byte(fx.containerInfo), &v); err == nil {
		sandboxID = v.SandboxID
	}
	f.sandboxes = append(f.sandboxes, &runtimeapi.PodSandbox{
		Id: sb.GetId(), Metadata: sb.GetMetadata(), State: sb.GetState(), CreatedAt: sb.GetCreatedAt(),
		Labels: sb.GetLabels(), Annotations: sb.GetAnnotations(), RuntimeHandler: sb.GetRuntimeHandler(),
	})
	f.sbStatus[sb.GetId()] = &runtimeapi.PodSandboxStatusResponse{Status: sb, Info: map[string]string{"info": fx.sandboxInfo}}
	f.addContainer(&runtimeapi.Container{
		Id: c.GetId(), PodSandboxId: sandboxID, Metadata: c.GetMetadata(), Image: c.GetImage(), ImageRef: c.GetImageRef(),
		State: c.GetState(), CreatedAt: c.GetCreatedAt(), Labels: c.GetLabels(), Annotations: c.GetAnnotations(),
	}, &runtimeapi.ContainerStatusResponse{Status: c, Info: map[string]string{"info": fx.containerInfo}})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// removeContainer drops a container from the listing.
func (f *fakeRuntime) removeContainer(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers = slices.DeleteFunc(f.containers, func(c *runtimeapi.Container) bool { return c.GetId() == id })
	delete(f.ctrStatus, id)
}

func (f *fakeRuntime) streamCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.streams
}
