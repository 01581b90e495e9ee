package cri

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestExplain(t *testing.T) {
	sock := "/run/containerd/containerd.sock"
	for _, tc := range []struct {
		name     string
		err      error
		sentinel error
		says     string
	}{
		{"grpc permission denied while dialing",
			status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial unix /run/containerd/containerd.sock: connect: permission denied"`),
			ErrPermission, "run as root or as a member of the socket's group"},
		{"raw EACCES", &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", syscall.EACCES)}, ErrPermission, "socket's group"},
		{"unknown service", status.Error(codes.Unimplemented, "unknown service runtime.v1.RuntimeService"), ErrNotCRI, "CRI plugin enabled"},
		{"deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), ErrTimeout, "after 3s"},
		{"context deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), ErrTimeout, "hung or overloaded"},
		{"refused", status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial unix /x: connect: connection refused"`), ErrUnavailable, "is the runtime running"},
		{"socket removed", status.Error(codes.Unavailable, `dial unix /x: connect: no such file or directory`), ErrUnavailable, "socket disappeared"},
		{"other unavailable", status.Error(codes.Unavailable, "error reading from server: EOF"), ErrUnavailable, "EOF"},
		{"not found", status.Error(codes.NotFound, `could not find container "abc"`), ErrNotFound, `"abc"`},
		{"canceled", status.Error(codes.Canceled, "context canceled"), context.Canceled, "canceled"},
		{"other", status.Error(codes.Internal, "boom"), nil, "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := explain("Version", sock, 3*time.Second, tc.err)
			if tc.sentinel != nil && !errors.Is(got, tc.sentinel) {
				t.Errorf("explain = %v, want it to wrap %v", got, tc.sentinel)
			}
			if !strings.Contains(got.Error(), tc.says) || !strings.HasPrefix(got.Error(), "Version") {
				t.Errorf("explain = %q, want it to start with the call and say %q", got, tc.says)
			}
			if strings.Contains(got.Error(), "\n") {
				t.Errorf("explain = %q: not one line", got)
			}
		})
	}
	if explain("Version", sock, time.Second, nil) != nil {
		t.Error("explain(nil) != nil")
	}
}
