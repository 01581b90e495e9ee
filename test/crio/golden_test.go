package crio

import (
	"context"
	"fmt"
	"os"
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

// scanTestdata holds the whole-scan scenarios agent/scan replays.
const scanTestdata = "../../agent/scan/testdata"

// goldenPods are the pods of the "crio" scenario: matrix pods and a
// privileged non-root one, all compliant on CRI-O.
var goldenPods = []string{"defaults", "drop-all-add-one", "privileged", "restricted-profile", "host-pid"}

const privilegedNonRoot = "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n  - name: main\n    image: " + mx.Image + "\n    command: [sleep, \"3600\"]\n    securityContext: {privileged: true}\n"

// TestCRIOCaptureGolden captures the "crio" scenario of agent/scan's
// golden tests from the lab's CRI-O: its CRI answers (cri.json), the proc
// tree a scan reads (each container's processes, their conmon, this test,
// crio, PID 1 and 2) and the manifests (pods.yaml); then checks that the
// capture replayed scans as the lab does. Only with -capture.
func TestCRIOCaptureGolden(t *testing.T) {
	if !*capture {
		t.Skip("captures the golden scenario only with -capture")
	}
	lab := harness.SharedCRIOLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	specs := map[string]string{"privileged-non-root": privilegedNonRoot}
	for _, c := range mx.Cases {
		if slices.Contains(goldenPods, c.Name) {
			specs[c.Name] = c.Spec
		}
	}
	var manifests []string
	for _, name := range slices.Sorted(mapsKeys(specs)) {
		yaml := podYAML(name, specs[name])
		uid := uuid.NewSHA1(uuid.NameSpaceURL, []byte("rtaudit-golden/crio/"+name))
		yaml = strings.Replace(yaml, "\n  name: "+name+"\n", "\n  name: "+name+"\n  namespace: default\n  uid: "+uid.String()+"\n", 1)
		launch(t, lab, yaml)
		manifests = append(manifests, yaml)
	}
	rs, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	capt, err := critest.Record(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := critest.NewRuntime(capt, capt.Info(lab.Endpoint()), nil).Snapshot(ctx, cri.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{1, 2, os.Getpid(), lab.PID()}
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
		if sb.PID > 0 {
			pids = append(pids, sb.PID)
		}
	}
	for _, pid := range slices.Clone(pids) {
		if ppid := parentOf(t, pid); ppid > 0 {
			pids = append(pids, ppid)
		}
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	dir := filepath.Join(scanTestdata, "crio")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := capt.Save(filepath.Join(dir, "cri.json")); err != nil {
		t.Fatal(err)
	}
	if err := probetest.Capture("/proc", pids, dir, hostPaths...); err != nil {
		t.Fatal(err)
	}
	header := "# The pods of scenario \"crio\" as declared, captured from CRI-O by\n# go test ./test/crio/ -run TestCRIOCaptureGolden -capture\n"
	if err := os.WriteFile(filepath.Join(dir, "pods.yaml"), []byte(header+strings.Join(manifests, "---\n")), 0o644); err != nil {
		t.Fatal(err)
	}

	// The capture must scan as the lab does.
	pods, err := declared.LoadManifests(filepath.Join(dir, "pods.yaml"), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	live := runScan(t, lab, scan.Options{Declared: pods, NoHideouts: true})
	replayed, err := scan.NewScanner(critest.NewRuntime(capt, capt.Info(lab.Endpoint()), nil), probetest.Materialise(t, dir), scan.Options{Declared: pods, NoHideouts: true}).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	summary := func(r *scan.Report) []string {
		var out []string
		for _, c := range r.Containers {
			out = append(out, fmt.Sprintf("container %s/%s pid=%d processes=%d from=%s", c.Pod, c.Container, c.PID, c.Processes, c.DeclaredFrom))
		}
		for _, f := range r.Findings {
			out = append(out, fmt.Sprintf("finding %s %s %s %s pid=%d %s", f.Check, f.Severity, f.Layer, f.Pod, f.PID, f.Field))
		}
		slices.Sort(out)
		return out
	}
	if d := cmp.Diff(summary(live), summary(replayed)); d != "" {
		t.Errorf("the replayed capture scans differently from the lab (-live +replayed):\n%s", d)
	}
	t.Logf("%s: %d sandboxes, %d containers, pids %v", dir, len(snap.Sandboxes), len(snap.Containers), pids)
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
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
