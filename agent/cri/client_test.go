package cri

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestDialExplicitEndpoint(t *testing.T) {
	f := newFake()
	f.version = &runtimeapi.VersionResponse{RuntimeName: "containerd", RuntimeVersion: "1.6.20", RuntimeApiVersion: "v1"}
	c := dialFake(t, f)
	info := c.Info()
	if info.Name != "containerd" || info.Version != "1.6.20" || info.APIVersion != "v1" {
		t.Errorf("Info = %+v", info)
	}
	if info.Endpoint != "unix://"+info.Socket {
		t.Errorf("Endpoint %q does not name Socket %q", info.Endpoint, info.Socket)
	}
}

func TestDialDefaultsUnderHostRoot(t *testing.T) {
	root := sockDir(t)
	mustMkdir(t, filepath.Join(root, "var"))
	mustSymlink(t, "/run", filepath.Join(root, "var/run"))
	f := newFake()
	f.version.RuntimeName = "cri-o"
	// Only CRI-O is there; containerd's socket, tried first, is missing.
	serve(t, filepath.Join(root, "run/crio/crio.sock"), f)

	c, err := Dial(context.Background(), DialOptions{HostRoot: root, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info := c.Info()
	if info.Name != "cri-o" || info.Endpoint != "unix:///run/crio/crio.sock" || info.Socket != filepath.Join(root, "run/crio/crio.sock") {
		t.Errorf("Info = %+v", info)
	}
}

func TestDialNoSocketListsPathsTried(t *testing.T) {
	root := t.TempDir()
	_, err := Dial(context.Background(), DialOptions{HostRoot: root})
	if !errors.Is(err, errNoSocket) {
		t.Fatalf("err = %v, want no-socket", err)
	}
	for _, ep := range DefaultEndpoints {
		p, _ := socketPath(ep)
		if !strings.Contains(err.Error(), filepath.Join(root, p)) {
			t.Errorf("error does not list %s: %v", p, err)
		}
	}
	t.Log(err)
	if !strings.Contains(err.Error(), "--runtime-endpoint") {
		t.Errorf("error does not say what to do: %v", err)
	}
}

func TestDialErrors(t *testing.T) {
	dir := sockDir(t)

	// A socket file nobody listens on (the runtime died).
	stale := filepath.Join(dir, "stale.sock")
	lis, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	lis.(*net.UnixListener).SetUnlinkOnClose(false)
	lis.Close()

	// A gRPC server without the RuntimeService (e.g. containerd with the CRI plugin disabled).
	notCRI := filepath.Join(dir, "notcri.sock")
	serve(t, notCRI, nil)

	// A runtime that does not answer in time.
	slow := filepath.Join(dir, "slow.sock")
	f := newFake()
	f.versionDelay = 5 * time.Second
	serve(t, slow, f)

	// A runtime that answers without a name.
	anon := filepath.Join(dir, "anon.sock")
	fa := newFake()
	fa.version = &runtimeapi.VersionResponse{}
	serve(t, anon, fa)

	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name     string
		endpoint string
		sentinel error
		says     string
	}{
		{"stale socket", "unix://" + stale, ErrUnavailable, "nothing is listening"},
		{"not CRI", "unix://" + notCRI, ErrNotCRI, "unknown service runtime.v1.RuntimeService"},
		{"timeout", "unix://" + slow, ErrTimeout, "after 300ms"},
		{"anonymous", "unix://" + anon, ErrNotCRI, "names no runtime"},
		{"missing", "unix://" + filepath.Join(dir, "nope.sock"), errNoSocket, "nope.sock"},
		{"not a socket", regular, nil, "not a unix socket"},
		{"tcp", "tcp://127.0.0.1:10010", nil, "only unix sockets"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c, err := Dial(context.Background(), DialOptions{Endpoint: tc.endpoint, Timeout: 300 * time.Millisecond})
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			t.Log(err)
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("err = %v, want %v", err, tc.sentinel)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err = %q, want it to say %q", err, tc.says)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Dial took %v despite a 300ms timeout", d)
			}
		})
	}
}

func TestDialSkipsBrokenDefaultForWorkingOne(t *testing.T) {
	root := sockDir(t)
	// containerd's socket exists but is not CRI; CRI-O's works.
	serve(t, filepath.Join(root, "run/containerd/containerd.sock"), nil)
	f := newFake()
	f.version.RuntimeName = "cri-o"
	serve(t, filepath.Join(root, "run/crio/crio.sock"), f)
	c, err := Dial(context.Background(), DialOptions{HostRoot: root, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Info().Name != "cri-o" {
		t.Errorf("Info = %+v", c.Info())
	}

	// With no working one, the error explains the socket that exists.
	root2 := sockDir(t)
	serve(t, filepath.Join(root2, "run/containerd/containerd.sock"), nil)
	_, err = Dial(context.Background(), DialOptions{HostRoot: root2, Timeout: time.Second})
	t.Log(err)
	if !errors.Is(err, ErrNotCRI) || !strings.Contains(err.Error(), "tried "+root2+"/run/containerd/containerd.sock") {
		t.Errorf("err = %v", err)
	}
}

func TestClientReconnectsAfterRuntimeRestart(t *testing.T) {
	sock := filepath.Join(sockDir(t), "cri.sock")
	f := newFake()
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	runtimeapi.RegisterRuntimeServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()

	c, err := Dial(context.Background(), DialOptions{Endpoint: "unix://" + sock, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv.Stop() // the runtime goes away and its socket with it
	if _, err := c.Snapshot(context.Background(), ListOptions{}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Snapshot with the runtime down: err = %v, want ErrUnavailable", err)
	}
	serve(t, sock, f) // the runtime is back on the same socket
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Snapshot(context.Background(), ListOptions{})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnection within 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
