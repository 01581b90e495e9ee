package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/daemon"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// faultLabGlob names the private labs of these tests: no other sweeper
// matches it, so a lab whose containerd is down on purpose (or restarted
// outside the harness) is never taken for a dead one by another package.
const faultLabGlob = "/var/tmp/rtaudit-fault-*"

// privateLab starts a lab of the test's own, for tests that kill or wedge
// its containerd: the package's shared lab is never disturbed.
func privateLab(t *testing.T) *harness.Lab {
	t.Helper()
	if err := harness.Available(); err != nil {
		if os.Getenv(harness.RequireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	sweepFaultLabs()
	dir, err := os.MkdirTemp("/var/tmp", "rtaudit-fault-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, faultLabOwner), []byte(processID(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lab, err := harness.StartLab(ctx, harness.Options{Dir: dir}, "")
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatal(err)
	}
	t.Logf("private lab in %s up in %v", dir, lab.UpTime.Round(time.Millisecond))
	t.Cleanup(func() {
		if err := lab.Stop(); err != nil {
			t.Error(err)
		}
	})
	return lab
}

// faultLabOwner is the file of a private lab naming the test process that
// owns it (its PID and start time).
const faultLabOwner = "rtaudit-test-owner"

// sweepFaultLabs stops what the private labs of test processes that died
// before their clean-up left behind. A lab whose owner lives is never
// touched, even while its containerd is down on purpose: other packages,
// and other runs of this one, sweep concurrently.
func sweepFaultLabs() {
	dirs, _ := filepath.Glob(faultLabGlob)
	for _, d := range dirs {
		owner, err := os.ReadFile(filepath.Join(d, faultLabOwner))
		if err != nil {
			continue // being created, or not one of ours
		}
		pid, _ := strconv.Atoi(strings.Fields(string(owner) + " 0")[0])
		if pid > 0 && processID(pid) == string(owner) {
			continue
		}
		harness.SweepStale(d)
	}
}

// processID identifies a process across PID reuse: "pid starttime".
func processID(pid int) string {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 20 {
		return ""
	}
	return fmt.Sprintf("%d %s", pid, fields[19])
}

// envInt reads a positive integer from the environment, else def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// agentRun is daemon.Run in-process, CRI-only, on 127.0.0.1:0.
type agentRun struct {
	url  string
	logs *syncBuffer
	stop func()
}

// runAgent starts the agent on endpoint; onAudit (may be nil) gets every
// report, on the agent's goroutine: it must be quick.
func runAgent(t *testing.T, endpoint string, resync time.Duration, onAudit func(*scan.Report)) *agentRun {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &agentRun{url: "http://" + ln.Addr().String(), logs: &syncBuffer{}}
	o := daemon.Options{Resync: resync, Listener: ln, OnAudit: onAudit,
		Logger: slog.New(slog.NewTextHandler(a.logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	o.Scan.Runtime.Endpoint = endpoint
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := daemon.Run(ctx, o); err != nil {
			t.Errorf("agent: %v", err)
		}
	}()
	var once sync.Once
	a.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("the agent did not stop within 30s of its context ending")
			}
		})
	}
	t.Cleanup(func() {
		a.stop()
		if t.Failed() {
			t.Logf("agent log (tail):\n%s", a.logs.tail(40))
		}
	})
	return a
}

// noKeepAlive is an HTTP client that leaves no idle connection (and so no
// goroutine or fd) behind between requests.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}

// readyz is the agent's /readyz status code, 0 when it does not answer.
func (a *agentRun) readyz() int {
	resp, err := noKeepAlive.Get(a.url + "/readyz")
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// waitReadyz waits until /readyz answers code and returns how long it took.
func (a *agentRun) waitReadyz(t *testing.T, code int, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for a.readyz() != code {
		if time.Since(start) > within {
			t.Fatalf("/readyz did not answer %d within %v (it answers %d)", code, within, a.readyz())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}

// metric is the value of an unlabelled series of /metrics.
func (a *agentRun) metric(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := noKeepAlive.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("/metrics %s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no series %s", name)
	return 0
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// resources is what a leak would grow.
type resources struct {
	goroutines int
	fds        int
	heap       uint64 // bytes in use after a GC
}

func (r resources) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, heap %.1f MiB", r.goroutines, r.fds, float64(r.heap)/(1<<20))
}

// measure samples this process after a GC, once short-lived goroutines
// (an HTTP server's connection, a finished call) have ended.
func measure(t *testing.T) resources {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return resources{goroutines: runtime.NumGoroutine(), fds: len(fds), heap: m.HeapAlloc}
}

// restartable is a lab's containerd that the test kills with SIGKILL and
// starts again as it was started (same command line, environment and
// directory), so that the containers, whose shims outlive it, are
// recovered as after a crash on a node. The harness's Restart would not
// do: starting an instance in a directory stops what the previous one
// left, containers included.
type restartable struct {
	t   *testing.T
	lab *harness.Lab
	// argv, env and dir are those of the lab's containerd.
	argv, env []string
	dir       string
	pid       int
	cmd       *exec.Cmd // the instance this test started; nil for the harness's
}

// newRestartable captures the lab's containerd command line. Its clean-up
// (register it before launching pods, whose own clean-up must run first)
// removes what pods are left and stops the instance the test started; the
// lab's Stop then cleans up as after a dead instance.
func newRestartable(t *testing.T, lab *harness.Lab) *restartable {
	t.Helper()
	pid := lab.PID()
	proc := func(name string) []string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	}
	dir, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		t.Fatal(err)
	}
	r := &restartable{t: t, lab: lab, argv: proc("cmdline"), env: proc("environ"), dir: dir, pid: pid}
	t.Cleanup(r.stop)
	return r
}

// kill sends SIGKILL and waits until the process is gone.
func (r *restartable) kill() {
	r.t.Helper()
	if err := syscall.Kill(r.pid, syscall.SIGKILL); err != nil {
		r.t.Fatalf("kill containerd %d: %v", r.pid, err)
	}
	if r.cmd != nil {
		_ = r.cmd.Wait()
		r.cmd = nil
		return
	}
	// The harness's own child: its goroutine reaps it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", r.pid)); os.IsNotExist(err) {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("containerd %d still exists 10s after SIGKILL", r.pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start runs containerd again and waits until CRI answers; it returns how
// long that took.
func (r *restartable) start() time.Duration {
	r.t.Helper()
	begin := time.Now()
	logf, err := os.OpenFile(r.lab.LogFile(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		r.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(r.argv[0], r.argv[1:]...)
	if !strings.ContainsRune(r.argv[0], '/') {
		path, err := exec.LookPath(r.argv[0])
		if err != nil {
			r.t.Fatal(err)
		}
		cmd.Path = path
	}
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = r.env, r.dir, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := harness.StartDaemon(cmd); err != nil {
		r.t.Fatalf("restart containerd: %v", err)
	}
	r.cmd, r.pid = cmd, cmd.Process.Pid
	r.record()
	rt, err := r.lab.RuntimeService()
	if err != nil {
		r.t.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
		cancel()
		if err == nil {
			return time.Since(begin)
		}
		if time.Since(begin) > 30*time.Second {
			r.t.Fatalf("restarted containerd not answering CRI after 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// record writes the new PID where the harness keeps it (instance.json,
// containerd.pid), so that a sweep of stale labs sees a live instance.
func (r *restartable) record() {
	dir := r.lab.Dir()
	path := filepath.Join(dir, "instance.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return
	}
	var rec map[string]json.RawMessage
	if json.Unmarshal(data, &rec) != nil {
		return
	}
	rec["PID"] = json.RawMessage(strconv.Itoa(r.pid))
	if out, err := json.Marshal(rec); err == nil {
		_ = os.WriteFile(path, out, 0o644)
	}
	_ = os.WriteFile(filepath.Join(dir, "containerd.pid"), []byte(strconv.Itoa(r.pid)+"\n"), 0o644)
}

// stop removes the pods left and stops the instance this test started.
func (r *restartable) stop() {
	if r.cmd == nil {
		return // the harness's own instance (or none): the lab's Stop handles it
	}
	if rt, err := r.lab.RuntimeService(); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}); err == nil {
			for _, sb := range list.Items {
				_, _ = rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id})
				_, _ = rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id})
			}
		}
		cancel()
	}
	_ = syscall.Kill(r.pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(r.pid, syscall.SIGKILL)
		<-done
	}
	r.cmd = nil
}

// TestFaultRuntimeKilled: containerd is killed with SIGKILL under a running
// agent, N times (RTAUDIT_FAULT_CYCLES, default 5). Each time the agent
// turns unready (/readyz 503, rtaudit_cri_up 0) and counts the failure
// (rtaudit_cri_errors_total) within seconds; once containerd is back it
// reconnects by itself, audits the containers that survived the crash
// again (the same drift finding on the same container) and is ready. Across
// the cycles its goroutines, file descriptors and heap do not grow.
func TestFaultRuntimeKilled(t *testing.T) {
	lab := privateLab(t)
	rt := newRestartable(t, lab)
	cycles := envInt(t, "RTAUDIT_FAULT_CYCLES", 5)
	drift, _ := launch(t, lab, podYAML("fault-drift", "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper))
	launch(t, lab, podYAML("fault-plain", "  containers:\n"+sleeper))
	driftID, err := drift.ContainerID("main")
	if err != nil {
		t.Fatal(err)
	}

	var audits atomic.Int64
	var lastDrift atomic.Bool // the latest audit judged the drift container
	// An hour's resync: only the watch can tell the agent the runtime is
	// gone, and it must, within seconds.
	a := runAgent(t, lab.Endpoint(), time.Hour, func(r *scan.Report) {
		found := false
		for _, f := range r.Findings {
			found = found || (f.ContainerID == driftID && f.Check == checks.Capabilities && f.Layer == checks.LayerOCI)
		}
		lastDrift.Store(found)
		audits.Add(1)
	})
	a.waitReadyz(t, http.StatusOK, 30*time.Second)
	waitAudit := func(after int64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for audits.Load() <= after || !lastDrift.Load() {
			if time.Now().After(deadline) {
				t.Fatalf("no audit with the drift finding on %.12s within %v", driftID, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitAudit(0, 20*time.Second)
	base := measure(t)
	t.Logf("before: %v", base)
	var first resources
	for i := 1; i <= cycles; i++ {
		errs := a.metric(t, "rtaudit_cri_errors_total")
		rt.kill()
		down := a.waitReadyz(t, http.StatusServiceUnavailable, 10*time.Second)
		if up := a.metric(t, "rtaudit_cri_up"); up != 0 {
			t.Errorf("cycle %d: rtaudit_cri_up %v while containerd is dead, want 0", i, up)
		}
		if e := a.metric(t, "rtaudit_cri_errors_total"); e <= errs {
			t.Errorf("cycle %d: rtaudit_cri_errors_total %v, want more than %v", i, e, errs)
		}
		restart := rt.start()
		n := audits.Load()
		begin := time.Now()
		a.waitReadyz(t, http.StatusOK, 45*time.Second)
		waitAudit(n, 45*time.Second)
		back := time.Since(begin)
		now := measure(t)
		if i == 1 {
			first = now
		}
		t.Logf("cycle %d: unready %v after the kill; containerd back in %v; agent ready and re-audited %v later; %v",
			i, down.Round(time.Millisecond), restart.Round(time.Millisecond), back.Round(time.Millisecond), now)
	}
	after := measure(t)
	t.Logf("after %d cycles: %v (before: %v; after cycle 1: %v)", cycles, after, base, first)
	// One cycle may warm caches (a connection pool, the HTTP server); the
	// cycles after it must not grow anything.
	if d := after.goroutines - first.goroutines; d > 5 || after.goroutines-base.goroutines > 15 {
		t.Errorf("goroutines: %d before, %d after cycle 1, %d after %d cycles", base.goroutines, first.goroutines, after.goroutines, cycles)
	}
	if d := after.fds - first.fds; d > 3 || after.fds-base.fds > 10 {
		t.Errorf("fds: %d before, %d after cycle 1, %d after %d cycles", base.fds, first.fds, after.fds, cycles)
	}
	if after.heap > base.heap+32<<20 {
		t.Errorf("heap: %.1f MiB before, %.1f MiB after %d cycles", float64(base.heap)/(1<<20), float64(after.heap)/(1<<20), cycles)
	}
}

// labProcess reports whether pid runs in a cgroup of the lab's pods.
func labProcess(lab *harness.Lab, pid int) bool {
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	return err == nil && strings.Contains(string(cg), ":"+lab.Options().CgroupParent+"/")
}

// procRefs are the "comm(pid)" references of a finding's message.
var procRefs = regexp.MustCompile(`\((\d+)\)`)

// labHideouts are the undeclared-container findings on processes of the
// lab's pods: every one is a false alarm, since every pod of the lab was
// made through CRI. (The hidden-process search covers the whole host:
// other labs' containers on this machine are rightly reported, and
// ignored here.)
func labHideouts(r *scan.Report, lab *harness.Lab) []checks.Finding {
	var out []checks.Finding
	for _, f := range r.Findings {
		if f.Check != checks.UndeclaredContainer || f.Layer != checks.LayerProcess {
			continue
		}
		for _, m := range procRefs.FindAllStringSubmatch(f.Message, -1) {
			if pid, _ := strconv.Atoi(m[1]); labProcess(lab, pid) {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// TestFaultStatusErrorsAreNotFindings: with ten pods running, the runtime
// fails ContainerStatus (Unavailable) for three of them, as an overloaded
// or restarting runtime does mid-scan. Those three are listed as not
// audited, the scan says it is incomplete (CLI: exit 2, one line on
// stderr, the report still written), the other seven are audited as
// usual, and nothing about the three is a finding: a container that could
// not be read is never evidence of a hidden one.
func TestFaultStatusErrorsAreNotFindings(t *testing.T) {
	lab := privateLab(t)
	pods := make([]*harness.Pod, 10)
	for i := range pods {
		pods[i], _ = launch(t, lab, podYAML(fmt.Sprintf("flood-%d", i), "  containers:\n"+sleeper))
	}
	faulty := map[string]int{} // container ID → its init PID
	for _, i := range []int{0, 4, 7} {
		id, err := pods[i].ContainerID("main")
		if err != nil {
			t.Fatal(err)
		}
		pid, err := pods[i].PID(context.Background(), "main")
		if err != nil {
			t.Fatal(err)
		}
		faulty[id] = pid
	}
	proxy := startCRIProxy(t, lab.Address(), proxyHooks{
		containerStatus: func(_ context.Context, req *runtimeapi.ContainerStatusRequest, resp *runtimeapi.ContainerStatusResponse, err error) (*runtimeapi.ContainerStatusResponse, error) {
			if _, ok := faulty[req.GetContainerId()]; ok {
				return nil, status.Error(codes.Unavailable, "injected: the runtime is overloaded")
			}
			return resp, err
		},
	})
	o := scan.Options{}
	o.Runtime.Endpoint = "unix://" + proxy.Socket
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := scan.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	notAudited := map[string]bool{}
	for _, e := range r.Errors {
		notAudited[e.ID] = true
		if _, ok := faulty[e.ID]; !ok || !strings.Contains(e.Error, "ContainerStatus") || strings.Contains(e.Error, "\n") {
			t.Errorf("not audited: %+v; want one of the faulty containers, one line naming ContainerStatus", e)
		}
	}
	if len(notAudited) != len(faulty) {
		t.Errorf("%d containers not audited, want the %d faulty ones: %+v", len(notAudited), len(faulty), r.Errors)
	}
	audited := 0
	for _, c := range r.Containers {
		if strings.HasPrefix(c.Pod, "flood-") {
			audited++
			if _, ok := faulty[c.ID]; ok {
				t.Errorf("faulty container %s/%s reported audited", c.Pod, c.Container)
			}
		}
	}
	if audited != len(pods)-len(faulty) {
		t.Errorf("%d flood containers audited, want %d", audited, len(pods)-len(faulty))
	}
	falseAlarms := 0
	for _, f := range r.Findings {
		if _, ok := faulty[f.ContainerID]; ok || strings.HasPrefix(f.Pod, "flood-") {
			t.Errorf("finding on a flood pod (compliant, CRI-only): %+v", f)
			falseAlarms++
		}
		for _, pid := range faulty {
			if f.PID == pid || strings.Contains(f.Message, fmt.Sprintf("(%d)", pid)) {
				t.Errorf("finding on the process %d of a container that could not be read: %+v", pid, f)
				falseAlarms++
			}
		}
	}
	for _, f := range labHideouts(r, lab) {
		t.Errorf("undeclared-container on a lab process: %+v", f)
		falseAlarms++
	}
	t.Logf("%d containers audited, %d not audited, %d gone; %d findings in all (other labs' containers on this host included), %d false alarms; %d ContainerStatus calls through the proxy",
		len(r.Containers), len(r.Errors), len(r.Gone), len(r.Findings), falseAlarms, proxy.Calls(containerStatusMethod))

	// The CLI: the report is written, the exit code is 2, stderr one line.
	cmd := exec.Command(rtauditBinary(t), "scan", "--runtime-endpoint", "unix://"+proxy.Socket, "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	msg := strings.TrimSpace(stderr.String())
	var cr scan.Report
	if jerr := json.Unmarshal(stdout.Bytes(), &cr); jerr != nil || code != 2 || strings.Contains(msg, "\n") || msg == "" {
		t.Errorf("rtaudit scan through the faulty runtime: exit %d, stderr %q, report %v; want exit 2, one line, a JSON report", code, msg, jerr)
	} else if len(cr.Errors) != len(faulty) {
		t.Errorf("CLI report lists %d containers not audited, want %d", len(cr.Errors), len(faulty))
	}
	t.Logf("CLI: exit %d: %s", code, msg)
}

// TestFaultHungRuntime: a runtime that hangs is a one-line error naming the
// call and the socket, within the per-call timeout, never a hung scan; and
// one hung status call costs one container, not the scan.
func TestFaultHungRuntime(t *testing.T) {
	const timeout = 2 * time.Second
	bound := timeout + 2*time.Second
	scanVia := func(t *testing.T, socket string) (*scan.Report, time.Duration, error) {
		t.Helper()
		o := scan.Options{Filter: scan.Filter{Namespace: "rtaudit-hung"}}
		o.Runtime.Endpoint = "unix://" + socket
		o.Runtime.Timeout = timeout
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		begin := time.Now()
		r, err := scan.Run(ctx, o)
		return r, time.Since(begin), err
	}
	oneLine := func(t *testing.T, err error, call, socket string, took time.Duration) {
		t.Helper()
		t.Logf("after %v: %v", took.Round(time.Millisecond), err)
		if err == nil {
			t.Fatal("scan succeeded")
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, call) || !strings.Contains(msg, socket) {
			t.Errorf("error %q: want one line naming %s and %s", msg, call, socket)
		}
		if took > bound {
			t.Errorf("the scan took %v with a %v call timeout", took, timeout)
		}
	}

	t.Run("accepts-never-answers", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "hung.sock")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var conns []net.Conn
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c) // held open, never read or written
				mu.Unlock()
			}
		}()
		t.Cleanup(func() {
			ln.Close()
			mu.Lock()
			defer mu.Unlock()
			for _, c := range conns {
				c.Close()
			}
		})
		_, took, err := scanVia(t, sock)
		oneLine(t, err, "Version", sock, took)
	})

	lab := harness.SharedLab(t)
	t.Run("listing-blocks", func(t *testing.T) {
		proxy := startCRIProxy(t, lab.Address(), proxyHooks{before: func(ctx context.Context, method string) error {
			if method == "/runtime.v1.RuntimeService/ListPodSandbox" {
				<-ctx.Done()
				return status.FromContextError(ctx.Err()).Err()
			}
			return nil
		}})
		_, took, err := scanVia(t, proxy.Socket)
		oneLine(t, err, "ListPodSandbox", proxy.Socket, took)
	})

	t.Run("one-status-blocks", func(t *testing.T) {
		p, _ := launch(t, lab, strings.Replace(podYAML("hung-status", "  containers:\n"+sleeper), "metadata:\n", "metadata:\n  namespace: rtaudit-hung\n", 1))
		id, err := p.ContainerID("main")
		if err != nil {
			t.Fatal(err)
		}
		launch(t, lab, strings.Replace(podYAML("hung-witness", "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper), "metadata:\n", "metadata:\n  namespace: rtaudit-hung\n", 1))
		proxy := startCRIProxy(t, lab.Address(), proxyHooks{containerStatus: func(ctx context.Context, req *runtimeapi.ContainerStatusRequest, resp *runtimeapi.ContainerStatusResponse, err error) (*runtimeapi.ContainerStatusResponse, error) {
			if req.GetContainerId() == id {
				<-ctx.Done()
				return nil, status.FromContextError(ctx.Err()).Err()
			}
			return resp, err
		}})
		r, took, err := scanVia(t, proxy.Socket)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("scan with one hung ContainerStatus: %v; errors %+v", took.Round(time.Millisecond), r.Errors)
		if len(r.Errors) != 1 || r.Errors[0].ID != id || !strings.Contains(r.Errors[0].Error, "ContainerStatus") || !strings.Contains(r.Errors[0].Error, "timed out") {
			t.Errorf("errors %+v, want the hung container alone, timed out in ContainerStatus", r.Errors)
		}
		if _, ok := findingOf(r, "hung-witness", checks.Capabilities); !ok || len(r.Containers) != 1 {
			t.Errorf("the other container was not audited: %+v%s", r.Containers, dump(r))
		}
		if took > bound {
			t.Errorf("the scan took %v with a %v call timeout", took, timeout)
		}
	})
}

// TestFaultReusedPID: the runtime reports as a container's init PID the
// PID of a host process (as if the init exited and its PID went to another
// process between the runtime's answer and the probe). The root host
// process is never judged as the container's (which runs as 1000): the
// container is listed as gone, nothing is attributed to it, its real
// processes are not taken for hidden ones, and the rest of the scan is
// unaffected.
func TestFaultReusedPID(t *testing.T) {
	lab := harness.SharedLab(t)
	victim, _ := launch(t, lab, podYAML("reuse-victim", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
	launch(t, lab, podYAML("reuse-witness", "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper))
	id, err := victim.ContainerID("main")
	if err != nil {
		t.Fatal(err)
	}
	realPID, err := victim.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	host := exec.Command("sleep", "3600") // root, in the test's cgroup and namespaces
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = host.Process.Kill(); _ = host.Wait() })
	hostPID := host.Process.Pid
	proxy := startCRIProxy(t, lab.Address(), proxyHooks{
		containerStatus: func(_ context.Context, req *runtimeapi.ContainerStatusRequest, resp *runtimeapi.ContainerStatusResponse, err error) (*runtimeapi.ContainerStatusResponse, error) {
			if err != nil || req.GetContainerId() != id {
				return resp, err
			}
			var info map[string]json.RawMessage
			if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil {
				return nil, status.Errorf(codes.Internal, "proxy: verbose info: %v", err)
			}
			info["pid"] = json.RawMessage(strconv.Itoa(hostPID))
			b, err := json.Marshal(info)
			if err != nil {
				return nil, status.Errorf(codes.Internal, "proxy: %v", err)
			}
			resp.Info["info"] = string(b)
			return resp, nil
		},
	})
	o := scan.Options{}
	o.Runtime.Endpoint = "unix://" + proxy.Socket
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := scan.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	gone := false
	for _, g := range r.Gone {
		gone = gone || g.ID == id
	}
	if !gone {
		t.Errorf("the container whose PID went to host process %d is not listed as gone: gone %+v, errors %+v", hostPID, r.Gone, r.Errors)
	}
	for _, c := range r.Containers {
		if c.ID == id {
			t.Errorf("the container was audited on PID %d: %+v", c.PID, c)
		}
	}
	for _, f := range r.Findings {
		if f.ContainerID == id || f.PID == hostPID || f.PID == realPID || strings.Contains(f.Message, fmt.Sprintf("(%d)", hostPID)) {
			t.Errorf("finding attributed to the reused PID or the victim: %+v", f)
		}
	}
	for _, f := range labHideouts(r, lab) {
		t.Errorf("undeclared-container on a lab process: %+v", f)
	}
	if f, ok := findingOf(r, "reuse-witness", checks.Capabilities); !ok || f.Layer != checks.LayerOCI {
		t.Errorf("the other container was not audited as usual:%s", dump(r))
	}
	t.Logf("victim %.12s (init %d) reported with host PID %d: gone %d, errors %d, containers %d", id, realPID, hostPID, len(r.Gone), len(r.Errors), len(r.Containers))
}
