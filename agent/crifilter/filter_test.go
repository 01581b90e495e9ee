package crifilter

import (
	"context"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// upstream is a runtime stand-in that records every call that reaches it
// and echoes the request (twice for a stream).
type upstream struct {
	mu      sync.Mutex
	methods []string
	md      []metadata.MD
}

func (u *upstream) handle(_ any, s grpc.ServerStream) error {
	m, _ := grpc.MethodFromServerStream(s)
	md, _ := metadata.FromIncomingContext(s.Context())
	u.mu.Lock()
	u.methods = append(u.methods, m)
	u.md = append(u.md, md)
	u.mu.Unlock()
	var req Frame
	if err := s.RecvMsg(&req); err != nil {
		return err
	}
	if err := s.SendMsg(&req); err != nil {
		return err
	}
	if m == "/runtime.v1.RuntimeService/GetContainerEvents" {
		return s.SendMsg(&req)
	}
	return nil
}

func (u *upstream) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.methods)
}

// setup starts an upstream and a filter in front of it; it returns a
// connection to the filter.
func setup(t testing.TB) (*upstream, *grpc.ClientConn) {
	t.Helper()
	dir := t.TempDir()
	up := &upstream{}
	upSock := filepath.Join(dir, "runtime.sock")
	ul, err := net.Listen("unix", upSock)
	if err != nil {
		t.Fatal(err)
	}
	us := grpc.NewServer(grpc.ForceServerCodec(Codec{}), grpc.UnknownServiceHandler(up.handle))
	go func() { _ = us.Serve(ul) }()
	t.Cleanup(us.Stop)
	f, err := New(upSock, nil)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := net.Listen("unix", filepath.Join(dir, "filter.sock"))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Serve(fl) }()
	t.Cleanup(f.Stop)
	conn, err := grpc.NewClient("unix://"+fl.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return up, conn
}

func TestReadCallsPass(t *testing.T) {
	up, conn := setup(t)
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := rs.Version(ctx, &runtimeapi.VersionRequest{Version: "v1"})
	if err != nil || v.GetVersion() != "v1" {
		t.Fatalf("Version through the filter: %v %v", v, err)
	}
	if _, err := rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{}); err != nil {
		t.Fatal(err)
	}
	stream, err := rs.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
		n++
	}
	if n != 2 {
		t.Errorf("events stream: %d messages, want 2", n)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "containerd-namespace", "default", "authorization", "secret")
	if err := conn.Invoke(ctx, "/containerd.services.tasks.v1.Tasks/List", &Frame{}, &Frame{}, grpc.ForceCodec(Codec{})); err != nil {
		t.Fatal(err)
	}
	want := []string{"/runtime.v1.RuntimeService/Version", "/runtime.v1.RuntimeService/ListContainers",
		"/runtime.v1.RuntimeService/GetContainerEvents", "/containerd.services.tasks.v1.Tasks/List"}
	if got := up.seen(); !slices.Equal(got, want) {
		t.Errorf("upstream saw %v, want %v", got, want)
	}
	md := up.md[3]
	if got := md.Get("containerd-namespace"); !slices.Equal(got, []string{"default"}) || len(md.Get("authorization")) != 0 {
		t.Errorf("metadata upstream: %v (want containerd-namespace only)", md)
	}
}

// TestWriteCallsRefused: every call that could change the node is refused
// and never reaches the runtime.
func TestWriteCallsRefused(t *testing.T) {
	up, conn := setup(t)
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := map[string]func() error{
		"RunPodSandbox":   func() error { _, err := rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{}); return err },
		"CreateContainer": func() error { _, err := rs.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{}); return err },
		"StartContainer":  func() error { _, err := rs.StartContainer(ctx, &runtimeapi.StartContainerRequest{}); return err },
		"ExecSync":        func() error { _, err := rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{}); return err },
		"Exec":            func() error { _, err := rs.Exec(ctx, &runtimeapi.ExecRequest{}); return err },
		"Attach":          func() error { _, err := rs.Attach(ctx, &runtimeapi.AttachRequest{}); return err },
		"StopPodSandbox":  func() error { _, err := rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{}); return err },
		"RemoveContainer": func() error { _, err := rs.RemoveContainer(ctx, &runtimeapi.RemoveContainerRequest{}); return err },
		"UpdateRuntimeConfig": func() error {
			_, err := rs.UpdateRuntimeConfig(ctx, &runtimeapi.UpdateRuntimeConfigRequest{})
			return err
		},
		"PullImage": func() error {
			_, err := runtimeapi.NewImageServiceClient(conn).PullImage(ctx, &runtimeapi.PullImageRequest{})
			return err
		},
		"containerd tasks Exec": func() error {
			return conn.Invoke(ctx, "/containerd.services.tasks.v1.Tasks/Exec", &Frame{}, &Frame{}, grpc.ForceCodec(Codec{}))
		},
		"containerd containers Create": func() error {
			return conn.Invoke(ctx, "/containerd.services.containers.v1.Containers/Create", &Frame{}, &Frame{}, grpc.ForceCodec(Codec{}))
		},
	}
	for name, call := range calls {
		if err := call(); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s: %v, want PermissionDenied", name, err)
		}
	}
	if got := up.seen(); len(got) != 0 {
		t.Errorf("refused calls reached the runtime: %v", got)
	}
}

// FuzzFilter: whatever method name and bytes a caller sends, only an
// Allowed method reaches the runtime, and the filter survives.
func FuzzFilter(f *testing.F) {
	f.Add("/runtime.v1.RuntimeService/Version", []byte{0x0a, 0x02, 'v', '1'})
	f.Add("/runtime.v1.RuntimeService/RunPodSandbox", []byte{})
	f.Add("/runtime.v1.RuntimeService/Version/../RunPodSandbox", []byte{0xff})
	f.Add("/RUNTIME.V1.RUNTIMESERVICE/EXECSYNC", []byte("x"))
	f.Add("", []byte(nil))
	up, conn := setup(f)
	f.Fuzz(func(t *testing.T, method string, payload []byte) {
		before := len(up.seen())
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in := Frame(payload)
		err := conn.Invoke(ctx, method, &in, &Frame{}, grpc.ForceCodec(Codec{}))
		after := up.seen()
		for _, m := range after[before:] {
			if !Allowed[m] {
				t.Fatalf("method %q reached the runtime", m)
			}
		}
		if err == nil && !Allowed[method] {
			t.Fatalf("method %q answered without error", method)
		}
	})
}
