package plugin

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/reports"
)

func runArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// TestUsageErrors: a bad command line is one line on stderr and exit 2,
// before any call to a cluster.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage: kubectl rtaudit"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"node"}, "want one NODE argument"},
		{[]string{"node", "a", "b"}, "want one NODE argument"},
		{[]string{"node", "n1", "-o", "yaml"}, `-o "yaml": want table, wide, json, sarif`},
		{[]string{"node", "n1", "--fail-on", "bad"}, `--fail-on "bad"`},
		{[]string{"node", "n1", "--timeout", "0s"}, "--timeout must be positive"},
		{[]string{"pod"}, "want [NAMESPACE/]POD [CONTAINER]"},
		{[]string{"pod", "a/b/c"}, "want [NAMESPACE/]POD"},
		{[]string{"pod", "/p"}, "want [NAMESPACE/]POD"},
		{[]string{"pod", "ns/"}, "want [NAMESPACE/]POD"},
		{[]string{"pod", "ns1/p", "-n", "ns2"}, `namespace "ns1" and -n "ns2" differ`},
		{[]string{"pod", "p", "main", "-c", "other"}, `container "main" and -c "other" differ`},
		{[]string{"pod", "p", "-o", "wide"}, `-o "wide": want table, json`},
		{[]string{"report", "-A", "-n", "x"}, "-A and -n are exclusive"},
		{[]string{"report", "extra"}, `unexpected argument "extra"`},
		{[]string{"completion", "tcsh"}, `shell "tcsh"`},
		{[]string{"node", "n1", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, _, errOut := runArgs(tc.args...)
		if code != ExitError || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 && tc.args != nil {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestNoKubeconfig: without a usable kubeconfig node fails in one line.
func TestNoKubeconfig(t *testing.T) {
	code, _, errOut := runArgs("node", "n1", "--kubeconfig", filepath.Join(t.TempDir(), "missing"))
	if code != ExitError || !strings.HasPrefix(errOut, "kubectl rtaudit node: kubeconfig:") {
		t.Errorf("exit %d, %q", code, errOut)
	}
}

// TestCompletionScripts: kubectl rtaudit completion writes each shell's
// script with every command and its flags; bash parses it.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runArgs("completion", sh)
		if code != ExitClean {
			t.Fatalf("%s: exit %d %s", sh, code, errOut)
		}
		for _, want := range []string{"kubectl-rtaudit", "node", "pod", "report", "kubeconfig", "context", "namespace", "image", "timeout", "all-namespaces"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s script lacks %q", sh, want)
			}
		}
		if sh == "bash" {
			f := filepath.Join(t.TempDir(), "c.bash")
			if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			if msg, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v %s", err, msg)
			}
		}
	}
}

// TestFromReports: the agent's pod and node Reports read back as one
// scan report per node, printed like rtaudit scan (inert).
func TestFromReports(t *testing.T) {
	pod := v1alpha1.Report{
		ObjectMeta: metav1.ObjectMeta{Name: "rtaudit-u1", Namespace: "prod", Labels: map[string]string{reports.LabelNode: "n1"}},
		Scope:      &corev1.ObjectReference{Kind: "Pod", Name: "web-0", Namespace: "prod"},
		Results: []v1alpha1.ReportResult{{
			Rule: string(checks.Capabilities), Severity: "critical", Result: "fail", Description: "adds CAP_SYS_ADMIN",
			Subjects:   []corev1.ObjectReference{{Kind: "Pod", Name: "web-0", Namespace: "prod"}},
			Properties: map[string]string{"container": "app\x1b[2J", "containerID": "c1", "layer": "oci", "field": "capabilities", "expected": "14 caps", "actual": "+CAP_SYS_ADMIN"},
		}, {
			Rule: string(checks.RunAsUser), Severity: "high", Result: "skip", Description: "uid 0",
			Properties: map[string]string{"container": "app", "containerID": "c1", "layer": "process", "pid": "42", "waiver": "prod/accepted"},
		}},
	}
	node := v1alpha1.Report{
		ObjectMeta: metav1.ObjectMeta{Name: "rtaudit-node-n2", Labels: map[string]string{reports.LabelNode: "n2"}},
		Results: []v1alpha1.ReportResult{{
			Rule: string(checks.UndeclaredContainer), Severity: "high", Result: "fail", Description: "hidden",
			Properties: map[string]string{"namespace": "kube-system", "pod": "ghost", "layer": "process", "pid": "7"},
		}, {
			Result: "error", Description: "container not audited: boom", Properties: map[string]string{"namespace": "a", "pod": "b", "container": "c", "containerID": "c9"},
		}},
	}
	rs := fromReports([]v1alpha1.Report{node, pod})
	if len(rs) != 2 || rs[0].Node != "n1" || rs[1].Node != "n2" {
		t.Fatalf("%+v", rs)
	}
	f := map[checks.ID]checks.Finding{}
	for _, x := range rs[0].Findings {
		f[x.Check] = x
	}
	caps, user := f[checks.Capabilities], f[checks.RunAsUser]
	if len(f) != 2 || caps.Pod != "web-0" || caps.Namespace != "prod" || caps.Layer != checks.LayerOCI || user.PID != 42 || user.Waiver != "prod/accepted" {
		t.Errorf("pod findings %+v", rs[0].Findings)
	}
	if g := rs[1].Findings; len(g) != 1 || g[0].Namespace != "kube-system" || g[0].Pod != "ghost" || len(rs[1].Errors) != 1 {
		t.Errorf("node findings %+v errors %+v", g, rs[1].Errors)
	}
	var b bytes.Buffer
	if err := report.Table(&b, rs[0], report.TableOptions{ShowWaived: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"prod/web-0/app\\x1b[2J", "capabilities", "+CAP_SYS_ADMIN", "prod/accepted", "on n1 (from 1 Reports)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("raw escape in the table:\n%q", out)
	}
}
