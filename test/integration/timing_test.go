package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
)

// launchN starts n pods one after the other (as a kubelet's pod workers
// would for a burst) and waits until all their containers run.
func launchN(tb testing.TB, lab *harness.Lab, n int, tag string) time.Duration {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	var pods []*harness.Pod
	for i := 0; i < n; i++ {
		pod, err := harness.ParsePod([]byte(podYAML(fmt.Sprintf("%s-%d", tag, i), "  containers:\n"+sleeper)))
		if err != nil {
			tb.Fatal(err)
		}
		p, err := lab.Launcher.Run(ctx, pod)
		if err != nil {
			tb.Fatal(err)
		}
		pods = append(pods, p)
	}
	for _, p := range pods {
		if _, err := p.PID(ctx, "main"); err != nil {
			tb.Fatal(err)
		}
	}
	took := time.Since(start)
	for _, p := range pods {
		if err := p.Delete(ctx); err != nil {
			tb.Error(err)
		}
	}
	return took
}

// TestLaunchTimings records how long the harness takes to come up and to
// launch 10 pods; the figures go to the test log.
func TestLaunchTimings(t *testing.T) {
	lab := harness.SharedLab(t)
	t.Logf("harness up (containerd ready + images imported): %s", lab.UpTime.Round(time.Millisecond))
	took := launchN(t, lab, 10, "timing")
	t.Logf("launch 10 pods: %s (%s per pod)", took.Round(time.Millisecond), (took / 10).Round(time.Millisecond))
}

func BenchmarkLaunch10(b *testing.B) {
	lab := harness.SharedLab(b)
	for i := 0; i < b.N; i++ {
		launchN(b, lab, 10, fmt.Sprintf("bench%d", i))
	}
}
