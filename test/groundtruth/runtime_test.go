package groundtruth

import (
	"github.com/rtaudit/rtaudit/agent/runtime"
	"github.com/rtaudit/rtaudit/test/cluster"
)

// runtimeOptions dial the cluster's own containerd (never a system one).
func runtimeOptions(c *cluster.Cluster) runtime.DialOptions {
	return runtime.DialOptions{Endpoint: c.Endpoint()}
}
