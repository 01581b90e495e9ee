package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
)

// TestAgentAtRest measures the agent binary (CRI-only) on a node of 110
// running pods (RTAUDIT_AGENT_BENCH_PODS sets another number; every fifth
// on the host's network): CPU and memory at rest over default resyncs, and the time
// from a drifting container's start to its finding on /metrics. Figures,
// not assertions of speed: it runs only with RTAUDIT_AGENT_BENCH=1 (make
// bench-agent) and logs them.
func TestAgentAtRest(t *testing.T) {
	if os.Getenv("RTAUDIT_AGENT_BENCH") != "1" {
		t.Skip("a measurement, not a test: RTAUDIT_AGENT_BENCH=1 runs it (make bench-agent)")
	}
	lab := harness.SharedLab(t)
	bin := rtauditBinary(t)
	pods := 110
	if v := os.Getenv("RTAUDIT_AGENT_BENCH_PODS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("RTAUDIT_AGENT_BENCH_PODS=%q: want a positive number", v)
		}
		pods = n
	}
	ctx := context.Background()
	var running []*harness.Pod
	t.Cleanup(func() {
		for _, p := range running {
			_ = p.Delete(context.Background())
		}
	})
	for i := range pods {
		// Every fifth on the host's network, as a node's daemons are: the
		// lab's pod range is a /24, and 250 pods and the late ones must fit.
		spec := "  containers:\n" + sleeper
		if i%5 == 4 {
			spec = "  hostNetwork: true\n" + spec
		}
		pod, err := harness.ParsePod([]byte(podYAML(fmt.Sprintf("rest-%d", i), spec)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := lab.Launcher.Run(ctx, pod)
		if err != nil {
			t.Fatal(err)
		}
		running = append(running, p)
	}
	port := freePort(t)
	resync := 60 * time.Second
	if v := os.Getenv("RTAUDIT_AGENT_BENCH_RESYNC"); v != "" {
		resync, _ = time.ParseDuration(v)
	}
	cmd := exec.Command(bin, "agent", "--no-api", "--runtime-endpoint", lab.Endpoint(),
		"--metrics-addr", "127.0.0.1:"+port, "--metrics-pod-labels", "--resync", resync.String(), "--log-level", "error")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	url := "http://127.0.0.1:" + port
	waitReady(t, url)

	window := 3 * resync
	cpu0, _ := procCPU(t, cmd.Process.Pid)
	time.Sleep(window)
	cpu1, rss := procCPU(t, cmd.Process.Pid)
	t.Logf("at rest, %d pods, resync %v: %.2f%% of one core over %v; VmRSS %d MiB (anonymous %d MiB, the binary's and other files' pages %d MiB), VmHWM %s",
		pods, resync, 100*(cpu1-cpu0).Seconds()/window.Seconds(), window, rss.rss>>10, rss.anon>>10, rss.file>>10, rss.hwm)

	var lat []time.Duration
	for i := range 20 {
		name := fmt.Sprintf("late-%d", i)
		pod, err := harness.ParsePod([]byte(podYAML(name, "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper)))
		if err != nil {
			t.Fatal(err)
		}
		p, err := lab.Launcher.Run(ctx, pod)
		if err != nil {
			t.Fatal(err)
		}
		started := time.Now()
		running = append(running, p)
		want := fmt.Sprintf(`pod=%q`, name)
		for {
			if strings.Contains(metricsText(t, url), want) {
				lat = append(lat, time.Since(started))
				break
			}
			if time.Since(started) > 10*time.Second {
				t.Fatalf("no finding for %s within 10s", name)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	slices.Sort(lat)
	t.Logf("start to finding on /metrics (%d pods running, %s): p50 %v, p90 %v, max %v",
		pods, lab.Endpoint(), lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*9/10].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

type memory struct {
	rss, anon, file int64  // KiB: VmRSS, RssAnon, RssFile
	hwm             string // as status prints it
}

// procCPU is a process's user+system CPU time and memory.
func procCPU(t *testing.T, pid int) (time.Duration, memory) {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	var m memory
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	kib := func(v string) int64 { n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64); return n }
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			m.rss = kib(v)
		}
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			m.anon = kib(v)
		}
		if v, ok := strings.CutPrefix(l, "RssFile:"); ok {
			m.file = kib(v)
		}
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			m.hwm = strings.TrimSpace(v)
		}
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, m // USER_HZ is 100
}
