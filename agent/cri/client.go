package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// DefaultTimeout bounds every CRI call when DialOptions.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// maxMsgSize is the largest CRI response accepted, as the kubelet's client:
// verbose statuses carry whole OCI specs.
const maxMsgSize = 16 << 20

// DialOptions say where the runtime is.
type DialOptions struct {
	// Endpoint as crictl spells it, unix:///run/containerd/containerd.sock.
	// Empty: try DefaultEndpoints in order and keep the first that answers.
	Endpoint string
	// HostRoot is where the host's root is mounted ("/host" in the
	// DaemonSet); empty means "/".
	HostRoot string
	// Timeout bounds every call; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives debug and warning lines; nil discards them.
	Logger *slog.Logger
}

// Client talks CRI to one runtime.
type Client struct {
	rs      runtimeapi.RuntimeServiceClient
	conn    io.Closer // nil when rs was injected
	info    Info
	timeout time.Duration
	log     *slog.Logger
	cache   *statusCache // nil unless EnableStatusCache
}

// Dial connects to the runtime and checks it speaks CRI v1 (Version).
// Without an endpoint it tries DefaultEndpoints in order; the error then
// lists every socket tried and why each failed.
func Dial(ctx context.Context, opts DialOptions) (*Client, error) {
	cands, err := candidates(opts.Endpoint, opts.HostRoot)
	if err != nil {
		return nil, err
	}
	var (
		tried    []string
		failures []error
	)
	for _, cand := range cands {
		tried = append(tried, cand.socket)
		c, err := dialOne(ctx, cand, opts)
		if err == nil {
			if len(failures) > 0 {
				c.log.Debug("CRI endpoints skipped", "errors", joinErrors(failures))
			}
			c.log.Info("CRI runtime found", "endpoint", c.info.Endpoint, "socket", c.info.Socket,
				"runtime", c.info.Name, "version", c.info.Version)
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		failures = append(failures, err)
	}
	if len(failures) == 1 {
		return nil, failures[0]
	}
	allMissing := true
	for _, f := range failures {
		allMissing = allMissing && errors.Is(f, errNoSocket)
	}
	if allMissing {
		return nil, fmt.Errorf("%w: tried %s: is a CRI runtime installed? give its socket with --runtime-endpoint (and the host mount with --host-root when in a container)",
			errNoSocket, strings.Join(tried, ", "))
	}
	// Report the sockets that exist first: they explain the problem.
	var present []error
	for _, f := range failures {
		if !errors.Is(f, errNoSocket) {
			present = append(present, f)
		}
	}
	return nil, fmt.Errorf("no CRI runtime answered (tried %s): %w", strings.Join(tried, ", "), joinErrors(present))
}

// dialOne connects to one socket and asks its Version.
func dialOne(ctx context.Context, cand candidate, opts DialOptions) (*Client, error) {
	if err := checkSocket(cand.socket); err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	conn, err := grpc.NewClient("unix://"+cand.socket,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgSize)),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  100 * time.Millisecond,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   5 * time.Second,
			},
			MinConnectTimeout: timeout,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", cand.socket, err)
	}
	c := newClient(runtimeapi.NewRuntimeServiceClient(conn), timeout, opts.Logger)
	c.conn = conn
	if err := c.version(ctx, cand); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return c, nil
}

// NewClient wraps any RuntimeServiceClient (a replayed capture in tests,
// a filtering proxy) as a Client that reports info as the runtime's.
func NewClient(rs runtimeapi.RuntimeServiceClient, info Info, timeout time.Duration, logger *slog.Logger) *Client {
	c := newClient(rs, timeout, logger)
	c.info = info
	return c
}

// newClient wraps a RuntimeServiceClient; tests inject fakes through it.
func newClient(rs runtimeapi.RuntimeServiceClient, timeout time.Duration, logger *slog.Logger) *Client {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Client{rs: rs, timeout: timeout, log: logger}
}

// version fills c.info from the runtime's Version answer.
func (c *Client) version(ctx context.Context, cand candidate) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, err := c.rs.Version(ctx, &runtimeapi.VersionRequest{Version: "v1"})
	if err != nil {
		return explain("Version", cand.socket, c.timeout, err)
	}
	if v.GetRuntimeName() == "" {
		return fmt.Errorf("the Version call on %s: %w: the answer names no runtime", cand.socket, ErrNotCRI)
	}
	c.info = Info{
		Name:       v.GetRuntimeName(),
		Version:    v.GetRuntimeVersion(),
		APIVersion: v.GetRuntimeApiVersion(),
		Endpoint:   cand.endpoint,
		Socket:     cand.socket,
	}
	return nil
}

// Info says which runtime answered and on which socket.
func (c *Client) Info() Info { return c.info }

// Close releases the connection.
func (c *Client) Close() error {
	if c.conn == nil {
		return nil
	}
	return c.conn.Close()
}

// call runs fn with the per-call timeout and explains its error.
func (c *Client) call(ctx context.Context, name string, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return explain(name, c.info.Socket, c.timeout, fn(ctx))
}
