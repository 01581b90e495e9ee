package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// KubeRouterVersion is the kube-router whose NetworkPolicy controller the
// tests run as the cluster's enforcer (test/kube-router.sh builds it).
const KubeRouterVersion = "v2.10.0"

// KubeRouterEnv names a kube-router binary to use instead of the cached one.
const KubeRouterEnv = "RTAUDIT_KUBE_ROUTER"

// KubeRouterBinary is the kube-router test/kube-router.sh built (or
// $RTAUDIT_KUBE_ROUTER), or an error saying how to build it.
func KubeRouterBinary() (string, error) {
	bin := os.Getenv(KubeRouterEnv)
	if bin == "" {
		bin = filepath.Join("/var/cache/rtaudit", "kube-router-"+KubeRouterVersion, "kube-router")
	}
	if !isExecutable(bin) {
		return "", fmt.Errorf("cluster: no kube-router at %s (run sh test/kube-router.sh, or set %s)", bin, KubeRouterEnv)
	}
	for _, tool := range []string{"iptables", "ipset"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("cluster: kube-router needs %s (apt-get install %s)", tool, tool)
		}
	}
	return bin, nil
}

// KubeRouter is kube-router's NetworkPolicy controller (firewall only: no
// routing, no service proxy) enforcing the cluster's policies on its node
// through the host's iptables and ipsets.
type KubeRouter struct {
	bin string
	p   proc
	log string
}

// krChain is a chain kube-router's firewall creates at start.
const krChain = "KUBE-ROUTER-FORWARD"

// StartKubeRouter runs kube-router against c and waits until its chains
// exist. kube-router programs the host's netfilter tables, which are
// global: run one at a time on a host, and Stop it (which also removes
// its chains and ipsets with --cleanup-config).
func (c *Cluster) StartKubeRouter(ctx context.Context, bin string) (*KubeRouter, error) {
	mark := filepath.Join(c.lay.dir, "kube-router")
	if err := os.MkdirAll(mark, 0o755); err != nil {
		return nil, err
	}
	p, err := startProc(c.lay.dir, "kube-router", false, mark, bin,
		"--run-firewall=true", "--run-router=false", "--run-service-proxy=false",
		"--kubeconfig", c.lay.kubeconfig(), "--hostname-override", c.NodeName(),
		"--metrics-port", "0", "--health-port", "0", "--cache-sync-timeout", "30s",
		"--iptables-sync-period", "5s", "--ipvs-sync-period", "5s",
		// an argument only this instance passes, for proc.alive
		"--runtime-endpoint", "unix://"+filepath.Join(mark, "unused.sock"))
	if err != nil {
		return nil, err
	}
	k := &KubeRouter{bin: bin, p: p, log: c.lay.log("kube-router")}
	for {
		if exec.Command("iptables", "-w", "-S", krChain).Run() == nil {
			return k, nil
		}
		if !p.alive() {
			_ = k.Stop()
			return nil, fmt.Errorf("cluster: kube-router ended: %s\n%s", p.exitOf(), tail(k.log, 20))
		}
		select {
		case <-ctx.Done():
			_ = k.Stop()
			return nil, fmt.Errorf("cluster: kube-router made no %s chain: %w\n%s", krChain, ctx.Err(), tail(k.log, 20))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop ends kube-router and removes its iptables chains and ipsets.
func (k *KubeRouter) Stop() error {
	stopProcs(10*time.Second, k.p)
	out, err := exec.Command(k.bin, "--cleanup-config").CombinedOutput()
	if err != nil {
		return fmt.Errorf("cluster: kube-router --cleanup-config: %v: %s", err, lastLines(string(out), 10))
	}
	return nil
}

// Log is kube-router's log file.
func (k *KubeRouter) Log() string { return k.log }
