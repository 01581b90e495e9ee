package crifilter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Allowed are the only methods forwarded: the CRI calls of a scan and of
// the agent's event watch, and containerd's own listing of its other
// namespaces' tasks (hidden containers). All are unary or stream answers
// to one request; none changes anything.
var Allowed = map[string]bool{
	"/runtime.v1.RuntimeService/Version":            true,
	"/runtime.v1.RuntimeService/Status":             true,
	"/runtime.v1.RuntimeService/ListPodSandbox":     true,
	"/runtime.v1.RuntimeService/PodSandboxStatus":   true,
	"/runtime.v1.RuntimeService/ListContainers":     true,
	"/runtime.v1.RuntimeService/ContainerStatus":    true,
	"/runtime.v1.RuntimeService/GetContainerEvents": true,

	"/containerd.services.version.v1.Version/Version":             true,
	"/containerd.services.namespaces.v1.Namespaces/List":          true,
	"/containerd.services.tasks.v1.Tasks/List":                    true,
	"/containerd.services.introspection.v1.Introspection/Server":  true,
	"/containerd.services.introspection.v1.Introspection/Plugins": true,
}

// maxMsgSize bounds a forwarded message, as the agent's own CRI client.
const maxMsgSize = 16 << 20

// Filter forwards the Allowed calls to an upstream runtime socket.
type Filter struct {
	upstream *grpc.ClientConn
	server   *grpc.Server
	log      *slog.Logger
}

// New connects (lazily) to the runtime's socket at upstream.
func New(upstream string, log *slog.Logger) (*Filter, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	conn, err := grpc.NewClient("unix://"+upstream,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(Codec{}), grpc.MaxCallRecvMsgSize(maxMsgSize), grpc.MaxCallSendMsgSize(maxMsgSize)))
	if err != nil {
		return nil, fmt.Errorf("cri-filter: upstream %s: %w", upstream, err)
	}
	f := &Filter{upstream: conn, log: log}
	f.server = grpc.NewServer(
		grpc.ForceServerCodec(Codec{}),
		grpc.UnknownServiceHandler(f.forward),
		grpc.MaxRecvMsgSize(maxMsgSize), grpc.MaxSendMsgSize(maxMsgSize),
		grpc.ConnectionTimeout(10*time.Second),
	)
	return f, nil
}

// Serve answers on ln until Stop.
func (f *Filter) Serve(ln net.Listener) error { return f.server.Serve(ln) }

// Stop ends the server (in-flight calls finish) and the upstream connection.
func (f *Filter) Stop() {
	f.server.GracefulStop()
	_ = f.upstream.Close()
}

// forward relays one call: refused unless Allowed, else one request up and
// every answer down, as opaque bytes.
func (f *Filter) forward(_ any, down grpc.ServerStream) error {
	method, ok := grpc.MethodFromServerStream(down)
	if !ok || !Allowed[method] {
		f.log.Warn("refused", "method", method)
		return status.Errorf(codes.PermissionDenied, "rtaudit cri-filter: %q is not a read call the audit makes", method)
	}
	ctx, cancel := context.WithCancel(Outgoing(down.Context()))
	defer cancel()
	up, err := f.upstream.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	var req Frame
	if err := down.RecvMsg(&req); err != nil {
		return err
	}
	if err := up.SendMsg(&req); err != nil {
		return err
	}
	if err := up.CloseSend(); err != nil {
		return err
	}
	for {
		var resp Frame
		err := up.RecvMsg(&resp)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err // the runtime's status, as it gave it
		}
		if err := down.SendMsg(&resp); err != nil {
			return err
		}
	}
}

// Outgoing keeps of the caller's metadata only containerd's namespace
// headers (the tasks of which namespace to list); nothing else crosses.
func Outgoing(ctx context.Context) context.Context {
	in, _ := metadata.FromIncomingContext(ctx)
	out := metadata.MD{}
	for k, v := range in {
		if strings.HasPrefix(k, "containerd-namespace") {
			out[k] = v
		}
	}
	return metadata.NewOutgoingContext(ctx, out)
}

// Frame is one message, never decoded.
type Frame []byte

// Codec passes Frames through. It is named "proto" so clients and the
// runtime see the content type they expect.
type Codec struct{}

func (Codec) Marshal(v any) ([]byte, error) {
	f, ok := v.(*Frame)
	if !ok {
		return nil, fmt.Errorf("cri-filter: cannot marshal %T", v)
	}
	return *f, nil
}

func (Codec) Unmarshal(data []byte, v any) error {
	f, ok := v.(*Frame)
	if !ok {
		return fmt.Errorf("cri-filter: cannot unmarshal into %T", v)
	}
	*f = append((*f)[:0], data...)
	return nil
}

func (Codec) Name() string { return "proto" }
