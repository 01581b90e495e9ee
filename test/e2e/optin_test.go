package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/matrix"
)

const optinNS = "e2e-optin"

// tokenWindow is the test's --unused-token-window: a few resyncs.
const tokenWindow = 20 * time.Second

// TestAgentOptIns deploys the agent with deploy/components/network-policies
// (the ClusterRole's networkpolicies rule and --network-policies) and
// --unused-token-window under the real kubelet:
//
//   - a pod selected by a default-deny ingress policy, on the bare bridge
//     CNI (nothing enforces), has a high network-policy finding in its
//     Report and on /metrics: the watch works with the shipped RBAC;
//   - an idle pod with the automounted token gets a low unused-token
//     finding after the window; a pod holding a connection to the API
//     server's advertised address gets none, nor a pod with
//     automountServiceAccountToken: false.
//
// The API server listens on loopback only, and the lab's pods have no
// default route (their bridge's subnet only): the test forwards the node's
// address on the pods' bridge, at the API server's port, to it, so a pod
// reaches the real API server there, and the agent is told that address
// (--api-addresses) as the API server's endpoint.
func TestAgentOptIns(t *testing.T) {
	c := cluster.Shared(t)
	buildImage(t, c)
	replaceAgent(t, c)
	// A metrics port of its own: an e2e run of another worktree may hold
	// 9808 on this host's network.
	// The pods' bridge exists once a pod of the lab runs (the agent's
	// does not count: it is on the host's network).
	isolated := optinPod(t, c, "isolated", "  automountServiceAccountToken: false\n", matrix.Sleeper)
	api := forwardAPI(t, c)
	port, err := cluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	a := deployFrom(t, c, 5*time.Second, netpolKustomization(t), "--metrics-addr=:"+strconv.Itoa(port[0]),
		"--unused-token-window="+tokenWindow.String(), "--api-addresses="+api.addr)
	if !hasArg(a.pod, "--network-policies") {
		t.Fatalf("the component did not add --network-policies: %q", a.pod.Spec.Containers[0].Args)
	}
	rc := reportsClient(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.EnsureNamespace(ctx, optinNS); err != nil {
		t.Fatal(err)
	}
	policy := `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-ingress, namespace: ` + optinNS + `}
spec:
  podSelector: {matchLabels: {app: isolated}}
  policyTypes: [Ingress]
`
	if out, err := c.KubectlStdin(ctx, policy, "apply", "-f", "-"); err != nil {
		t.Fatalf("policy: %v\n%s", err, out)
	}
	talker := optinPod(t, c, "talker", "", fmt.Sprintf(`  - name: main
    image: %s
    command: [sh, -c, "while true; do sleep 3600 | nc %s %s; sleep 1; done"]
`, matrix.Image, api.host, api.port))
	idle := optinPod(t, c, "idle", "", matrix.Sleeper)
	noToken := optinPod(t, c, "no-token", "  automountServiceAccountToken: false\n", matrix.Sleeper)

	got := waitReport(t, rc, isolated, func(r *v1alpha1.Report) bool { return hasResult(r, "network-policy", "fail") })
	if res := result(got, "network-policy"); res.Severity != "high" || !strings.Contains(res.Description, optinNS+"/deny-ingress") {
		t.Errorf("isolated: %+v, want high naming %s/deny-ingress", res, optinNS)
	}
	waitMetrics(t, a, "the network-policy finding", 60*time.Second, func(m string) bool {
		return strings.Contains(m, `rtaudit_findings{check="network-policy",namespace="`+optinNS+`",severity="high"} 1`)
	})

	got = waitReport(t, rc, idle, func(r *v1alpha1.Report) bool { return hasResult(r, "unused-token", "warn") })
	if res := result(got, "unused-token"); res.Severity != "low" || !strings.Contains(res.Description, "/var/run/secrets/kubernetes.io/serviceaccount") {
		t.Errorf("idle: %+v, want low naming the token's path", res)
	}
	if api.accepted.Load() == 0 {
		t.Fatalf("the talker never connected to the API server's address %s\n%s", api.addr, containerLog(c, talker))
	}
	// The talker and no-token started before idle: their windows are over.
	time.Sleep(10 * time.Second) // two more resyncs
	for _, p := range []*corev1.Pod{talker, noToken} {
		r := waitReport(t, rc, p, func(r *v1alpha1.Report) bool { return r.Summary.Pass > 0 })
		if hasResult(r, "unused-token", "warn") {
			t.Errorf("%s: %+v, want no unused-token finding", p.Name, result(r, "unused-token"))
		}
	}
	waitMetrics(t, a, "one unused-token finding", 30*time.Second, func(m string) bool {
		return strings.Contains(m, `rtaudit_findings{check="unused-token",namespace="`+optinNS+`",severity="low"} 1`)
	})
	t.Logf("the talker made %d connections to the API server through %s", api.accepted.Load(), api.addr)
}

// netpolKustomization is a user's kustomization: deploy/ with the
// network-policies component.
func netpolKustomization(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rel, err := filepath.Rel(dir, filepath.Join(repoRoot(t), "deploy"))
	if err != nil {
		t.Fatal(err)
	}
	k := fmt.Sprintf("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [%s]\ncomponents: [%s]\n",
		rel, filepath.Join(rel, "components", "network-policies"))
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), []byte(k), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// replaceAgent deletes the agent pod an earlier test of the package left
// (one agent per node: two would fight over the same reports).
func replaceAgent(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := c.DeletePod(ctx, "rtaudit-system", "rtaudit-"+c.NodeName())
	if err != nil && !apierrors.IsNotFound(err) && !strings.Contains(err.Error(), "not found") {
		t.Fatal(err)
	}
}

func hasArg(p *corev1.Pod, arg string) bool {
	for _, a := range p.Spec.Containers[0].Args {
		if a == arg {
			return true
		}
	}
	return false
}

// optinPod runs a pod of optinNS labelled app=name.
func optinPod(t *testing.T, c *cluster.Cluster, name, podFields, containers string) *corev1.Pod {
	t.Helper()
	return runIn(t, c, optinNS, name, podFields+"  containers:\n"+containers, map[string]string{"app": name})
}

// apiForward listens on the node's address on the pods' bridge and
// forwards each connection to the API server on loopback.
type apiForward struct {
	host, port, addr string
	accepted         atomic.Int64
}

func forwardAPI(t *testing.T, c *cluster.Cluster) *apiForward {
	t.Helper()
	f := &apiForward{host: bridgeAddr(t, c.Containerd().Options().Bridge), port: strconv.Itoa(c.APIPort())}
	f.addr = net.JoinHostPort(f.host, f.port)
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		t.Fatalf("forwarding the API server's advertised address: %v", err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	upstream := net.JoinHostPort("127.0.0.1", f.port)
	wg.Go(func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			wg.Go(func() {
				defer in.Close()
				out, err := net.Dial("tcp", upstream)
				if err != nil {
					return
				}
				defer out.Close()
				mu.Lock()
				conns = append(conns, in, out)
				mu.Unlock()
				go func() { _, _ = io.Copy(out, in); out.Close() }()
				_, _ = io.Copy(in, out)
			})
		}
	})
	return f
}

// bridgeAddr is the node's IPv4 address on the pods' bridge (their gateway).
func bridgeAddr(t *testing.T, bridge string) string {
	t.Helper()
	ifc, err := net.InterfaceByName(bridge)
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Fatalf("no IPv4 address on %s: %v", bridge, addrs)
	return ""
}

// containerLog is a pod's main container log as the kubelet wrote it.
func containerLog(c *cluster.Cluster, p *corev1.Pod) string {
	files, _ := filepath.Glob(filepath.Join(c.Dir(), "pod-logs", fmt.Sprintf("%s_%s_%s", p.Namespace, p.Name, p.UID), "main", "*.log"))
	if len(files) == 0 {
		return "(no log)"
	}
	b, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		return err.Error()
	}
	return string(b)
}
