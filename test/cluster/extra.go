package cluster

import (
	"context"
	"os"
	"testing"
	"time"
)

// Extra starts a second cluster for one test, configured by o (Dir is
// chosen here, under the directories RunMain sweeps), and stops it when the
// test ends. It needs RunMain's shared cluster to be possible: without one
// the test skips (or fails under RTAUDIT_REQUIRE_CLUSTER=1) with the same
// reason. The clusters share nothing but the host: each has its own
// containerd, bridge, node interface, ports and kubelet.
func Extra(t testing.TB, o Options) *Cluster {
	t.Helper()
	Shared(t)
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-cluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	o.Dir = dir
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := Start(ctx, o)
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	shared.Lock()
	shared.extras = append(shared.extras, c)
	shared.Unlock()
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Error(err)
		}
	})
	return c
}
