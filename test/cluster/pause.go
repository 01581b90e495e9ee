package cluster

import (
	"errors"
	"fmt"
	"syscall"
)

// PauseKubelet stops the kubelet process (SIGSTOP) until resume is called
// (SIGCONT): the API server and the containers run on, but nothing reacts
// to API changes on the node, as when a kubelet hangs or is partitioned.
// Tests use it to leave a container running after its pod is deleted.
func (c *Cluster) PauseKubelet() (resume func() error, err error) {
	p := c.rec.Kubelet
	if !p.alive() {
		return nil, errors.New("cluster: the kubelet is not running")
	}
	if err := syscall.Kill(p.PID, syscall.SIGSTOP); err != nil {
		return nil, fmt.Errorf("cluster: pause kubelet %d: %w", p.PID, err)
	}
	return func() error {
		if err := syscall.Kill(p.PID, syscall.SIGCONT); err != nil {
			return fmt.Errorf("cluster: resume kubelet %d: %w", p.PID, err)
		}
		return nil
	}, nil
}
