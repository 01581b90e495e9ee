package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/cli"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

var (
	sizes    = flag.String("pods", "50,110,250", "node sizes (pods), ascending")
	runs     = flag.Int("runs", 7, "timed runs of each program per size (the median is reported)")
	rtaudit  = flag.String("rtaudit", "", "the rtaudit binary (default: go build ./cmd/rtaudit)")
	baseline = flag.String("baseline", "", "another rtaudit binary timed in the same runs (e.g. a build of the previous commit)")
	profile  = flag.String("profile", "", "write CPU and allocation profiles of scans run in this process, at the size nearest 110 pods, into this directory")
)

// TestMain starts a lab only when a benchmark is asked for: the package
// compiles and vets under go test ./... without costing a lab.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	os.Exit(harness.RunMain(m))
}

// sample is one run of a program: wall time, the child's user+system CPU
// and its peak RSS (rusage).
type sample struct {
	wall, cpu time.Duration
	rss       int64 // bytes
}

// program is a command line timed by the bench.
type program struct {
	name    string
	args    []string
	samples []sample
	check   func(out []byte) error
}

// run runs p once through the rusage wrapper (see test/bench/rusage: the
// bench's own RSS would otherwise be counted as the child's).
func (p *program) run() error {
	figures := filepath.Join(os.TempDir(), fmt.Sprintf("rtaudit-bench-%d.json", os.Getpid()))
	defer os.Remove(figures)
	var out, errOut bytes.Buffer
	cmd := exec.Command(wrapper, append([]string{"-o", figures}, p.args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %v: %s", p.name, err, errOut.Bytes())
	}
	if err := p.check(out.Bytes()); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	data, err := os.ReadFile(figures)
	if err != nil {
		return err
	}
	var ru struct{ WallNs, CPUNs, MaxRSSKB int64 }
	if err := json.Unmarshal(data, &ru); err != nil {
		return err
	}
	p.samples = append(p.samples, sample{wall: time.Duration(ru.WallNs), cpu: time.Duration(ru.CPUNs), rss: ru.MaxRSSKB << 10})
	return nil
}

// wrapper is the rusage program, built by the benchmark.
var wrapper string

// median is the median of each figure separately.
func (p *program) median() sample {
	pick := func(f func(sample) int64) int64 {
		v := make([]int64, len(p.samples))
		for i, s := range p.samples {
			v[i] = f(s)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return sample{
		wall: time.Duration(pick(func(s sample) int64 { return int64(s.wall) })),
		cpu:  time.Duration(pick(func(s sample) int64 { return int64(s.cpu) })),
		rss:  pick(func(s sample) int64 { return s.rss }),
	}
}

// BenchmarkScanVsFloor launches pods on a private containerd (some with
// several processes or two containers, a few on the host network) plus a
// few hidden processes, then at each size times `rtaudit scan --pods DIR
// -o json` against the floor program (test/bench/floor), interleaved, and
// prints the medians and their ratios. Run it once (-benchtime=1x); see
// bench.mk.
func BenchmarkScanVsFloor(b *testing.B) {
	lab := harness.SharedLab(b)
	ns := parseSizes(b, *sizes)
	dir := b.TempDir()
	bin := *rtaudit
	if bin == "" {
		bin = goBuild(b, dir, "rtaudit", "./cmd/rtaudit")
	}
	floor := goBuild(b, dir, "floor", "./test/bench/floor")
	wrapper = goBuild(b, dir, "rusage", "./test/bench/rusage")
	startHideouts(b)

	var rows []string
	medians := map[string]map[int]sample{} // by program, then size
	var pods []pod
	for _, n := range ns {
		start := time.Now()
		pods = launchPods(b, lab, pods, n)
		b.Logf("%d pods running (launched in %v)", n, time.Since(start).Round(time.Millisecond))
		manifests := writeManifests(b, dir, pods)
		want := 0
		for _, p := range pods {
			want += p.containers
		}
		counts := map[string]int{} // processes by container, as the floor counted them
		progs := []*program{
			{name: "floor", args: []string{floor, "-runtime-endpoint", lab.Endpoint()}, check: floorCheck(want, counts)},
			{name: "floor+sandboxes", args: []string{floor, "-runtime-endpoint", lab.Endpoint(), "-sandboxes"}, check: floorCheck(want, nil)},
			{name: "rtaudit", args: []string{bin, "scan", "--runtime-endpoint", lab.Endpoint(), "--pods", manifests, "-o", "json"}, check: reportCheck(want, counts)},
		}
		if *baseline != "" {
			progs = append(progs, &program{name: "baseline", args: []string{*baseline, "scan", "--runtime-endpoint", lab.Endpoint(), "--pods", manifests, "-o", "json"}, check: reportCheck(want, counts)})
		}
		// One warm-up run each (page cache, containerd's caches), then
		// interleaved runs, the order rotating so no program always runs
		// right after another.
		for _, p := range progs {
			if err := p.run(); err != nil {
				b.Fatal(err)
			}
			p.samples = nil
		}
		for r := range *runs {
			for i := range progs {
				if err := progs[(i+r)%len(progs)].run(); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, p := range progs {
			if medians[p.name] == nil {
				medians[p.name] = map[int]sample{}
			}
			medians[p.name][n] = p.median()
		}
		f := progs[0].median()
		for _, p := range progs[1:] {
			m := p.median()
			rows = append(rows, fmt.Sprintf("| %d | %d | %s | %s | %.2f× | %.2f× | %.2f× |",
				n, want, p.name, fmtSample(f)+" | "+fmtSample(m), ratio(m.wall, f.wall), ratio(m.cpu, f.cpu), float64(m.rss)/float64(f.rss)))
			b.ReportMetric(float64(m.wall.Microseconds())/1000, fmt.Sprintf("%s-wall-ms/%d", p.name, n))
			b.ReportMetric(float64(m.cpu.Microseconds())/1000, fmt.Sprintf("%s-cpu-ms/%d", p.name, n))
			b.ReportMetric(float64(m.rss)/(1<<20), fmt.Sprintf("%s-rss-MiB/%d", p.name, n))
		}
		b.ReportMetric(float64(f.wall.Microseconds())/1000, fmt.Sprintf("floor-wall-ms/%d", n))
		b.ReportMetric(float64(f.cpu.Microseconds())/1000, fmt.Sprintf("floor-cpu-ms/%d", n))
		if *profile != "" && n == nearest(ns, 110) {
			profileScans(b, *profile, lab.Endpoint(), manifests)
		}
	}
	fmt.Printf("\nmedian of %d runs; wall ms / CPU ms (user+sys) / peak RSS MiB\n", *runs)
	fmt.Println("| pods | containers | program | floor wall | cpu | rss | program wall | cpu | rss | wall ratio | cpu ratio | rss ratio |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, r := range rows {
		fmt.Println(r)
	}
	// Linearity: the largest size against the one nearest 110 pods.
	if mid, last := nearest(ns, 110), ns[len(ns)-1]; mid != last {
		fmt.Printf("\ncost of %d pods over %d (%.2f× the pods):\n", last, mid, float64(last)/float64(mid))
		for _, name := range slices.Sorted(maps.Keys(medians)) {
			a, z := medians[name][mid], medians[name][last]
			fmt.Printf("  %-16s wall %.2f×  cpu %.2f×  rss %.2f×\n", name, ratio(z.wall, a.wall), ratio(z.cpu, a.cpu), float64(z.rss)/float64(a.rss))
		}
	}
}

func fmtSample(s sample) string {
	return fmt.Sprintf("%.0f | %.0f | %.1f", float64(s.wall.Microseconds())/1000, float64(s.cpu.Microseconds())/1000, float64(s.rss)/(1<<20))
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

func nearest(ns []int, target int) int {
	best := ns[0]
	for _, n := range ns {
		if abs(n-target) < abs(best-target) {
			best = n
		}
	}
	return best
}

func abs(x int) int { return max(x, -x) }

func parseSizes(b *testing.B, s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || (len(out) > 0 && n <= out[len(out)-1]) {
			b.Fatalf("-pods %q: want ascending positive sizes", s)
		}
		out = append(out, n)
	}
	return out
}

// goBuild builds pkg of the module as make build does.
func goBuild(b *testing.B, dir, name, pkg string) string {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = moduleRoot(b)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v: %s", pkg, err, msg)
	}
	return out
}

func moduleRoot(b *testing.B) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// pod is a launched pod and its manifest.
type pod struct {
	yaml       string
	containers int
}

// podSpec is the i-th pod of the bench: every 4th runs three processes in
// its container, every 10th has a second container, every 25th is on the
// host network (which also keeps 250 pods within the lab's /24).
func podSpec(i int) pod {
	name := fmt.Sprintf("bench-%03d", i)
	main := mx.Sleeper
	if i%4 == 1 {
		main = "  - name: main\n    image: " + mx.Image + "\n    command: [sh, -c, \"sleep 3600 & sleep 3600 & exec sleep 3600\"]\n"
	}
	spec, n := "  containers:\n"+main, 1
	if i%10 == 5 {
		spec += "  - name: side\n    image: " + mx.Image + "\n    command: [sleep, \"3600\"]\n"
		n++
	}
	if i%25 == 24 {
		spec = "  hostNetwork: true\n" + spec
	}
	return pod{yaml: mx.PodYAML(name, spec), containers: n}
}

// launchPods launches pods len(have)..n-1, four at a time, and deletes them
// at the end of the benchmark.
func launchPods(b *testing.B, lab *harness.Lab, have []pod, n int) []pod {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				spec, err := harness.ParsePod([]byte(podSpec(i).yaml))
				if err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
					var p *harness.Pod
					p, err = lab.Launcher.Run(ctx, spec)
					cancel()
					if err == nil {
						b.Cleanup(func() { _ = p.Delete(context.Background()) })
					}
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := len(have); i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("%d pods failed to launch; first: %v", len(errs), errs[0])
	}
	for i := len(have); i < n; i++ {
		have = append(have, podSpec(i))
	}
	time.Sleep(500 * time.Millisecond) // let the last sh -c fork its sleeps
	return have
}

// writeManifests writes one manifest per pod into a fresh directory.
func writeManifests(b *testing.B, dir string, pods []pod) string {
	out := filepath.Join(dir, fmt.Sprintf("pods-%d", len(pods)))
	if err := os.MkdirAll(out, 0o755); err != nil {
		b.Fatal(err)
	}
	for i, p := range pods {
		if err := os.WriteFile(filepath.Join(out, fmt.Sprintf("pod-%03d.yaml", i)), []byte(p.yaml), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// startHideouts starts three unshare hideouts (a pid and network namespace
// of their own, outside any container), one with a child of its own.
func startHideouts(b *testing.B) {
	for _, args := range [][]string{
		{"unshare", "--pid", "--net", "--fork", "--kill-child", "sleep", "3600"},
		{"unshare", "--pid", "--net", "--fork", "--kill-child", "sleep", "3601"},
		{"unshare", "--pid", "--fork", "--kill-child", "sh", "-c", "sleep 3602 & exec sleep 3603"},
	} {
		cmd := exec.Command(args[0], args[1:]...)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
}

// hideouts is how many undeclared-container findings startHideouts makes.
const hideouts = 3

// floorCheck checks the floor found want containers, and records how many
// processes each has in counts (when not nil).
func floorCheck(want int, counts map[string]int) func([]byte) error {
	return func(out []byte) error {
		var r struct {
			Containers []struct {
				ID        string `json:"id"`
				Processes int    `json:"processes"`
			} `json:"containers"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return err
		}
		if len(r.Containers) != want {
			return fmt.Errorf("%d containers, want %d", len(r.Containers), want)
		}
		for _, c := range r.Containers {
			if counts != nil {
				counts[c.ID] = c.Processes
			}
		}
		return nil
	}
}

// reportCheck checks a report audited want containers, none gone or in
// error, with as many processes each as the floor counted, and found the
// hideouts.
func reportCheck(want int, counts map[string]int) func([]byte) error {
	return func(out []byte) error {
		var r struct {
			Containers []struct {
				ID        string `json:"id"`
				Processes int    `json:"processes"`
			} `json:"containers"`
			Findings []struct {
				Check string `json:"check"`
			} `json:"findings"`
			Gone   []json.RawMessage `json:"gone"`
			Errors []json.RawMessage `json:"errors"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return err
		}
		if len(r.Containers) != want || len(r.Gone)+len(r.Errors) > 0 {
			return fmt.Errorf("%d containers audited (%d gone, %d errors), want %d", len(r.Containers), len(r.Gone), len(r.Errors), want)
		}
		for _, c := range r.Containers {
			if n, ok := counts[c.ID]; ok && n != c.Processes {
				return fmt.Errorf("container %s: %d processes, the floor counted %d", c.ID, c.Processes, n)
			}
		}
		hidden := 0
		for _, f := range r.Findings {
			if f.Check == "undeclared-container" {
				hidden++
			}
		}
		if hidden < hideouts { // more when something else on the host hides
			return fmt.Errorf("%d undeclared-container findings, want at least %d", hidden, hideouts)
		}
		return nil
	}
}

// profileScans runs the CLI's scan in this process (cli.Main, as
// cmd/rtaudit does, package init already paid) under the CPU profiler for
// 20 scans, then records the allocations of one scan.
func profileScans(b *testing.B, dir, endpoint, manifests string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	args := []string{"scan", "--runtime-endpoint", endpoint, "--pods", manifests, "-o", "json"}
	scanOnce := func() {
		var out, errOut bytes.Buffer
		if code := cli.Main(args, cli.Streams{In: os.Stdin, Out: &out, Err: &errOut}); code != cli.ExitClean {
			b.Fatalf("rtaudit scan: exit %d: %s", code, errOut.Bytes())
		}
	}
	scanOnce()
	f, err := os.Create(filepath.Join(dir, "cpu.pprof"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	for range 20 {
		scanOnce()
	}
	pprof.StopCPUProfile()

	// Allocations of 5 scans: the difference of two profiles taken at one
	// sampling rate (go tool pprof -base allocs-base.pprof allocs.pprof).
	runtime.MemProfileRate = 4096
	defer func() { runtime.MemProfileRate = 512 * 1024 }()
	writeAllocs := func(name string) {
		runtime.GC()
		a, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		if err := pprof.Lookup("allocs").WriteTo(a, 0); err != nil {
			b.Fatal(err)
		}
	}
	writeAllocs("allocs-base.pprof")
	for range 5 {
		scanOnce()
	}
	writeAllocs("allocs.pprof")
	b.Logf("profiles in %s (go tool pprof -top %s/cpu.pprof)", dir, dir)
}
