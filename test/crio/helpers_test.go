package crio

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// launched is a pod running on the CRI-O lab and its manifest.
type launched struct {
	pod      *harness.Pod
	manifest *corev1.Pod
	pid      int // the init of "main"
}

// launch runs a pod, deletes it at the end of the test and waits until the
// init of its first container has exec'd its command.
func launch(t *testing.T, lab *harness.CRIOLab, yaml string, opts ...harness.Option) launched {
	t.Helper()
	manifest, err := harness.ParsePod([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := lab.Launcher.Run(ctx, manifest.DeepCopy(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := p.Delete(ctx); err != nil {
			t.Error(err)
		}
	})
	pid, err := p.PID(ctx, manifest.Spec.Containers[0].Name)
	if err != nil {
		t.Fatal(err)
	}
	waitExec(t, pid)
	return launched{pod: p, manifest: manifest, pid: pid}
}

// waitExec waits until the container's init has left the OCI runtime's
// init stage and exec'd its command (runc's comm is "runc:[2:INIT]",
// crun's "crun", until then).
func waitExec(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		comm := strings.TrimSpace(string(data))
		if err != nil || (!strings.HasPrefix(comm, "runc:") && comm != "crun") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d is still %q after 10s", pid, comm)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ranUnder checks that the lab's default OCI runtime made the container:
// its state sits under that handler's runtime root and names this very
// process (runc: <root>/<id>/state.json "init_process_pid"; crun:
// <root>/<id>/status "pid").
func ranUnder(t *testing.T, lab *harness.CRIOLab, id string, pid int) {
	t.Helper()
	handler := lab.Options().DefaultRuntime
	file, key := "state.json", "init_process_pid"
	if handler == "crun" {
		file, key = "status", "pid"
	}
	path := filepath.Join(lab.RuntimeRoot(handler), id, file)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no %s state for container %.12s: %v", handler, id, err)
	}
	var st map[string]any
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got, _ := st[key].(float64); int(got) != pid {
		t.Errorf("%s: %s = %v, want %d", path, key, st[key], pid)
	}
}

// scanOf scans one pod against its manifest, on the lab's CRI-O socket.
func scanOf(t *testing.T, lab *harness.CRIOLab, l launched) *scan.Report {
	t.Helper()
	return runScan(t, lab, scan.Options{
		Declared: declared.NewIndex(expect.OriginManifest, []*corev1.Pod{l.manifest}),
		Filter:   scan.Filter{Namespace: "default", Pod: l.manifest.Name},
	})
}

func runScan(t *testing.T, lab *harness.CRIOLab, o scan.Options) *scan.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o.Runtime.Endpoint = lab.Endpoint()
	r, err := scan.Run(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("containers not audited: %+v", r.Errors)
	}
	return r
}

// drifts are the non-info findings as "check/layer/pid" strings, sorted.
func drifts(r *scan.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity != checks.Info {
			out = append(out, fmt.Sprintf("%s/%s/%d", f.Check, f.Layer, f.PID))
		}
	}
	slices.Sort(out)
	return out
}

func dump(r *scan.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n  %s %s %s pid=%d %s: want %s got %s: %s", f.Check, f.Severity, f.Layer, f.PID, f.Field, f.Expected, f.Actual, f.Message)
	}
	return b.String()
}

func logInfo(t *testing.T, r *scan.Report) {
	t.Helper()
	for _, f := range r.Findings {
		if f.Severity == checks.Info {
			t.Logf("info: %s %s pid=%d: %s", f.Check, f.Layer, f.PID, f.Message)
		}
	}
}

func podYAML(name, spec string) string { return mx.PodYAML(name, spec) }

// fmtPod fills the one %s of a manifest template.
func fmtPod(template, s string) string { return fmt.Sprintf(template, s) }
