package groundtruth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// scanNamespace scans the cluster's containerd, declared by the API server
// (the kube-api source, as `rtaudit scan --kubeconfig`), filtered on one
// namespace: tests in other namespaces and other labs on this host stay
// out of it.
func scanNamespace(t *testing.T, c *cluster.Cluster, ns string) *scan.Report {
	t.Helper()
	return scanKubeAPI(t, c, ns, false)
}

// scanKubeAPI is scanNamespace telling the audit whether the kubelet runs
// with seccompDefault.
func scanKubeAPI(t *testing.T, c *cluster.Cluster, ns string, seccompDefault bool) *scan.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := declared.LoadKubeAPI(ctx, declared.KubeAPIOptions{Kubeconfig: c.Kubeconfig(), Node: c.NodeName()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := scan.Run(ctx, scan.Options{
		Runtime:        runtimeOptions(c),
		Declared:       src,
		Node:           c.NodeName(),
		Filter:         scan.Filter{Namespace: ns},
		SeccompDefault: seccompDefault,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("containers not audited: %+v", r.Errors)
	}
	undeclared := map[string]bool{}
	for _, f := range r.Findings {
		if f.Check == "undeclared-container" {
			undeclared[f.ContainerID] = true
		}
	}
	for _, ctr := range r.Containers {
		if undeclared[ctr.ID] {
			// Judged against its own CRI config: the report says so.
			if ctr.DeclaredFrom != expect.OriginCRI {
				t.Errorf("undeclared %s/%s/%s declared from %q, want %q", ctr.Namespace, ctr.Pod, ctr.Container, ctr.DeclaredFrom, expect.OriginCRI)
			}
			continue
		}
		if ctr.DeclaredFrom != expect.OriginKubeAPI {
			t.Errorf("%s/%s/%s declared from %q, want %q", ctr.Namespace, ctr.Pod, ctr.Container, ctr.DeclaredFrom, expect.OriginKubeAPI)
		}
	}
	return r
}

// drifts are the non-info findings of one pod as "check/layer/pid", sorted.
func drifts(r *scan.Report, pod string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Pod == pod && f.Severity != checks.Info {
			out = append(out, fmt.Sprintf("%s/%s/%d", f.Check, f.Layer, f.PID))
		}
	}
	slices.Sort(out)
	return out
}

func dump(r *scan.Report, pod string) string {
	var b strings.Builder
	for _, f := range r.Findings {
		if f.Pod == pod {
			fmt.Fprintf(&b, "\n  %s/%s %s %s pid=%d %s: want %s got %s: %s", f.Pod, f.Container, f.Check, f.Layer, f.PID, f.Field, f.Expected, f.Actual, f.Message)
		}
	}
	return b.String()
}

// TestAuditMatrixThroughKubelet: every matrix pod, run by the real kubelet
// and declared by the API server (service-account token, /etc/hosts and
// /dev/termination-log mounts included), gives no finding, except the
// matrix drifts, which give exactly their check on the main process.
func TestAuditMatrixThroughKubelet(t *testing.T) {
	c := cluster.Shared(t)
	pods, errs := kubeletMatrix(t)
	start := time.Now()
	r := scanNamespace(t, c, matrixNamespace)
	t.Logf("scan of %d containers in %s", len(r.Containers), time.Since(start).Round(time.Millisecond))
	audited := map[string]int{}
	for _, ctr := range r.Containers {
		audited[ctr.Pod]++
	}
	for _, tc := range matrix.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			if err := errs[tc.Name]; err != nil {
				t.Fatal(err)
			}
			kp := pods[tc.Name]
			if audited[tc.Name] != 1 {
				t.Fatalf("%d containers of the pod audited, want 1", audited[tc.Name])
			}
			for _, f := range r.Findings {
				if f.Pod == tc.Name && f.Severity == checks.Info {
					t.Logf("info: %s %s pid=%d: %s", f.Check, f.Layer, f.PID, f.Message)
				}
			}
			var want []string
			if check, ok := matrix.Drift[tc.Name]; ok {
				want = []string{fmt.Sprintf("%s/process/%d", check, kp.pid)}
			}
			if got := drifts(r, tc.Name); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r, tc.Name))
			}
		})
	}
}
