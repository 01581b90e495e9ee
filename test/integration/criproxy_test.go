package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rtaudit/rtaudit/agent/crifilter"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// criProxy stands between a scan and a real runtime socket: every call
// (CRI and containerd's own API alike) is forwarded as opaque frames, as
// agent/crifilter does, except where the test injects a fault. It is a
// test's fault injector, not a model of the product's filter.
type criProxy struct {
	// Socket is the proxy's unix socket; scan it as "unix://"+Socket.
	Socket string

	upstream *grpc.ClientConn
	server   *grpc.Server
	hooks    proxyHooks

	mu    sync.Mutex
	calls map[string]int // by full method name
}

// proxyHooks are the faults. Both may be nil.
type proxyHooks struct {
	// before runs ahead of forwarding any call; a non-nil error is the
	// answer (a status error passes through as is). It may block until
	// ctx ends (a hung runtime).
	before func(ctx context.Context, method string) error
	// containerStatus may replace the runtime's answer to one
	// ContainerStatus call: resp is the runtime's answer, nil when it
	// failed (err). What it returns goes to the caller; it may block
	// until ctx (the caller's call) ends.
	containerStatus func(ctx context.Context, req *runtimeapi.ContainerStatusRequest, resp *runtimeapi.ContainerStatusResponse, err error) (*runtimeapi.ContainerStatusResponse, error)
}

const containerStatusMethod = "/runtime.v1.RuntimeService/ContainerStatus"

// startCRIProxy serves a proxy to the runtime socket upstream (a path)
// until the test ends.
func startCRIProxy(t *testing.T, upstream string, hooks proxyHooks) *criProxy {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+upstream, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(crifilter.Codec{}), grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		t.Fatal(err)
	}
	p := &criProxy{Socket: filepath.Join(t.TempDir(), "proxy.sock"), upstream: conn, hooks: hooks, calls: map[string]int{}}
	ln, err := net.Listen("unix", p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	p.server = grpc.NewServer(grpc.ForceServerCodec(crifilter.Codec{}), grpc.UnknownServiceHandler(p.forward),
		grpc.MaxRecvMsgSize(16<<20), grpc.MaxSendMsgSize(16<<20))
	go func() { _ = p.server.Serve(ln) }()
	t.Cleanup(func() {
		p.server.Stop()
		_ = conn.Close()
	})
	return p
}

// Calls is how many calls of method (full name) the proxy received.
func (p *criProxy) Calls(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[method]
}

func (p *criProxy) forward(_ any, down grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(down)
	p.mu.Lock()
	p.calls[method]++
	p.mu.Unlock()
	ctx := down.Context()
	if p.hooks.before != nil {
		if err := p.hooks.before(ctx, method); err != nil {
			return err
		}
	}
	var req crifilter.Frame
	if err := down.RecvMsg(&req); err != nil {
		return err
	}
	ctx = crifilter.Outgoing(ctx)
	if method == containerStatusMethod && p.hooks.containerStatus != nil {
		return p.rewriteStatus(ctx, down, req)
	}
	up, err := p.upstream.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := up.SendMsg(&req); err != nil {
		return err
	}
	if err := up.CloseSend(); err != nil {
		return err
	}
	for {
		var resp crifilter.Frame
		err := up.RecvMsg(&resp)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := down.SendMsg(&resp); err != nil {
			return err
		}
	}
}

// rewriteStatus forwards one ContainerStatus call and lets the hook change
// its answer.
func (p *criProxy) rewriteStatus(ctx context.Context, down grpc.ServerStream, req crifilter.Frame) error {
	var in runtimeapi.ContainerStatusRequest
	if err := proto.Unmarshal(req, &in); err != nil {
		return fmt.Errorf("proxy: decode ContainerStatusRequest: %w", err)
	}
	var raw crifilter.Frame
	var resp *runtimeapi.ContainerStatusResponse
	err := p.upstream.Invoke(ctx, containerStatusMethod, &req, &raw)
	if err == nil {
		resp = &runtimeapi.ContainerStatusResponse{}
		if err := proto.Unmarshal(raw, resp); err != nil {
			return fmt.Errorf("proxy: decode ContainerStatusResponse: %w", err)
		}
	}
	resp, err = p.hooks.containerStatus(ctx, &in, resp, err)
	if err != nil {
		return err
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		return err
	}
	f := crifilter.Frame(out)
	return down.SendMsg(&f)
}
