package critest

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/cri"
)

// Replay serves c as a runtime would: the listings (with their filters
// applied), the statuses by ID (NotFound for an ID without one; the
// verbose info only when asked for) and Version. Every answer is a copy:
// callers cannot change the capture. Any other call panics.
func Replay(c *Capture) runtimeapi.RuntimeServiceClient { return &replay{c: c} }

type replay struct {
	runtimeapi.RuntimeServiceClient // nil: the calls not implemented below panic
	c                               *Capture
}

func (r *replay) Version(context.Context, *runtimeapi.VersionRequest, ...grpc.CallOption) (*runtimeapi.VersionResponse, error) {
	if r.c.Version == nil {
		return nil, status.Error(codes.Unimplemented, "critest: the capture has no Version answer")
	}
	return clone(r.c.Version), nil
}

func (r *replay) ListPodSandbox(_ context.Context, req *runtimeapi.ListPodSandboxRequest, _ ...grpc.CallOption) (*runtimeapi.ListPodSandboxResponse, error) {
	f := req.GetFilter()
	out := &runtimeapi.ListPodSandboxResponse{}
	for _, sb := range r.c.Sandboxes {
		if f.GetId() != "" && f.GetId() != sb.GetId() ||
			f.GetState() != nil && f.GetState().GetState() != sb.GetState() ||
			!labelsMatch(f.GetLabelSelector(), sb.GetLabels()) {
			continue
		}
		out.Items = append(out.Items, clone(sb))
	}
	return out, nil
}

func (r *replay) ListContainers(_ context.Context, req *runtimeapi.ListContainersRequest, _ ...grpc.CallOption) (*runtimeapi.ListContainersResponse, error) {
	f := req.GetFilter()
	out := &runtimeapi.ListContainersResponse{}
	for _, c := range r.c.Containers {
		if f.GetId() != "" && f.GetId() != c.GetId() ||
			f.GetPodSandboxId() != "" && f.GetPodSandboxId() != c.GetPodSandboxId() ||
			f.GetState() != nil && f.GetState().GetState() != c.GetState() ||
			!labelsMatch(f.GetLabelSelector(), c.GetLabels()) {
			continue
		}
		out.Containers = append(out.Containers, clone(c))
	}
	return out, nil
}

func (r *replay) PodSandboxStatus(_ context.Context, req *runtimeapi.PodSandboxStatusRequest, _ ...grpc.CallOption) (*runtimeapi.PodSandboxStatusResponse, error) {
	st, ok := r.c.SandboxStatuses[req.GetPodSandboxId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find sandbox %q: not found", req.GetPodSandboxId())
	}
	out := clone(st)
	if !req.GetVerbose() {
		out.Info = nil
	}
	return out, nil
}

func (r *replay) ContainerStatus(_ context.Context, req *runtimeapi.ContainerStatusRequest, _ ...grpc.CallOption) (*runtimeapi.ContainerStatusResponse, error) {
	st, ok := r.c.ContainerStatuses[req.GetContainerId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "an error occurred when try to find container %q: not found", req.GetContainerId())
	}
	out := clone(st)
	if !req.GetVerbose() {
		out.Info = nil
	}
	return out, nil
}

// labelsMatch reports whether labels hold every key and value of sel.
func labelsMatch(sel, labels map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func clone[M proto.Message](m M) M { return proto.Clone(m).(M) }

// Runtime is a cri.Client over the replay of a capture that also answers
// OtherTasks from it: what a scan needs of a runtime (scan.Runtime).
type Runtime struct {
	*cri.Client
	tasks []cri.Task
}

// NewRuntime replays c as the runtime info names. Give info an empty
// Socket: the client then never dials containerd's own API.
func NewRuntime(c *Capture, info cri.Info, logger *slog.Logger) *Runtime {
	return &Runtime{Client: cri.NewClient(Replay(c), info, 10*time.Second, logger), tasks: c.OtherTasks}
}

// OtherTasks returns the capture's tasks outside the CRI.
func (r *Runtime) OtherTasks(context.Context) ([]cri.Task, error) {
	return append([]cri.Task(nil), r.tasks...), nil
}

// Info derives the runtime info of a replay from the capture's Version
// answer, with a fixed endpoint and no socket.
func (c *Capture) Info(endpoint string) cri.Info {
	return cri.Info{
		Name:       c.Version.GetRuntimeName(),
		Version:    c.Version.GetRuntimeVersion(),
		APIVersion: c.Version.GetRuntimeApiVersion(),
		Endpoint:   endpoint,
	}
}

// NewServer serves the replay of c as a CRI runtime service, for a caller
// that must dial a socket (the CLI, scan.New): register it on a gRPC
// server. Calls the replay does not implement answer Unimplemented.
func NewServer(c *Capture) runtimeapi.RuntimeServiceServer { return &server{r: &replay{c: c}} }

type server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	r *replay
}

func (s *server) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return s.r.Version(ctx, req)
}

func (s *server) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	return s.r.ListPodSandbox(ctx, req)
}

func (s *server) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	return s.r.ListContainers(ctx, req)
}

func (s *server) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	return s.r.PodSandboxStatus(ctx, req)
}

func (s *server) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	return s.r.ContainerStatus(ctx, req)
}
