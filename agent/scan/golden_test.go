//go:build linux

package scan_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/cri/critest"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
	"github.com/rtaudit/rtaudit/probes/probetest"
)

var update = flag.Bool("update", false, "rewrite the golden reports of testdata/<scenario>/")

// The node and endpoint every golden report names, whatever host the
// scenario was captured on.
const (
	goldenNode     = "golden-node"
	goldenEndpoint = "unix:///run/containerd/containerd.sock"
)

// captured is one scenario of testdata/ (see testdata/README.md): the CRI
// capture, a fresh copy of its proc tree (the test may edit it) and its
// manifests.
type captured struct {
	dir  string
	cri  *critest.Capture
	fs   probes.FS
	pods *declared.Index
	snap *cri.Snapshot // the capture as a scan sees it (running only)
}

func load(t *testing.T, name string) *captured {
	t.Helper()
	dir := filepath.Join("testdata", name)
	c, err := critest.Load(filepath.Join(dir, "cri.json"))
	if err != nil {
		t.Fatal(err)
	}
	pods, err := declared.LoadManifests(filepath.Join(dir, "pods.yaml"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := runtimeOf(c).Snapshot(context.Background(), cri.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &captured{dir: dir, cri: c, fs: probetest.Materialise(t, dir), pods: pods, snap: snap}
}

var _ scan.Runtime = (*critest.Runtime)(nil)

// runtimeOf replays c as containerd on a fixed endpoint and no socket.
func runtimeOf(c *critest.Capture) *critest.Runtime {
	return critest.NewRuntime(c, c.Info(goldenEndpoint), nil)
}

// scan runs a whole scan of the scenario, against its manifests or (nil)
// against each container's own CRI config.
func (c *captured) scan(t *testing.T, src declared.Source) *scan.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// No runtime state roots: this host's /run is not the scenario's.
	o := scan.Options{Node: goldenNode, RuntimeRoots: []string{}}
	if src != nil {
		o.Declared = src
	}
	r, err := scan.NewScanner(runtimeOf(c.cri), c.fs, o).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// container returns the captured container main of pod.
func (c *captured) container(t *testing.T, pod string) cri.Container {
	t.Helper()
	for _, ctr := range c.snap.Containers {
		if ctr.Pod.Name == pod && ctr.Name == "main" {
			return ctr
		}
	}
	t.Fatalf("%s: no container main of pod %s", c.dir, pod)
	return cri.Container{}
}

// pidsOf lists the processes of the container whose init is pid.
func (c *captured) pidsOf(t *testing.T, pid int) []int {
	t.Helper()
	pids, err := c.fs.NewSession().ContainerPIDs(pid)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

// byComm lists the processes of the tree named comm.
func (c *captured) byComm(t *testing.T, comm string) []int {
	t.Helper()
	pids, err := c.fs.PIDs()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, pid := range pids {
		data, err := os.ReadFile(filepath.Join(c.fs.Root(), strconv.Itoa(pid), "stat"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), " ("+comm+") ") {
			out = append(out, pid)
		}
	}
	return out
}

// procDir is the materialised /proc/<pid> of the scenario.
func (c *captured) procDir(pid int) string { return filepath.Join(c.fs.Root(), strconv.Itoa(pid)) }

// golden renders r as the JSON contract and compares it with
// testdata/<scenario>/<name>.golden.json byte for byte (-update rewrites it).
func golden(t *testing.T, c *captured, name string, r *scan.Report) {
	t.Helper()
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(c.dir, name+".golden.json")
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./agent/scan/ -run Golden -update writes it)", err)
	}
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Errorf("%s differs (-golden +scan):\n%s", path, d)
	}
}

// drifts are the findings above info as "check layer pod pid" lines,
// sorted: the facts each scenario asserts besides its golden bytes.
func drifts(r *scan.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity != checks.Info {
			out = append(out, fmt.Sprintf("%s %s %s %d", f.Check, f.Layer, f.Pod, f.PID))
		}
	}
	slices.Sort(out)
	return out
}

// clean fails unless every container of the scenario was audited
// (none gone, none in error) from the expected source.
func clean(t *testing.T, c *captured, r *scan.Report, from expect.Origin) {
	t.Helper()
	if len(r.Gone) != 0 || len(r.Errors) != 0 {
		t.Errorf("gone %v, errors %v: want every container audited", r.Gone, r.Errors)
	}
	if len(r.Containers) != len(c.snap.Containers) {
		t.Errorf("%d containers audited, want the capture's %d", len(r.Containers), len(c.snap.Containers))
	}
	for _, s := range r.Containers {
		if s.DeclaredFrom != from {
			t.Errorf("%s/%s declared from %s, want %s", s.Pod, s.Container, s.DeclaredFrom, from)
		}
	}
	if r.Node != goldenNode || r.Runtime.Endpoint != goldenEndpoint || r.Runtime.Name != "containerd" {
		t.Errorf("report identity %q %+v", r.Node, r.Runtime)
	}
}

func findingsText(r *scan.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  %s %s %s %s/%s pid=%d %s: want %s got %s: %s", f.Check, f.Severity, f.Layer, f.Pod, f.Container, f.PID, f.Field, f.Expected, f.Actual, f.Message)
	}
	return b.String()
}

func wantDrifts(t *testing.T, r *scan.Report, want ...string) {
	t.Helper()
	if got := drifts(r); !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q:%s", got, want, findingsText(r))
	}
}

// TestGoldenCompliant: the matrix pods as the launcher runs them give no
// finding, against their manifests as against their own CRI configs.
func TestGoldenCompliant(t *testing.T) {
	c := load(t, "compliant")
	r := c.scan(t, c.pods)
	clean(t, c, r, expect.OriginManifest)
	wantDrifts(t, r)
	golden(t, c, "report", r)

	r = c.scan(t, nil)
	clean(t, c, r, expect.OriginCRI)
	wantDrifts(t, r)
	golden(t, c, "report-cri", r)
}

// TestGoldenCRIDrift: a launcher that sends runAsUser 0 for runAsUser
// 1000, and privileged for a pod that drops ALL, is caught at the cri
// layer, once per pod (a privileged drift is one finding, not also
// capabilities, seccomp and the rest).
func TestGoldenCRIDrift(t *testing.T) {
	c := load(t, "cri-drift")
	r := c.scan(t, c.pods)
	clean(t, c, r, expect.OriginManifest)
	wantDrifts(t, r, "privileged cri mis-privileged 0", "pss-level cri mis-privileged 0", "run-as-user cri mis-runasuser 0")
	golden(t, c, "report", r)
}

// TestGoldenOCIDrift: the drift RuntimeClass adds CAP_SYS_ADMIN in its
// base OCI spec: the CRI config was right, the OCI spec was not.
func TestGoldenOCIDrift(t *testing.T) {
	c := load(t, "oci-drift")
	r := c.scan(t, c.pods)
	clean(t, c, r, expect.OriginManifest)
	wantDrifts(t, r, "capabilities oci runtime-adds-cap 0", "pss-level oci runtime-adds-cap 0")
	for _, f := range r.Findings {
		if f.Check == "capabilities" && !strings.Contains(f.Message, "CAP_SYS_ADMIN") {
			t.Errorf("message %q does not name CAP_SYS_ADMIN", f.Message)
		}
	}
	golden(t, c, "report", r)
}

// TestGoldenProcessDrift: a root process exec'd into a runAsNonRoot,
// runAsUser 1000 container is a finding on that process (not the init);
// the setuid-root helper of a pod that allows escalation is one on the
// init.
func TestGoldenProcessDrift(t *testing.T) {
	c := load(t, "process-drift")
	execRoot := c.container(t, "exec-root")
	procs := c.pidsOf(t, execRoot.PID)
	if len(procs) != 2 {
		t.Fatalf("exec-root runs %v, want its init and the exec", procs)
	}
	exec := procs[slices.Index(procs, execRoot.PID)^1]
	setuid := c.container(t, "setuid-escalates").PID

	r := c.scan(t, c.pods)
	clean(t, c, r, expect.OriginManifest)
	wantDrifts(t, r,
		fmt.Sprintf("pss-level process exec-root %d", exec),
		fmt.Sprintf("run-as-group process exec-root %d", exec),
		fmt.Sprintf("run-as-non-root process exec-root %d", exec),
		fmt.Sprintf("run-as-user process setuid-escalates %d", setuid))
	for _, s := range r.Containers {
		if s.Pod == "exec-root" && s.Processes != 2 {
			t.Errorf("exec-root: %d processes judged, want 2 (init and the exec)", s.Processes)
		}
	}
	golden(t, c, "report", r)
}

// TestGoldenHidden: an unshare hideout (own pid and network namespaces,
// no container) is one undeclared-container finding on unshare, naming
// its sleep; an nsenter into the pod's namespaces (not its cgroup) is one
// attributed to that container.
func TestGoldenHidden(t *testing.T) {
	c := load(t, "hidden")
	unshare := c.byComm(t, "unshare")
	nsenter := c.byComm(t, "nsenter")
	if len(unshare) != 1 || len(nsenter) != 1 {
		t.Fatalf("unshare %v, nsenter %v: want one of each in the capture", unshare, nsenter)
	}
	target := c.container(t, "nsenter-target")

	r := c.scan(t, c.pods)
	clean(t, c, r, expect.OriginManifest)
	wantDrifts(t, r,
		fmt.Sprintf("undeclared-container process  %d", unshare[0]),
		fmt.Sprintf("undeclared-container process nsenter-target %d", nsenter[0]))
	for _, f := range r.Findings {
		switch {
		case f.PID == unshare[0]:
			if !strings.Contains(f.Actual, "pid:") || !strings.Contains(f.Actual, "net:") || !strings.Contains(f.Message, "sleep(") || f.ContainerID != "" {
				t.Errorf("unshare finding %+v: want its pid and net namespaces, its sleep named, no container", f)
			}
		case f.PID == nsenter[0]:
			if f.ContainerID != target.ID || !strings.Contains(f.Message, "not its cgroup") {
				t.Errorf("nsenter finding %+v: want it attributed to container %.12s", f, target.ID)
			}
		}
	}
	golden(t, c, "report", r)
}

// TestGoldenGone: a container whose init exited after the CRI listed it
// is gone: listed as such, not judged, no finding; the others are judged
// as before.
func TestGoldenGone(t *testing.T) {
	c := load(t, "compliant")
	gone := c.container(t, "defaults")
	if procs := c.pidsOf(t, gone.PID); len(procs) != 1 {
		t.Fatalf("defaults runs %v, want its init only", procs)
	}
	if err := os.RemoveAll(c.procDir(gone.PID)); err != nil {
		t.Fatal(err)
	}
	r := c.scan(t, c.pods)
	wantGone(t, c, r, gone)
	golden(t, c, "report-gone", r)
}

// TestGoldenPIDReuse: a container whose init exited and whose PID a host
// process took (another cgroup, the host's namespaces) is gone; the host
// process is never judged as the container.
func TestGoldenPIDReuse(t *testing.T) {
	c := load(t, "compliant")
	gone := c.container(t, "run-as-user-group")
	if procs := c.pidsOf(t, gone.PID); len(procs) != 1 {
		t.Fatalf("run-as-user-group runs %v, want its init only", procs)
	}
	// The new process is a copy of the container's shim (a host process)
	// under the reused PID.
	reuse(t, c, gone.PID, mustParent(t, c, gone.PID))
	r := c.scan(t, c.pods)
	wantGone(t, c, r, gone)
	golden(t, c, "report-pid-reuse", r)
}

// TestPIDReuseCgroupOnly: a container init that left the container's
// cgroup but still lives in its namespaces (the cgroup file rewritten, the
// namespaces kept: not a reused PID, which would be another process's) is
// gone too and never judged as the container. The hideout search then
// reports the process itself: it lives in namespaces no audited container
// accounts for.
func TestPIDReuseCgroupOnly(t *testing.T) {
	c := load(t, "compliant")
	gone := c.container(t, "run-as-user-group")
	path := filepath.Join(c.procDir(gone.PID), "cgroup")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(data), gone.ID, "elsewhere")), 0o644); err != nil {
		t.Fatal(err)
	}
	r := c.scan(t, c.pods)
	want := []scan.ContainerRef{{ID: gone.ID, Namespace: gone.Pod.Namespace, Pod: gone.Pod.Name, Container: gone.Name}}
	if !cmp.Equal(r.Gone, want) || len(r.Errors) != 0 {
		t.Errorf("gone %v, errors %v; want %v only", r.Gone, r.Errors, want)
	}
	for _, f := range r.Findings {
		if f.ContainerID == gone.ID || (f.Severity != checks.Info && f.Check != "undeclared-container") {
			t.Errorf("finding %+v: want none judging the gone container", f)
		}
	}
	t.Logf("findings:%s", findingsText(r))
}

func wantGone(t *testing.T, c *captured, r *scan.Report, gone cri.Container) {
	t.Helper()
	want := []scan.ContainerRef{{ID: gone.ID, Namespace: gone.Pod.Namespace, Pod: gone.Pod.Name, Container: gone.Name}}
	if !cmp.Equal(r.Gone, want) || len(r.Errors) != 0 {
		t.Errorf("gone %v, errors %v; want %v only", r.Gone, r.Errors, want)
	}
	if len(r.Containers) != len(c.snap.Containers)-1 {
		t.Errorf("%d containers audited, want %d", len(r.Containers), len(c.snap.Containers)-1)
	}
	for _, s := range r.Containers {
		if s.ID == gone.ID {
			t.Errorf("the gone container was audited: %+v", s)
		}
	}
	for _, f := range r.Findings {
		if f.ContainerID == gone.ID || f.PID == gone.PID {
			t.Errorf("finding on the gone container or its old PID: %+v", f)
		}
	}
	wantDrifts(t, r)
}

// mustParent returns the PPID of pid from the captured stat.
func mustParent(t *testing.T, c *captured, pid int) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.procDir(pid), "stat"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	ppid, err := strconv.Atoi(strings.Fields(s[strings.LastIndexByte(s, ')')+1:])[1])
	if err != nil {
		t.Fatal(err)
	}
	return ppid
}

// reuse replaces the process pid of the tree by a copy of process from
// (its files and namespace links) running under pid.
func reuse(t *testing.T, c *captured, pid, from int) {
	t.Helper()
	dst, src := c.procDir(pid), c.procDir(from)
	for _, f := range []string{"status", "cgroup", "mountinfo", "uid_map", "gid_map"} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "status" {
			data = []byte(strings.NewReplacer("\nPid:\t"+strconv.Itoa(from)+"\n", "\nPid:\t"+strconv.Itoa(pid)+"\n",
				"\nNSpid:\t"+strconv.Itoa(from)+"\n", "\nNSpid:\t"+strconv.Itoa(pid)+"\n").Replace(string(data)))
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	stat, err := os.ReadFile(filepath.Join(src, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(stat), " ")
	if err := os.WriteFile(filepath.Join(dst, "stat"), []byte(strconv.Itoa(pid)+" "+rest), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kind := range probes.NSKinds() {
		link := filepath.Join(dst, "ns", string(kind))
		target, err := os.Readlink(filepath.Join(src, "ns", string(kind)))
		if err != nil {
			continue
		}
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(dst, "root")); err != nil {
		t.Fatal(err)
	}
	root, err := os.Readlink(filepath.Join(src, "root"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(root, filepath.Join(dst, "root")); err != nil {
		t.Fatal(err)
	}
	// Sanity: the tree now says pid is a host process outside the container.
	p, err := c.fs.Probe(pid)
	if err != nil {
		t.Fatal(err)
	}
	host, err := c.fs.HostNamespaces()
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsHost(host, probes.NSPID) || !p.IsHost(host, probes.NSNet) {
		t.Fatalf("pid %d after reuse: namespaces %v, want the host's", pid, p.Namespaces)
	}
}
