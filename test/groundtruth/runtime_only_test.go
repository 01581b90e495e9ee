package groundtruth

import (
	"testing"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
)

// containerdOnly skips a test on a cluster whose kubelet runs on CRI-O,
// with why: what the test relies on that only containerd does. It still
// runs on containerd (1.6 and v2).
func containerdOnly(t *testing.T, c *cluster.Cluster, why string) {
	t.Helper()
	if c.RuntimeName() != harness.RuntimeContainerd {
		t.Skipf("containerd only: %s", why)
	}
}

// kubeletLayer is the layer where a departure the kubelet itself sent
// first shows: the CRI config on containerd, whose verbose status keeps
// it; on CRI-O, whose status keeps none (FACTS.md), the OCI spec CRI-O
// made from it.
func kubeletLayer(c *cluster.Cluster) string {
	if c.RuntimeName() == harness.RuntimeCRIO {
		return "oci"
	}
	return "cri"
}
