package groundtruth

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/netpol"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// netpolNamespace holds the NetworkPolicy pods: server (app=server,
// listening on 8080) admits only app=allowed; allowed (listening on 8080)
// is isolated by no policy; client (app=client) has no egress rule;
// egress (app=egress) may send nothing.
const netpolNamespace = "gt-netpol"

const netpolPolicies = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-from-allowed, namespace: gt-netpol}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: allowed}}}]
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-deny-all, namespace: gt-netpol}
spec:
  podSelector: {matchLabels: {app: egress}}
  policyTypes: [Egress]
`

func netpolPod(listen bool) string {
	cmd := `[sleep, "3600"]`
	if listen {
		cmd = `[httpd, -f, -p, "8080"]`
	}
	return fmt.Sprintf(`  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
  - name: main
    image: %s
    command: %s
    ports: [{containerPort: 8080}]
`, matrix.Image, cmd)
}

// scanNetpol scans the namespace with the cluster's NetworkPolicies.
func scanNetpol(t *testing.T, c *cluster.Cluster, probe bool) *scan.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := declared.KubeAPIOptions{Kubeconfig: c.Kubeconfig(), Node: c.NodeName()}
	src, err := declared.LoadKubeAPI(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	pols, err := declared.LoadNetworkPolicies(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	r, err := scan.Run(ctx, scan.Options{
		Runtime: runtimeOptions(c), Declared: src, Node: c.NodeName(),
		Filter:  scan.Filter{Namespace: netpolNamespace},
		Network: scan.NetworkOptions{Policies: pols, Probe: probe},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// netpolFindings are the network-policy findings as "pod severity field".
func netpolFindings(r *scan.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Check == checks.NetworkPolicy {
			out = append(out, fmt.Sprintf("%s %s %s", f.Pod, f.Severity, f.Field))
		}
	}
	slices.Sort(out)
	return out
}

func dumpNetpol(r *scan.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		if f.Check == checks.NetworkPolicy {
			fmt.Fprintf(&b, "\n  %s %s %s: %s", f.Pod, f.Severity, f.Field, f.Message)
		}
	}
	return b.String()
}

// TestNetworkPolicyEnforcement, under the real kubelet on the bridge CNI:
// first with nothing enforcing the policies (the bare bridge: a
// default-deny-with-allow-from-label ingress policy and a deny-all egress
// policy are proven not enforced by connects from the denied pods, and
// said unenforceable without the probe), then with kube-router's
// NetworkPolicy controller running (found as the node's agent; the same
// connects are refused: no finding). Not parallel: kube-router programs
// the host's netfilter tables, and agents are found host-wide.
func TestNetworkPolicyEnforcement(t *testing.T) {
	c := cluster.Shared(t)
	ctx := context.Background()
	if err := c.EnsureNamespace(ctx, netpolNamespace); err != nil {
		t.Fatal(err)
	}
	if _, err := c.KubectlStdin(ctx, netpolPolicies, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	server := runLabelled(t, c, "server", true)
	allowed := runLabelled(t, c, "allowed", true)
	client := runLabelled(t, c, "client", false)
	runLabelled(t, c, "egress", false)
	// The ground truth, without rtaudit: client's namespace reaches
	// server's port.
	serverAddr := podAddr(t, server.pid)
	clientNS := "/proc/" + strconv.Itoa(client.pid) + "/ns/net"
	waitOutcome(t, clientNS, serverAddr, netpol.Connected)

	// Nothing enforces: without the probe the pods are unenforceable.
	r := scanNetpol(t, c, false)
	want := []string{"egress high enforcer", "server high enforcer"}
	if got := netpolFindings(r); !slices.Equal(got, want) {
		t.Fatalf("without probe: %v, want %v:%s", got, want, dumpNetpol(r))
	}
	// With it, proven: client and egress reach server, egress reaches
	// allowed.
	r = scanNetpol(t, c, true)
	want = []string{
		"egress critical probe:egress gt-netpol/egress→gt-netpol/allowed " + podAddr(t, allowed.pid).String(),
		"server critical probe:ingress gt-netpol/client→gt-netpol/server " + serverAddr.String(),
		"server critical probe:ingress gt-netpol/egress→gt-netpol/server " + serverAddr.String(),
	}
	if got := netpolFindings(r); !slices.Equal(got, want) {
		t.Fatalf("not enforced, probed: %v, want %v:%s", got, want, dumpNetpol(r))
	}

	bin, err := cluster.KubeRouterBinary()
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	kr, err := c.StartKubeRouter(sctx, bin)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := kr.Stop(); err != nil {
			t.Error(err)
		}
	}()
	waitOutcome(t, clientNS, serverAddr, netpol.Refused)
	r = scanNetpol(t, c, false)
	if got := netpolFindings(r); len(got) != 0 {
		t.Errorf("kube-router runs: %v, want none (the agent is found):%s", got, dumpNetpol(r))
	}
	r = scanNetpol(t, c, true)
	if got := netpolFindings(r); len(got) != 0 {
		t.Errorf("kube-router enforces: %v, want none (every denied connect refused):%s", got, dumpNetpol(r))
	}
}

// podAddr is the pod address of a process's network namespace, port 8080.
func podAddr(t *testing.T, pid int) netip.AddrPort {
	t.Helper()
	addrs, err := netpol.AddrsIn("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil || len(addrs) == 0 {
		t.Fatalf("pid %d: no pod address: %v", pid, err)
	}
	return netip.AddrPortFrom(addrs[0], 8080)
}

// runLabelled runs a NetworkPolicy pod labelled app=<name>.
func runLabelled(t *testing.T, c *cluster.Cluster, name string, listen bool) *kubeletPod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pod, err := clusterPod(c, netpolNamespace, name, netpolPod(listen))
	if err != nil {
		t.Fatal(err)
	}
	pod.Labels = map[string]string{"app": name}
	kp, err := runPod(ctx, c, pod, "main")
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// waitOutcome waits until a connect from ns to addr gives want (policy
// controllers apply policies within seconds).
func waitOutcome(t *testing.T, ns string, addr netip.AddrPort, want netpol.Outcome) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := netpol.ConnectFrom(ns, addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect from %s to %s: %s, want %s", ns, addr, got, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
