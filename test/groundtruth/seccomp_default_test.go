package groundtruth

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// runMatrixOn applies every matrix pod to cluster c in namespace ns
// (concurrently) and returns them Running, or the error of each that
// failed.
func runMatrixOn(t *testing.T, c *cluster.Cluster, ns string) (map[string]*kubeletPod, map[string]error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	var mu sync.Mutex
	var wg sync.WaitGroup
	pods, errs := map[string]*kubeletPod{}, map[string]error{}
	for _, tc := range matrix.Cases {
		wg.Go(func() {
			kp, err := func() (*kubeletPod, error) {
				pod, err := clusterPod(c, ns, tc.Name, tc.Spec)
				if err != nil {
					return nil, err
				}
				return runPod(ctx, c, pod, "main")
			}()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[tc.Name] = err
			} else {
				pods[tc.Name] = kp
			}
		})
	}
	wg.Wait()
	t.Logf("%d matrix pods Running in %s", len(pods), time.Since(start).Round(time.Millisecond))
	return pods, errs
}

// findingsOf lists every finding of pod (info included) as
// "check/severity/layer/pid", sorted.
func findingsOf(r *scan.Report, pod string) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Pod == pod {
			out = append(out, fmt.Sprintf("%s/%s/%s/%d", f.Check, f.Severity, f.Layer, f.PID))
		}
	}
	slices.Sort(out)
	return out
}

// TestSeccompDefaultOn: a second cluster whose kubelet runs with
// seccompDefault: true. A container that declares no seccompProfile gets
// the runtime's default filter (Seccomp 2: the kubelet sends RuntimeDefault
// over CRI, not Unconfined). Told the truth (SeccompDefault), the audit
// gives no finding on the whole matrix but its known drift. Not told, it
// expects Unconfined and finds RuntimeDefault in the CRI config: drift
// toward less privilege, one info finding at the cri layer (oci on CRI-O)
// on exactly the pods that declare no profile (the privileged one too on
// containerd: the kubelet sends RuntimeDefault, the runtime applies none),
// and nothing above info.
func TestSeccompDefaultOn(t *testing.T) {
	cluster.Shared(t)
	t.Parallel()
	c := cluster.Extra(t, cluster.Options{SeccompDefault: true})
	t.Logf("seccompDefault cluster up in %s", c.UpTime.Round(time.Millisecond))
	const ns = "gt-seccomp-default"
	pods, errs := runMatrixOn(t, c, ns)
	for name, err := range errs {
		t.Errorf("%s: %v", name, err)
	}
	if t.Failed() {
		t.FailNow()
	}
	k, err := readKernel(pods["defaults"].pid, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if got := k["status.Seccomp"]; got != "2" {
		t.Errorf("a container with no seccompProfile has Seccomp %s under seccompDefault: true, want 2", got)
	}
	told := scanKubeAPI(t, c, ns, true)
	notTold := scanKubeAPI(t, c, ns, false)
	for _, tc := range matrix.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			kp := pods[tc.Name]
			var want []string
			if check, ok := matrix.Drift[tc.Name]; ok {
				want = []string{fmt.Sprintf("%s/process/%d", check, kp.pid)}
			}
			if got := drifts(told, tc.Name); !slices.Equal(got, want) {
				t.Errorf("told seccompDefault: findings %v, want %v:%s", got, want, dump(told, tc.Name))
			}
			if got := drifts(notTold, tc.Name); !slices.Equal(got, want) {
				t.Errorf("not told seccompDefault: findings %v, want %v:%s", got, want, dump(notTold, tc.Name))
			}
			k, err := readKernel(kp.pid, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			// The kubelet sent RuntimeDefault for every container that
			// declares no profile; the runtime applies it unless the
			// container is privileged.
			var wantExtra []string
			if declaresNoSeccomp(kp) {
				want := "2"
				if privileged(kp) {
					want = "0"
				}
				if got := k["status.Seccomp"]; got != want {
					t.Errorf("no seccompProfile declared: Seccomp %s, want %s", got, want)
				}
				// Not told, the audit expects Unconfined: the CRI
				// config's RuntimeDefault is less privilege, one info,
				// first seen where the kubelet's config shows. CRI-O
				// shows no CRI config, and its spec of a privileged
				// container has no filter: nothing departs there.
				wantExtra = []string{"seccomp/" + string(checks.Info) + "/" + kubeletLayer(c) + "/0"}
				if privileged(kp) && c.RuntimeName() == harness.RuntimeCRIO {
					wantExtra = nil
				}
			}
			var extra []string
			for _, f := range findingsOf(notTold, tc.Name) {
				if !slices.Contains(findingsOf(told, tc.Name), f) {
					extra = append(extra, f)
				}
			}
			if !slices.Equal(extra, wantExtra) {
				t.Errorf("not told seccompDefault: extra findings %v, want %v (Seccomp %s):%s", extra, wantExtra, k["status.Seccomp"], dump(notTold, tc.Name))
			}
		})
	}
}

// privileged tells whether "main" is privileged.
func privileged(kp *kubeletPod) bool {
	for _, ctr := range kp.pod.Spec.Containers {
		if ctr.Name == "main" && ctr.SecurityContext != nil && ctr.SecurityContext.Privileged != nil {
			return *ctr.SecurityContext.Privileged
		}
	}
	return false
}

// declaresNoSeccomp tells whether neither the pod nor its "main" container
// sets a seccompProfile.
func declaresNoSeccomp(kp *kubeletPod) bool {
	if sc := kp.pod.Spec.SecurityContext; sc != nil && sc.SeccompProfile != nil {
		return false
	}
	for _, ctr := range kp.pod.Spec.Containers {
		if ctr.Name == "main" && ctr.SecurityContext != nil && ctr.SecurityContext.SeccompProfile != nil {
			return false
		}
	}
	return true
}
