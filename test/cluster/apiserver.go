package cluster

import (
	"context"
	"time"
)

// StopAPIServer stops the kube-apiserver (SIGTERM, then SIGKILL after 10 s)
// and leaves etcd, the kubelet, the containerd and every pod running: an
// API outage as a node sees it. StartAPIServer ends it.
func (c *Cluster) StopAPIServer() {
	stopProcs(10*time.Second, c.rec.APIServer)
}

// StartAPIServer starts the kube-apiserver again on the same port, with the
// same certificates and etcd, and waits until it is ready.
func (c *Cluster) StartAPIServer(ctx context.Context) error {
	if c.rec.APIServer.alive() {
		return nil
	}
	return c.startAPIServer(ctx)
}
