package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/rtaudit/rtaudit/test/internal/cleanup"
)

// Stop tears the cluster down: the kubelet first (so it recreates nothing),
// then the private runtime through the harness (every pod, shim or conmon,
// mount, the CNI bridge), the apiserver and etcd, the kubelet's mounts, the node
// interface, the kubelet's links in /var/log/containers, and — once no
// other kubelet runs — the host sysctls the kubelet changed. It removes Dir
// unless KeepDir. Idempotent; safe from t.Cleanup and a signal handler.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	var errs []error
	stopProcs(10*time.Second, c.rec.Kubelet)
	c.attachRuntime()
	if c.rt != nil {
		if err := c.rt.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	stopProcs(10*time.Second, c.rec.APIServer) // before etcd: it hangs on a lost etcd
	stopProcs(10*time.Second, c.rec.Etcd)
	if err := cleanup.UnmountUnder(c.lay.dir); err != nil { // the kubelet's projected volume tmpfs mounts
		errs = append(errs, err)
	}
	cleanup.DeleteLink(c.rec.Interface)
	removeLogLinks(c.lay.podLogs())
	removeEmptyCgroup("k8s.io")
	removeEmptyCgroup("crio") // CRI-O's cgroupfs parent when the kubelet sends none
	if otherKubelets(0) == 0 {
		if err := restoreSysctls(); err != nil {
			errs = append(errs, err)
		}
		removeDevicePluginSocket()
		_ = os.Remove(containerLogsDir) // the kubelet creates it; only when empty
	}
	if !c.rec.Options.KeepDir {
		if err := os.RemoveAll(c.lay.dir); err != nil {
			errs = append(errs, fmt.Errorf("cluster: remove %s: %w", c.lay.dir, err))
		}
	} else {
		_ = os.Remove(c.lay.record())
	}
	return errors.Join(errs...)
}

// containerLogsDir is where every kubelet links container logs (a constant
// in the kubelet, not configurable).
const containerLogsDir = "/var/log/containers"

// removeLogLinks removes the links in /var/log/containers that point into
// podLogs.
func removeLogLinks(podLogs string) {
	ents, err := os.ReadDir(containerLogsDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		p := filepath.Join(containerLogsDir, e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, podLogs+"/") {
			_ = os.Remove(p)
		}
	}
}

// removeEmptyCgroup removes /<name> from every cgroup hierarchy if it is
// empty. With cgroupsPerQOS=false the kubelet sends no cgroup parent and
// containerd puts containers under /k8s.io/<id> (CRI-O under /crio); the
// per-container directories go with the containers, the parent stays
// behind.
func removeEmptyCgroup(name string) {
	for _, dir := range cleanup.CgroupDirs(name) {
		_ = syscall.Rmdir(dir) // fails while in use: fine
	}
}

// removeDevicePluginSocket removes the device manager's socket, which
// every kubelet creates at a fixed path whatever its root directory.
func removeDevicePluginSocket() {
	dir := "/var/lib/kubelet/device-plugins"
	_ = os.Remove(filepath.Join(dir, "kubelet.sock"))
	_ = os.Remove(filepath.Join(dir, "kubelet_internal_checkpoint"))
	_ = os.Remove(dir)
	_ = os.Remove("/var/lib/kubelet") // only when empty
}
