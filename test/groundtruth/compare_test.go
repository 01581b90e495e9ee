package groundtruth

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// launcherMatrix launches every matrix pod with the harness's launcher l
// (on a lab of its own, never the cluster's runtime) and returns the
// kernel state of each "main" process.
func launcherMatrix(t *testing.T, l *harness.Launcher, host map[string]string) (map[string]kernel, map[string]error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var wg sync.WaitGroup
	states, errs := map[string]kernel{}, map[string]error{}
	for _, tc := range matrix.Cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := func() (kernel, error) {
				pod, err := matrix.Pod(tc.Name, tc.Spec)
				if err != nil {
					return nil, err
				}
				p, err := l.Run(ctx, pod)
				if err != nil {
					return nil, err
				}
				t.Cleanup(func() {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					if err := p.Delete(ctx); err != nil {
						t.Error(err)
					}
				})
				pid, err := p.PID(ctx, "main")
				if err != nil {
					return nil, err
				}
				if err := waitExec(ctx, pid); err != nil {
					return nil, err
				}
				return readKernel(pid, host)
			}()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[tc.Name] = err
			} else {
				states[tc.Name] = k
			}
		}()
	}
	wg.Wait()
	return states, errs
}

// launcherLab starts a lab of the cluster's runtime (containerd, or CRI-O
// with the same default OCI runtime) for the test, and returns its
// launcher and start-up time: kubelet and launcher are compared on one
// runtime.
func launcherLab(t *testing.T, c *cluster.Cluster) (*harness.Launcher, time.Duration) {
	t.Helper()
	if c.RuntimeName() != harness.RuntimeCRIO {
		lab := harness.NewTestLab(t)
		return lab.Launcher, lab.UpTime
	}
	harness.SweepStaleCRIO("/var/tmp/rtaudit-crio-*")
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-crio-")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	lab, err := harness.StartCRIOLab(ctx, harness.CRIOOptions{Dir: dir}, "")
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := lab.Stop(); err != nil {
			t.Error(err)
		}
	})
	return lab.Launcher, lab.UpTime
}

// TestKernelKubeletVersusLauncher: for every matrix pod, the kernel state
// the real kubelet produced equals the one the launcher produces for the
// same manifest, except for the known differences (knownDifferences).
func TestKernelKubeletVersusLauncher(t *testing.T) {
	pods, kerrs := kubeletMatrix(t)
	c := cluster.Shared(t)
	l, up := launcherLab(t, c)
	// The node's namespaces are the runtime's (PID 1's may be unreadable
	// when the tests themselves run in a container).
	host, err := namespaces(c.Runtime().PID())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	launched, lerrs := launcherMatrix(t, l, host)
	t.Logf("%d matrix pods launched on a %s lab of their own in %s (lab up in %s)", len(launched), c.RuntimeName(), time.Since(start).Round(time.Millisecond), up.Round(time.Millisecond))
	for _, tc := range matrix.Cases {
		t.Run(tc.Name, func(t *testing.T) {
			if err := kerrs[tc.Name]; err != nil {
				t.Fatalf("kubelet: %v", err)
			}
			if err := lerrs[tc.Name]; err != nil {
				t.Fatalf("launcher: %v", err)
			}
			kube, err := readKernel(pods[tc.Name].pid, host)
			if err != nil {
				t.Fatal(err)
			}
			manifest, err := matrix.Pod(tc.Name, tc.Spec)
			if err != nil {
				t.Fatal(err)
			}
			d := diff(kube, launched[tc.Name])
			for _, kd := range knownDifferences {
				if !kd.applies(manifest) {
					continue
				}
				got, ok := d[kd.key]
				if !ok {
					t.Errorf("known difference %s did not show (kubelet %s, launcher %s expected): update knownDifferences", kd.key, kd.kubelet, kd.launcher)
					continue
				}
				kv, lv, _ := strings.Cut(got, " | ")
				if !matchValue(kd.kubelet, kv) || !matchValue(kd.launcher, lv) {
					t.Errorf("%s: kubelet %s, launcher %s; the known difference is kubelet %s, launcher %s", kd.key, kv, lv, kd.kubelet, kd.launcher)
				}
				delete(d, kd.key)
			}
			var lines []string
			for k, v := range d {
				lines = append(lines, fmt.Sprintf("%s: kubelet %s launcher", k, v))
			}
			slices.Sort(lines)
			if len(lines) > 0 {
				t.Errorf("unexplained differences between the kubelet's and the launcher's kernel state:\n  %s", strings.Join(lines, "\n  "))
			}
		})
	}
}
