package integration

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// procState is field 3 of /proc/<pid>/stat (R, S, D, Z, ...), 0 when gone.
func procState(pid int) byte {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return 0
	}
	return s[i+2]
}

// inPidNS lists the processes in the pid namespace of pid.
func inPidNS(t *testing.T, pid int) []int {
	t.Helper()
	ref, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		q, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ref {
			out = append(out, q)
		}
	}
	return out
}

// podScan scans one pod of the lab (CRI-only) and returns its report and
// the pod's one container summary.
func podScan(t *testing.T, lab *harness.Lab, pod string) (*scan.Report, scan.ContainerSummary, time.Duration) {
	t.Helper()
	begin := time.Now()
	r := runScan(t, lab, scan.Options{Filter: scan.Filter{Namespace: "default", Pod: pod}})
	took := time.Since(begin)
	if len(r.Containers) != 1 {
		t.Fatalf("pod %s: %d containers audited, want 1 (gone %+v)", pod, len(r.Containers), r.Gone)
	}
	return r, r.Containers[0], took
}

// TestHostileProcesses: containers whose processes try the audit's
// assumptions: several users, a zombie, uninterruptible sleep (a frozen
// container: on this cgroup v1 host the freezer shows its tasks as D),
// thousands of processes.
func TestHostileProcesses(t *testing.T) {
	lab := harness.SharedLab(t)

	// Processes of three users in one container declared runAsUser 1000:
	// each process is judged on its own, the finding on the right PID at
	// the right severity, the compliant init untouched.
	t.Run("many-users", func(t *testing.T) {
		p, _ := launch(t, lab, podYAML("hostile-users", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
		init, err := p.PID(context.Background(), "main")
		if err != nil {
			t.Fatal(err)
		}
		root, err := p.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
		if err != nil {
			t.Fatal(err)
		}
		other, err := p.ExecAs(context.Background(), "main", 2000, 1000, "sleep", "3600")
		if err != nil {
			t.Fatal(err)
		}
		waitExec(t, root)
		waitExec(t, other)
		r, c, _ := podScan(t, lab, "hostile-users")
		if c.Processes != 3 {
			t.Errorf("%d processes judged, want 3 (init, root exec, uid 2000 exec)", c.Processes)
		}
		sev := map[string]checks.Severity{}
		for _, f := range r.Findings {
			if f.Severity == checks.Info {
				continue
			}
			if f.PID != root && f.PID != other || f.Layer != checks.LayerProcess {
				t.Errorf("finding not on an exec'd process (init %d, root %d, uid 2000 %d): %+v", init, root, other, f)
			}
			sev[fmt.Sprintf("%s/%d", f.Check, f.PID)] = f.Severity
		}
		if s := sev[fmt.Sprintf("%s/%d", checks.RunAsUser, root)]; s != checks.Critical {
			t.Errorf("run-as-user on the root process: %q, want critical:%s", s, dump(r))
		}
		if s := sev[fmt.Sprintf("%s/%d", checks.RunAsUser, other)]; s != checks.Medium {
			t.Errorf("run-as-user on the uid 2000 process: %q, want medium:%s", s, dump(r))
		}
		if _, ok := sev[fmt.Sprintf("%s/%d", checks.RunAsGroup, other)]; ok {
			t.Errorf("run-as-group on the uid 2000 process, whose group is the declared 1000:%s", dump(r))
		}
	})

	// A zombie: sh starts a child and execs sleep as the container's
	// init, which never reaps it. The dead process is not judged (it has
	// no credentials in force), not counted, and not a hidden container.
	t.Run("zombie", func(t *testing.T) {
		p, _ := launch(t, lab, podYAML("hostile-zombie", `  containers:
  - name: main
    image: `+harness.BusyboxImage+`
    command: [sh, -c, "sleep 1 & exec sleep 3600"]
`))
		init, err := p.PID(context.Background(), "main")
		if err != nil {
			t.Fatal(err)
		}
		zombie := 0
		for deadline := time.Now().Add(10 * time.Second); zombie == 0; time.Sleep(100 * time.Millisecond) {
			for _, q := range inPidNS(t, init) {
				if q != init && procState(q) == 'Z' {
					zombie = q
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no zombie in the container after 10s")
			}
		}
		r, c, _ := podScan(t, lab, "hostile-zombie")
		if c.Processes != 1 || len(drifts(r)) != 0 {
			t.Errorf("%d processes judged (want 1: the zombie %d is dead), findings %v", c.Processes, zombie, drifts(r))
		}
		full := runScan(t, lab, scan.Options{})
		for _, f := range full.Findings {
			if f.PID == zombie || strings.Contains(f.Message, fmt.Sprintf("(%d)", zombie)) {
				t.Errorf("finding on the zombie %d: %+v", zombie, f)
			}
		}
		for _, f := range labHideouts(full, lab) {
			t.Errorf("undeclared-container on a lab process: %+v", f)
		}
		if procState(zombie) != 'Z' {
			t.Errorf("process %d is no longer a zombie: the test proved nothing", zombie)
		}
	})

	// Uninterruptible sleep: the container's task is paused (cgroup
	// freezer), its processes, one of them a root exec, are in state D.
	// The scan reads them without blocking and still judges each.
	t.Run("uninterruptible", func(t *testing.T) {
		p, _ := launch(t, lab, podYAML("hostile-frozen", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
		init, err := p.PID(context.Background(), "main")
		if err != nil {
			t.Fatal(err)
		}
		root, err := p.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
		if err != nil {
			t.Fatal(err)
		}
		waitExec(t, root)
		id, err := p.ContainerID("main")
		if err != nil {
			t.Fatal(err)
		}
		cl, err := lab.Client()
		if err != nil {
			t.Fatal(err)
		}
		ctx := namespaces.WithNamespace(context.Background(), harness.CRINamespace)
		ctr, err := cl.LoadContainer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		task, err := ctr.Task(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Pause(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { // before the pod's deletion: a frozen task does not die
			if err := task.Resume(ctx); err != nil {
				t.Error(err)
			}
			cl.Close()
		})
		for deadline := time.Now().Add(10 * time.Second); procState(init) != 'D' || procState(root) != 'D'; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Skipf("the frozen processes are in states %c and %c, not D: nothing to test here", procState(init), procState(root))
			}
		}
		r, c, took := podScan(t, lab, "hostile-frozen")
		t.Logf("scan of a container whose 2 processes are in state D: %v", took.Round(time.Millisecond))
		if c.Processes != 2 {
			t.Errorf("%d processes judged, want 2", c.Processes)
		}
		if f, ok := findingOf(r, "hostile-frozen", checks.RunAsUser); !ok || f.PID != root || f.Severity != checks.Critical {
			t.Errorf("want run-as-user critical on the frozen root process %d:%s", root, dump(r))
		}
		if took > 10*time.Second {
			t.Errorf("the scan took %v", took)
		}
	})

	// Thousands of processes in one container (RTAUDIT_HOSTILE_PROCS,
	// default 2000): the scan finishes, counts them all and finds nothing
	// in a compliant container.
	t.Run("many-processes", func(t *testing.T) {
		n := envInt(t, "RTAUDIT_HOSTILE_PROCS", 2000)
		p, _ := launch(t, lab, podYAML("hostile-procs", fmt.Sprintf(`  containers:
  - name: main
    image: %s
    command: [sh, -c, "i=0; while [ $i -lt %d ]; do sleep 3600 & i=$((i+1)); done; exec sleep 3600"]
`, harness.BusyboxImage, n)))
		init, err := p.PID(context.Background(), "main")
		if err != nil {
			t.Fatal(err)
		}
		begin := time.Now()
		for {
			procs := inPidNS(t, init)
			live := slices.DeleteFunc(procs, func(q int) bool { s := procState(q); return s == 'Z' || s == 0 })
			if len(live) == n+1 && !slices.ContainsFunc(live, func(q int) bool {
				comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", q))
				return strings.TrimSpace(string(comm)) != "sleep"
			}) {
				break
			}
			// A wait for the shell's forks, not a speed bound: 10,000
			// took over 60 s once on a loaded CI host, and each poll
			// walks every process.
			if time.Since(begin) > 5*time.Minute {
				t.Fatalf("%d processes in the container after 5 min, want %d sleeps", len(live), n+1)
			}
			time.Sleep(time.Second)
		}
		t.Logf("%d processes started in %v", n+1, time.Since(begin).Round(time.Millisecond))
		r, c, took := podScan(t, lab, "hostile-procs")
		if c.Processes != n+1 || len(r.Findings) != 0 {
			t.Errorf("%d processes judged, want %d; findings:%s", c.Processes, n+1, dump(r))
		}
		begin = time.Now()
		full := runScan(t, lab, scan.Options{})
		fullTook := time.Since(begin)
		for _, f := range labHideouts(full, lab) {
			t.Errorf("undeclared-container on a lab process: %s", f.Message)
		}
		t.Logf("scan of the pod: %v; full scan (hidden-process search over the host): %v", took.Round(time.Millisecond), fullTook.Round(time.Millisecond))
	})
}
