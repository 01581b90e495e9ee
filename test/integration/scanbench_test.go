package integration

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// BenchmarkScan20 measures one whole scan (CRI listing with verbose
// statuses, every process probed, the checks, the hidden-process search)
// of a node running 20 pods. It reports the scan's CPU time (user+system of
// this process, which is where the probing and parsing happen).
func BenchmarkScan20(b *testing.B) {
	lab := harness.SharedLab(b)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		pod, err := harness.ParsePod([]byte(podYAML(fmt.Sprintf("scanbench-%d", i), "  containers:\n"+sleeper)))
		if err != nil {
			b.Fatal(err)
		}
		p, err := lab.Launcher.Run(ctx, pod)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = p.Delete(context.Background()) })
	}
	s, err := scan.New(ctx, scan.Options{Runtime: cri.DialOptions{Endpoint: lab.Endpoint()}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for b.Loop() {
		r, err := s.Scan(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Containers) < 20 {
			b.Fatalf("scanned %d containers, want 20 (gone %v, errors %v)", len(r.Containers), r.Gone, r.Errors)
		}
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/scan")
}
