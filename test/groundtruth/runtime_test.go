package groundtruth

import (
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/test/cluster"
)

// runtimeOptions dial the cluster's own containerd (never a system one).
func runtimeOptions(c *cluster.Cluster) cri.DialOptions {
	return cri.DialOptions{Endpoint: c.Endpoint()}
}
