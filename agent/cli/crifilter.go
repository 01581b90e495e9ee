package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/rtaudit/rtaudit/agent/crifilter"
)

// criFilterOptions are the flags of `rtaudit cri-filter`, the DaemonSet's
// read-only gate between the agent and the runtime's socket.
type criFilterOptions struct {
	upstream, listen string
}

func (o *criFilterOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.upstream, "upstream", "", "the runtime's socket (a path, or unix://PATH)")
	fs.StringVar(&o.listen, "listen", "/run/rtaudit/cri.sock", "the socket to serve the read-only calls on (a path shared with the agent)")
}

func (o *criFilterOptions) Validate() error {
	o.upstream = strings.TrimPrefix(o.upstream, "unix://")
	o.listen = strings.TrimPrefix(o.listen, "unix://")
	if o.upstream == "" {
		return usagef("--upstream is required")
	}
	if o.listen == "" || o.listen == o.upstream {
		return usagef("--listen must name a socket other than --upstream")
	}
	return nil
}

func (o *criFilterOptions) Run(ctx context.Context, s Streams) (int, error) {
	log := slog.New(slog.NewJSONHandler(s.Err, nil))
	if err := os.MkdirAll(filepath.Dir(o.listen), 0o750); err != nil {
		return ExitError, err
	}
	if err := os.Remove(o.listen); err != nil && !errors.Is(err, os.ErrNotExist) {
		return ExitError, fmt.Errorf("--listen: %w", err)
	}
	ln, err := net.Listen("unix", o.listen)
	if err != nil {
		return ExitError, fmt.Errorf("--listen: %w", err)
	}
	if err := os.Chmod(o.listen, 0o660); err != nil {
		return ExitError, err
	}
	f, err := crifilter.New(o.upstream, log)
	if err != nil {
		return ExitError, err
	}
	go func() {
		<-ctx.Done()
		f.Stop()
	}()
	log.Info("serving the runtime's read calls", "upstream", o.upstream, "listen", o.listen)
	if err := f.Serve(ln); err != nil && ctx.Err() == nil {
		return ExitError, err
	}
	return ExitClean, nil
}
