package cri

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Sentinel errors; the errors returned by this package wrap one of them
// when it applies, so callers can test with errors.Is.
var (
	// ErrNotFound: the container or sandbox is gone.
	ErrNotFound = errors.New("not found")
	// ErrPermission: the socket refused the agent's user.
	ErrPermission = errors.New("permission denied")
	// ErrNotCRI: something answered on the socket, but not a CRI v1 runtime service.
	ErrNotCRI = errors.New("not a CRI v1 runtime service")
	// ErrTimeout: a call did not finish within the client's timeout.
	ErrTimeout = errors.New("timed out")
	// ErrUnavailable: nothing is listening, or the connection broke.
	ErrUnavailable = errors.New("runtime unavailable")
)

// explain turns an error of a CRI call into one that says what to do.
// call names the RPC, socket is the file dialled, timeout the per-call limit.
func explain(call, socket string, timeout time.Duration, err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Message()
	}
	lower := strings.ToLower(msg)
	switch code := status.Code(err); {
	case code == codes.NotFound:
		return fmt.Errorf("%s: %w: %s", call, ErrNotFound, msg)
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission) ||
		code == codes.PermissionDenied || strings.Contains(lower, "permission denied"):
		return fmt.Errorf("%s on %s: %w: run as root or as a member of the socket's group%s", call, socket, ErrPermission, socketOwner(socket))
	case code == codes.Unimplemented:
		return fmt.Errorf("%s on %s: %w (%s): point --runtime-endpoint at containerd (with its CRI plugin enabled), CRI-O or cri-dockerd", call, socket, ErrNotCRI, msg)
	case code == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s on %s: %w after %s: the runtime is hung or overloaded; retry or raise the timeout", call, socket, ErrTimeout, timeout)
	case errors.Is(err, syscall.ECONNREFUSED) || strings.Contains(lower, "connection refused"):
		return fmt.Errorf("%s on %s: %w: nothing is listening (a stale socket?): is the runtime running?", call, socket, ErrUnavailable)
	case errors.Is(err, syscall.ENOENT) || strings.Contains(lower, "no such file or directory"):
		return fmt.Errorf("%s on %s: %w: the socket disappeared: is the runtime running?", call, socket, ErrUnavailable)
	case code == codes.Unavailable:
		return fmt.Errorf("%s on %s: %w: %s", call, socket, ErrUnavailable, msg)
	case code == codes.Canceled || errors.Is(err, context.Canceled):
		return fmt.Errorf("%s on %s: %w", call, socket, context.Canceled)
	}
	return fmt.Errorf("%s on %s: %s", call, socket, msg)
}

// joinErrors joins errs on one line ("a; b"), keeping each for errors.Is;
// nil when there are none.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	args := make([]any, len(errs))
	for i, e := range errs {
		args[i] = e
	}
	return fmt.Errorf(strings.TrimSuffix(strings.Repeat("%w; ", len(errs)), "; "), args...)
}
