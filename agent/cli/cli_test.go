package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

func run(args ...string) (code int, out, errOut string) {
	var o, e bytes.Buffer
	code = Main(args, Streams{In: strings.NewReader(""), Out: &o, Err: &e})
	return code, o.String(), e.String()
}

func TestUsageErrorsAreOneLineWithExit2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"scan", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"scan", "-o", "yaml"}, `-o "yaml": want table, wide, json or sarif`},
		{[]string{"scan", "--fail-on", "severe"}, `--fail-on "severe"`},
		{[]string{"scan", "--pods", "x.yaml", "--kubeconfig", "k"}, "exclusive"},
		{[]string{"scan", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"scan", "extra"}, `unexpected argument "extra"`},
		{[]string{"scan", "--pods", "/nonexistent.yaml"}, "no such file"},
		{[]string{"scan", "--runtime-endpoint", "unix:///nonexistent/cri.sock"}, "/nonexistent/cri.sock"},
		{[]string{"scan", "--runtime-endpoint", "tcp://127.0.0.1:1"}, "only unix sockets"},
		{[]string{"scan", "--proc-root", "/", "--runtime-endpoint", "unix:///nonexistent/cri.sock"}, "/ is not a proc filesystem"},
		{[]string{"version", "x"}, `unexpected argument "x"`},
		{[]string{"scan", "--runtime-root", "run/runc"}, `"run/runc" is not an absolute path`},
		{[]string{"explain", "--runtime-root", "/run/[runc", "default/p"}, `"/run/[runc": syntax error in pattern`},
		{[]string{"agent", "--runtime-root", ""}, `"" is not an absolute path`},
	} {
		code, _, errOut := run(tc.args...)
		if code != ExitError {
			t.Errorf("%v: exit %d, want %d", tc.args, code, ExitError)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errOut, tc.want)
		}
		if tc.args != nil && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: stderr is not one line: %q", tc.args, errOut)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"scan", "-h"}} {
		code, _, errOut := run(args...)
		if code != ExitClean {
			t.Errorf("%v: exit %d, want 0", args, code)
		}
		if !strings.Contains(errOut, "Usage") {
			t.Errorf("%v: no usage text: %q", args, errOut)
		}
	}
}

func TestChecksListsEveryCheck(t *testing.T) {
	code, out, _ := run("checks")
	if code != ExitClean {
		t.Fatalf("exit %d", code)
	}
	for _, c := range checks.All() {
		if !strings.Contains(out, string(c.ID)) || !strings.Contains(out, c.Rationale) {
			t.Errorf("checks output lacks %s or its rationale", c.ID)
		}
	}
	code, out, _ = run("checks", "-o", "wide")
	if code != ExitClean {
		t.Fatalf("checks -o wide: exit %d", code)
	}
	for _, c := range checks.All() {
		if !strings.Contains(out, c.Remediation) {
			t.Errorf("checks -o wide lacks the remediation of %s", c.ID)
		}
	}
	if code, _, _ = run("checks", "-o", "yaml"); code != ExitError {
		t.Errorf("checks -o yaml: exit %d, want %d", code, ExitError)
	}
}

const waiverFile = `apiVersion: rtaudit.dev/v1alpha1
kind: Waiver
metadata: {name: istio-init, namespace: prod}
spec:
  podSelector: {matchLabels: {app: web}}
  containers: [{name: istio-init, image: "docker.io/istio/proxyv2:*"}]
  checks: [capabilities]
  reason: istio-init programs iptables
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadWaiverFileIsOneLineExit2: the waiver file is read before the
// runtime is dialled, and its error names the file and the field.
func TestBadWaiverFileIsOneLineExit2(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{strings.Replace(waiverFile, "image:", "imag:", 1), "document 1: spec.containers[0].imag: unknown field"},
		{strings.Replace(waiverFile, `, image: "docker.io/istio/proxyv2:*"`, "", 1), "spec.containers[0].image: required"},
		{strings.Replace(waiverFile, "[capabilities]", "[frobnicate]", 1), `unknown check "frobnicate"`},
		{"", "no Waiver or ClusterWaiver found"},
	} {
		p := writeFile(t, "waivers.yaml", tc.content)
		code, _, errOut := run("scan", "--waivers", p, "--runtime-endpoint", "unix:///nonexistent/cri.sock")
		if code != ExitError {
			t.Errorf("%s: exit %d, want %d", tc.want, code, ExitError)
		}
		if !strings.Contains(errOut, "--waivers: "+p) || !strings.Contains(errOut, tc.want) {
			t.Errorf("stderr %q does not name the file and %q", errOut, tc.want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("stderr is not one line: %q", errOut)
		}
	}
	code, _, errOut := run("scan", "--waivers", "/nonexistent/waivers.yaml")
	if code != ExitError || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}

// waivableReport has a critical capabilities finding the waiver file
// accepts and a medium one it does not.
func waivableReport() *scan.Report {
	return &scan.Report{
		Node: "n", Runtime: scan.RuntimeInfo{Name: "containerd", Version: "2.4.2"},
		Containers: []scan.ContainerSummary{
			{ID: "c1", Namespace: "prod", Pod: "web-1", PodUID: "u1", Container: "istio-init", Image: "docker.io/istio/proxyv2:1.26.0"},
			{ID: "c2", Namespace: "prod", Pod: "web-1", PodUID: "u1", Container: "app", Image: "nginx:1.27"},
		},
		Findings: []checks.Finding{
			{Check: checks.Capabilities, Severity: checks.Critical, Layer: checks.LayerOCI, Namespace: "prod", Pod: "web-1",
				Container: "istio-init", ContainerID: "c1", Expected: "00000000a80425fb", Actual: "00000000a80435fb"},
			{Check: checks.ReadonlyRootfs, Severity: checks.Medium, Layer: checks.LayerOCI, Namespace: "prod", Pod: "web-1",
				Container: "app", ContainerID: "c2", Expected: "true", Actual: "false"},
		},
	}
}

func TestFailOnIgnoresWaivedFindings(t *testing.T) {
	ws, err := waiver.Load(writeFile(t, "w.yaml", waiverFile))
	if err != nil {
		t.Fatal(err)
	}
	web := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "prod", UID: "u1", Labels: map[string]string{"app": "web"}}}
	src := declared.NewIndex(expect.OriginManifest, []*corev1.Pod{web})
	for _, tc := range []struct {
		name   string
		src    declared.Source
		failOn checks.Severity
		want   int
	}{
		{"labels known: the critical is waived", src, checks.Critical, ExitClean},
		{"labels known: the medium is not", src, checks.Medium, ExitFindings},
		{"no declared source: the selector matches nothing", nil, checks.Critical, ExitFindings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := waivableReport()
			waiver.Apply(r, ws, podLabels(tc.src, r), time.Now())
			o := scanOptions{output: "json", failOn: string(tc.failOn)}
			var out bytes.Buffer
			code, err := o.finish(r, Streams{Out: &out, Err: io.Discard})
			if err != nil || code != tc.want {
				t.Errorf("exit %d (%v), want %d", code, err, tc.want)
			}
			if waived := strings.Contains(out.String(), `"waiver": "prod/istio-init"`); waived != (tc.src != nil) {
				t.Errorf("JSON waiver key present = %v, want %v:\n%s", waived, tc.src != nil, out.String())
			}
		})
	}
}

func TestPodLabelsAreThoseOfTheJudgedPod(t *testing.T) {
	r := waivableReport()
	old := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "prod", UID: "u0", Labels: map[string]string{"app": "web"}}}
	labels := podLabels(declared.NewIndex(expect.OriginManifest, []*corev1.Pod{old}), r)
	if l, ok := labels("prod", "web-1"); ok {
		t.Errorf("labels of a pod recreated under the same name (uid u0, running u1) were used: %v", l)
	}
	if podLabels(nil, r) != nil {
		t.Error("labels without a declared source")
	}
}

func TestShowWaivedTable(t *testing.T) {
	ws, err := waiver.Load(writeFile(t, "w.yaml", strings.Replace(waiverFile, "  podSelector: {matchLabels: {app: web}}\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, show := range []bool{false, true} {
		r := waivableReport()
		waiver.Apply(r, ws, nil, time.Now())
		o := scanOptions{output: "table", showWaived: show, failOn: "high"}
		var out bytes.Buffer
		code, err := o.finish(r, Streams{Out: &out, Err: io.Discard})
		if err != nil || code != ExitClean {
			t.Errorf("show-waived=%v: exit %d (%v), want 0", show, code, err)
		}
		if got := strings.Contains(out.String(), "prod/istio-init"); got != show {
			t.Errorf("show-waived=%v: waived row shown = %v:\n%s", show, got, out.String())
		}
		if !strings.Contains(out.String(), "1 waived") {
			t.Errorf("show-waived=%v: summary does not count the waived finding:\n%s", show, out.String())
		}
	}
}
