package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/cri/critest"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes/probetest"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

var captureGolden = flag.Bool("capture", false, "TestCaptureGolden: capture the scan scenarios of agent/scan/testdata from the lab (root; rewrites the captures, then run go test ./agent/scan/ -update)")

// goldenDir holds one directory per captured scenario (agent/scan's
// golden tests replay them).
const goldenDir = "../../agent/scan/testdata"

// capturePod is a pod of a scenario: its spec body and launch options.
type capturePod struct {
	name string
	spec string
	opts []harness.Option
}

// captureScenario is a node state to capture: pods, then what setup does
// behind the kubelet's back; setup returns the PIDs of processes outside
// any container that belong in the capture (hideouts).
type captureScenario struct {
	name  string
	pods  []capturePod
	setup func(t *testing.T, pods map[string]*harness.Pod) []int
}

// compliantPods are matrix pods that must give no finding.
var compliantPods = []string{"defaults", "run-as-user-group", "drop-all-add-one", "privileged", "read-only-root",
	"host-network", "host-pid", "restricted-profile"}

// execRootSpec is deploy/examples/exec-root.yaml: a restricted pod running
// as UID 1000, into which the capture execs a root process.
const execRootSpec = `  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + mx.Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

func captureScenarios(t *testing.T) []captureScenario {
	matrixSpec := map[string]string{}
	for _, c := range mx.Cases {
		matrixSpec[c.Name] = c.Spec
	}
	var compliant []capturePod
	for _, name := range compliantPods {
		spec, ok := matrixSpec[name]
		if !ok {
			t.Fatalf("no matrix pod %q", name)
		}
		compliant = append(compliant, capturePod{name: name, spec: spec})
	}
	restricted := `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + mx.Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`
	rootDropAll := "  containers:\n  - name: main\n    image: " + mx.Image + "\n    command: [sleep, \"3600\"]\n    securityContext: {capabilities: {drop: [ALL]}}\n"
	return []captureScenario{
		{name: "compliant", pods: compliant},
		{name: "cri-drift", pods: []capturePod{
			{"mis-runasuser", restricted, []harness.Option{harness.WithMistranslation("runAsUser")}},
			{"mis-privileged", rootDropAll, []harness.Option{harness.WithMistranslation("privileged")}},
		}},
		{name: "oci-drift", pods: []capturePod{{name: "runtime-adds-cap", spec: "  runtimeClassName: " + harness.DriftHandler + `
  securityContext: {seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + mx.Image + `
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [NET_RAW]}}
`}}},
		{name: "process-drift", pods: []capturePod{
			{name: "exec-root", spec: execRootSpec},
			{name: "setuid-escalates", spec: matrixSpec["setuid-escalates"]},
		}, setup: func(t *testing.T, pods map[string]*harness.Pod) []int {
			pid, err := pods["exec-root"].ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
			if err != nil {
				t.Fatal(err)
			}
			waitExec(t, pid)
			return nil
		}},
		{name: "hidden", pods: []capturePod{{name: "nsenter-target", spec: "  containers:\n" + mx.Sleeper}},
			setup: func(t *testing.T, pods map[string]*harness.Pod) []int {
				target, err := pods["nsenter-target"].PID(context.Background(), "main")
				if err != nil {
					t.Fatal(err)
				}
				unshare := startHideout(t, "unshare", "--pid", "--net", "--fork", "--kill-child", "sleep", "3600")
				nsenter := startHideout(t, "nsenter", "-t", strconv.Itoa(target), "-p", "-n", "-m", "--", "sleep", "3600")
				return []int{unshare.Process.Pid, waitChild(t, unshare.Process.Pid, "sleep"),
					nsenter.Process.Pid, waitChild(t, nsenter.Process.Pid, "sleep")}
			}},
	}
}

// TestCaptureGolden captures the scenarios of the scan's golden tests from
// the lab's real containerd and kernel: for each, the CRI answers
// (cri.json), the proc tree of the processes a scan reads (proc/, ns.txt,
// hostpaths.txt: PID 1, kthreadd, this test and containerd as plain host
// processes, every container and sandbox process with its parent, the
// hideouts) and the pod manifests (pods.yaml). Only with -capture.
func TestCaptureGolden(t *testing.T) {
	if !*captureGolden {
		t.Skip("captures the golden scenarios only with -capture")
	}
	lab := harness.SharedLab(t)
	for _, sc := range captureScenarios(t) {
		t.Run(sc.name, func(t *testing.T) { captureOne(t, lab, sc) })
	}
}

func captureOne(t *testing.T, lab *harness.Lab, sc captureScenario) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pods := map[string]*harness.Pod{}
	var manifests []string
	for _, cp := range sc.pods {
		yaml := withUID(podYAML(cp.name, cp.spec), sc.name)
		p, _ := launch(t, lab, yaml, cp.opts...)
		pods[cp.name] = p
		manifests = append(manifests, yaml)
	}
	var extra []int
	if sc.setup != nil {
		extra = sc.setup(t, pods)
	}

	rs, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	capture, err := critest.Record(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	live, err := cri.Dial(ctx, cri.DialOptions{Endpoint: lab.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if capture.OtherTasks, err = live.OtherTasks(ctx); err != nil {
		t.Fatal(err)
	}
	snap, err := critest.NewRuntime(capture, capture.Info(lab.Endpoint()), nil).Snapshot(ctx, cri.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Sandboxes) != len(sc.pods) {
		t.Fatalf("the lab runs %d sandboxes, want the scenario's %d: a pod of another test?", len(snap.Sandboxes), len(sc.pods))
	}

	// The processes a scan reads: the host's reference processes, each
	// container's processes (by cgroup), each sandbox's pause, their
	// parents (the scan reads the shim's bounding set), the hideouts.
	pids := append([]int{1, 2, os.Getpid(), lab.PID()}, extra...)
	hostPaths := append(expect.DefaultMaskedPaths(), expect.DefaultReadonlyPaths()...)
	for _, c := range snap.Containers {
		if c.StatusError != nil || c.PID <= 0 {
			t.Fatalf("container %s/%s: pid %d, %v", c.Pod.Name, c.Name, c.PID, c.StatusError)
		}
		pids = append(pids, inCgroupOf(t, c.ID)...)
		if c.Spec != nil && c.Spec.Linux != nil {
			hostPaths = append(append(hostPaths, c.Spec.Linux.MaskedPaths...), c.Spec.Linux.ReadonlyPaths...)
		}
	}
	for _, sb := range snap.Sandboxes {
		if sb.PID <= 0 {
			t.Fatalf("sandbox %s: no pid", sb.Pod.Name)
		}
		pids = append(pids, sb.PID)
	}
	for _, pid := range slices.Clone(pids) {
		if ppid := parentOf(t, pid); ppid > 0 {
			pids = append(pids, ppid)
		}
	}

	dir := filepath.Join(goldenDir, sc.name)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := capture.Save(filepath.Join(dir, "cri.json")); err != nil {
		t.Fatal(err)
	}
	if err := probetest.Capture("/proc", pids, dir, hostPaths...); err != nil {
		t.Fatal(err)
	}
	header := fmt.Sprintf("# The pods of scenario %q as declared (rtaudit scan --pods), captured by\n# go test ./test/integration/ -run TestCaptureGolden -capture\n", sc.name)
	if err := os.WriteFile(filepath.Join(dir, "pods.yaml"), []byte(header+strings.Join(manifests, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	t.Logf("%s: %d sandboxes, %d containers, pids %v", dir, len(snap.Sandboxes), len(snap.Containers), pids)
	checkReplay(t, lab, dir, capture, pids)
}

// checkReplay scans the lab live and the capture replayed, against the
// captured manifests, and fails when they disagree on the captured
// containers and processes: the capture then lacks something the scan
// reads. (Findings on processes outside the capture, other tests' or
// other labs' on this host, are not compared.)
func checkReplay(t *testing.T, lab *harness.Lab, dir string, capture *critest.Capture, pids []int) {
	t.Helper()
	pods, err := declared.LoadManifests(filepath.Join(dir, "pods.yaml"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	live := runScan(t, lab, scan.Options{Declared: pods})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt := critest.NewRuntime(capture, capture.Info(lab.Endpoint()), nil)
	replayed, err := scan.NewScanner(rt, probetest.Materialise(t, dir), scan.Options{Declared: pods}).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range capture.Containers {
		ids[c.GetId()] = true
	}
	summary := func(r *scan.Report) []string {
		var out []string
		for _, c := range r.Containers {
			if ids[c.ID] {
				out = append(out, fmt.Sprintf("container %s/%s pid=%d processes=%d from=%s", c.Pod, c.Container, c.PID, c.Processes, c.DeclaredFrom))
			}
		}
		for _, f := range r.Findings {
			if ids[f.ContainerID] || slices.Contains(pids, f.PID) {
				out = append(out, fmt.Sprintf("finding %s %s %s %s/%s pid=%d %s: %s -> %s", f.Check, f.Severity, f.Layer, f.Pod, f.Container, f.PID, f.Field, f.Expected, f.Actual))
			}
		}
		for _, g := range r.Gone {
			out = append(out, "gone "+g.ID)
		}
		slices.Sort(out)
		return out
	}
	if d := cmp.Diff(summary(live), summary(replayed)); d != "" {
		t.Errorf("the replayed capture scans differently from the lab (-live +replayed):\n%s", d)
	}
}

// withUID gives the manifest a UID derived from the scenario and pod name,
// so a new capture changes no pod UID.
func withUID(yaml, scenario string) string {
	name := strings.TrimSpace(strings.SplitN(strings.SplitN(yaml, "\n  name: ", 2)[1], "\n", 2)[0])
	uid := uuid.NewSHA1(uuid.NameSpaceURL, []byte("rtaudit-golden/"+scenario+"/"+name))
	return strings.Replace(yaml, "\n  name: "+name+"\n", "\n  name: "+name+"\n  namespace: default\n  uid: "+uid.String()+"\n", 1)
}

// inCgroupOf lists the host's processes whose cgroup names the container.
func inCgroupOf(t *testing.T, id string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cg, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if err == nil && strings.Contains(string(cg), id) {
			out = append(out, pid)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no process in the cgroup of container %.12s", id)
	}
	return out
}

// parentOf returns the parent of pid (field 4 of /proc/<pid>/stat).
func parentOf(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		t.Fatalf("pid %d: stat %q", pid, s)
	}
	return ppid
}

// waitChild waits for the child of ppid that has exec'd comm and returns
// its PID.
func waitChild(t *testing.T, ppid int, comm string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out, _ := exec.Command("pgrep", "-P", strconv.Itoa(ppid), "-x", comm).Output()
		if f := strings.Fields(string(out)); len(f) == 1 {
			pid, err := strconv.Atoi(f[0])
			if err == nil {
				return pid
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no child %q of pid %d after 10s", comm, ppid)
	return 0
}
