package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"
)

// podFlags are what scan and explain need when they run in a short-lived
// pod beside cri-filter (kubectl rtaudit node|pod): the declared pods from
// the pod's own service account, and the runtime socket cri-filter serves
// once it has started.
type podFlags struct {
	inCluster   bool
	waitRuntime time.Duration
}

func (o *podFlags) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.inCluster, "in-cluster", false, "declared pods from the API server, with the pod's service account (in a pod)")
	fs.DurationVar(&o.waitRuntime, "wait-runtime", 0, "wait up to this long for the --runtime-endpoint socket to accept connections (a sidecar's)")
}

// waitSocket waits until endpoint (unix://PATH) accepts a connection, or
// up to d.
func waitSocket(ctx context.Context, endpoint string, d time.Duration) error {
	if d <= 0 || endpoint == "" {
		return nil
	}
	path := strings.TrimPrefix(endpoint, "unix://")
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for {
		conn, err := (&net.Dialer{}).DialContext(ctx, "unix", path)
		if err == nil {
			return conn.Close()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("--wait-runtime: %s did not accept a connection within %s: %v", path, d, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
