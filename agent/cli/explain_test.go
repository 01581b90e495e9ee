package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

func TestExplainUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain"}, "want one NAMESPACE/POD[/CONTAINER] argument, got 0"},
		{[]string{"explain", "demo"}, `"demo": want NAMESPACE/POD or NAMESPACE/POD/CONTAINER`},
		{[]string{"explain", "demo//app"}, `"demo//app": want`},
		{[]string{"explain", "a/b/c/d"}, `"a/b/c/d": want`},
		{[]string{"explain", "a/b", "c/d"}, "got 2"},
		{[]string{"explain", "a/b", "-o", "wide"}, `-o "wide": want table or json`},
		{[]string{"explain", "--pods", "x.yaml", "--kubeconfig", "k", "a/b"}, "exclusive"},
		{[]string{"explain", "--bogus", "a/b"}, "flag provided but not defined: -bogus"},
		// flags after the argument are parsed too
		{[]string{"explain", "demo/web", "--runtime-endpoint", "unix:///nonexistent/cri.sock"}, "/nonexistent/cri.sock"},
		{[]string{"explain", "demo/web", "--pods", "/nonexistent.yaml"}, "no such file"},
	} {
		code, _, errOut := run(tc.args...)
		if code != ExitError {
			t.Errorf("%v: exit %d, want %d", tc.args, code, ExitError)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errOut, tc.want)
		}
		if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: stderr is not one line: %q", tc.args, errOut)
		}
	}
	code, _, errOut := run("explain", "-h")
	if code != ExitClean || !strings.Contains(errOut, "Usage: rtaudit explain [flags] NAMESPACE/POD[/CONTAINER]") {
		t.Errorf("explain -h: exit %d, %q", code, errOut)
	}
	if _, _, errOut := run("help"); !strings.Contains(errOut, "explain") {
		t.Errorf("help does not list explain: %q", errOut)
	}
}

func TestExplainPick(t *testing.T) {
	r := &scan.Report{
		Containers: []scan.ContainerSummary{
			{ID: "a1", Namespace: "demo", Pod: "one", Container: "app", State: "exited"},
			{ID: "a2", Namespace: "demo", Pod: "one", Container: "app", State: "running"},
			{ID: "b1", Namespace: "demo", Pod: "two", Container: "web", State: "running"},
			{ID: "b2", Namespace: "demo", Pod: "two", Container: "side\x1b[2Jcar", State: "running"},
		},
		Errors: []scan.ContainerError{{ContainerRef: scan.ContainerRef{ID: "c1", Namespace: "demo", Pod: "three", Container: "x"}, Error: "permission denied"}},
		Gone:   []scan.ContainerRef{{ID: "d1", Namespace: "demo", Pod: "four", Container: "y"}},
	}
	for _, tc := range []struct {
		ref, wantID, wantErr string
		usage                bool
	}{
		{ref: "demo/one", wantID: "a2"},
		{ref: "demo/two/web", wantID: "b1"},
		{ref: "demo/two", wantErr: `pod demo/two has 2 containers (side\x1b[2Jcar, web): name one, e.g. rtaudit explain demo/two/side\x1b[2Jcar`, usage: true},
		{ref: "demo/three", wantErr: "demo/three/x could not be audited: permission denied"},
		{ref: "demo/four/y", wantErr: "demo/four/y exited during the scan"},
		{ref: "demo/five", wantErr: "no pod demo/five on this node (--all includes exited containers)"},
		{ref: "demo/one/nope", wantErr: "no container demo/one/nope on this node"},
	} {
		var o explainOptions
		if err := o.setArg([]string{tc.ref}); err != nil {
			t.Fatal(err)
		}
		got, err := o.pick(r)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want %q", tc.ref, err, tc.wantErr)
			}
			if _, isUsage := err.(usageError); isUsage != tc.usage {
				t.Errorf("%s: usage error = %v, want %v", tc.ref, isUsage, tc.usage)
			}
		case err != nil || got.ID != tc.wantID:
			t.Errorf("%s: picked %q (%v), want %q", tc.ref, got.ID, err, tc.wantID)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// execRootSubject is a container whose runtime adds CAP_SYS_ADMIN to its
// OCI spec and into which a root shell was exec'd (PID 201), with the pod
// that declares it.
func execRootSubject(t *testing.T) (*checks.Subject, *corev1.Pod) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: "exec-root", UID: "u1"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{RunAsUser: ptr[int64](1000), RunAsGroup: ptr[int64](1000), RunAsNonRoot: ptr(true), FSGroup: ptr[int64](2000)},
			Containers: []corev1.Container{{Name: "app", SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
				Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}},
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			}}},
		},
	}
	d := expect.DefaultsFor("containerd", "2.4.2")
	d.AllCaps = probes.CapSetUpTo(40)
	declared, err := expect.FromPod(pod, "app", d)
	if err != nil {
		t.Fatal(err)
	}
	ociCaps := declared.Caps | probes.CapSet(1)<<21 // CAP_SYS_ADMIN
	criSC := &runtimeapi.LinuxContainerSecurityContext{
		RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 1000}, SupplementalGroups: []int64{2000},
		NoNewPrivs: true, ReadonlyRootfs: true, Capabilities: &runtimeapi.Capability{DropCapabilities: []string{"NET_RAW"}},
		Seccomp:     &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
		MaskedPaths: expect.DefaultMaskedPaths(), ReadonlyPaths: expect.DefaultReadonlyPaths(),
		NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD},
	}
	oci := &specs.Spec{
		Process: &specs.Process{
			User: specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{2000}}, NoNewPrivileges: true,
			Capabilities: &specs.LinuxCapabilities{Bounding: ociCaps.Names(), Effective: ociCaps.Names(), Permitted: ociCaps.Names()},
		},
		Root:   &specs.Root{Path: "rootfs", Readonly: true},
		Mounts: []specs.Mount{{Destination: "/sys", Type: "sysfs", Options: []string{"nosuid", "ro"}}},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace, Path: "/proc/100/ns/net"},
				{Type: specs.IPCNamespace, Path: "/proc/100/ns/ipc"}, {Type: specs.MountNamespace}},
			Seccomp:     &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"ptrace"}, Action: specs.ActErrno}}},
			MaskedPaths: expect.DefaultMaskedPaths(), ReadonlyPaths: expect.DefaultReadonlyPaths(),
		},
	}
	ns := probes.Namespaces{probes.NSNet: 4026532301, probes.NSPID: 4026532302, probes.NSIPC: 4026532303, probes.NSUser: 4026531837, probes.NSMnt: 4026532304}
	mounts := []probes.Mount{
		{MountPoint: "/", FSType: "overlay", ReadOnly: true},
		{MountPoint: "/sys", FSType: "sysfs", ReadOnly: true},
	}
	proc := func(pid int, comm string, id uint32, caps probes.Capabilities) *probes.Process {
		return &probes.Process{
			PID: pid, PPID: 99, Comm: comm, UID: probes.IDs{id, id, id, id}, GID: probes.IDs{id, id, id, id}, Groups: []uint32{2000},
			Caps: caps, NoNewPrivs: true, Seccomp: probes.SeccompFilter, SeccompFilters: 1, Namespaces: ns, Root: mounts[0], Mounts: mounts,
		}
	}
	return &checks.Subject{
		Namespace: "demo", Pod: "exec-root", Container: "app", ContainerID: "0123456789abcdef",
		DeclaredFrom: expect.OriginManifest, Declared: declared,
		CRI:               &runtimeapi.ContainerConfig{Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: criSC}},
		SandboxNamespaces: criSC.NamespaceOptions,
		OCI:               oci,
		Processes: []*probes.Process{
			proc(200, "sleep", 1000, probes.Capabilities{Bounding: ociCaps}),
			proc(201, "sh", 0, probes.Capabilities{Bounding: ociCaps, Permitted: ociCaps, Effective: ociCaps}),
		},
		Host:     probes.Namespaces{probes.NSNet: 4026531840, probes.NSPID: 4026531836, probes.NSIPC: 4026531839, probes.NSUser: 4026531837, probes.NSMnt: 4026531841},
		Defaults: d,
	}, pod
}

func explainReport(subj *checks.Subject) (*scan.Report, scan.ContainerSummary) {
	sum := scan.ContainerSummary{ID: subj.ContainerID, Namespace: subj.Namespace, Pod: subj.Pod, Container: subj.Container,
		Image: "busybox:1.36", State: "running", PID: 200, Processes: len(subj.Processes), DeclaredFrom: subj.DeclaredFrom}
	if subj.Declared == nil {
		sum.DeclaredFrom = expect.OriginCRI
	}
	return &scan.Report{
		APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: "vm", Runtime: scan.RuntimeInfo{Name: "containerd", Version: "2.4.2"},
		Containers: []scan.ContainerSummary{sum}, Findings: checks.Evaluate(subj),
	}, sum
}

func renderExplanation(t *testing.T, e *report.Explanation) string {
	t.Helper()
	var b bytes.Buffer
	if err := report.Explain(&b, e, report.ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestExplanationFromSubject builds the explanation of a hand-built
// subject, with the checks' own findings, and holds it to a golden file.
func TestExplanationFromSubject(t *testing.T) {
	subj, pod := execRootSubject(t)
	r, sum := explainReport(subj)
	e := explanation(subj, pod, r, sum)
	out := renderExplanation(t, e)
	golden(t, "explain-exec-root.golden", []byte(out))

	drift := map[string]string{}
	for _, row := range e.Rows {
		if row.Drift != nil {
			drift[row.Field] = string(row.Drift.Layer) + "/" + string(row.Drift.Severity)
		}
	}
	want := map[string]string{
		"user": "process/critical", "group": "process/high", "run as non-root": "process/critical", "capabilities": "oci/critical",
	}
	if d := cmp.Diff(want, drift); d != "" {
		t.Errorf("drifting rows (-want +got):\n%s\n%s", d, out)
	}
	for _, row := range e.Rows {
		if row.Field != "user" {
			continue
		}
		if row.Declared.Value != "1000" || row.Declared.Source != "spec.securityContext.runAsUser" || row.CRI.Value != "1000" || row.OCI.Value != "1000" {
			t.Errorf("user row = %+v", row)
		}
		if len(row.Kernel) != 2 || row.Kernel[0].Differs || !row.Kernel[1].Differs || row.Kernel[1].Value != "0" {
			t.Errorf("user kernel values = %+v, want 201 marked", row.Kernel)
		}
	}
	for _, s := range []string{
		"runtime default -CAP_NET_RAW (spec.containers[0].securityContext.capabilities)",
		"+CAP_SYS_ADMIN !",
		"201 sh: 0 !",
		"RuntimeDefault (spec.containers[0].securityContext.seccompProfile)",
		"joins /proc/100/ns/net",
		"unset → host",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("explanation lacks %q:\n%s", s, out)
		}
	}
}

// TestExplanationWithoutDeclaredSource: the CRI config is the declaration.
func TestExplanationWithoutDeclaredSource(t *testing.T) {
	subj, _ := execRootSubject(t)
	subj.Declared, subj.DeclaredFrom = nil, expect.OriginCRI
	r, sum := explainReport(subj)
	e := explanation(subj, nil, r, sum)
	for _, row := range e.Rows {
		if row.Declared.Value != "" {
			t.Errorf("%s: declared %q without a declared source", row.Field, row.Declared.Value)
		}
		if row.Drift != nil && row.Drift.Layer == checks.LayerCRI {
			t.Errorf("%s: drift at the cri layer with the CRI config as the declaration", row.Field)
		}
	}
	out := renderExplanation(t, e)
	for _, s := range []string{"DECLARED FROM  cri", "note: no declared source", "runtime default -CAP_NET_RAW"} {
		if !strings.Contains(out, s) {
			t.Errorf("explanation lacks %q:\n%s", s, out)
		}
	}
}

func TestUseColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	var buf bytes.Buffer
	if useColor(&buf, false, env()) {
		t.Error("colour into a buffer")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if useColor(w, false, env()) {
		t.Error("colour into a pipe")
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		if !useColor(tty, false, env("TERM", "xterm")) {
			t.Error("no colour on a terminal")
		}
		for name, on := range map[string]bool{
			"--no-color": useColor(tty, true, env()),
			"NO_COLOR":   useColor(tty, false, env("NO_COLOR", "1")),
			"TERM=dumb":  useColor(tty, false, env("TERM", "dumb")),
		} {
			if on {
				t.Errorf("colour on a terminal with %s", name)
			}
		}
	}
}

func TestScanOutputSARIF(t *testing.T) {
	manifest := writeFile(t, "pods.yaml", "apiVersion: v1\nkind: List\nitems: []\n")
	o := scanOptions{output: "sarif", pods: manifest}
	var out bytes.Buffer
	code, err := o.finish(waivableReport(), Streams{Out: &out})
	if err != nil || code != ExitClean {
		t.Fatalf("exit %d (%v)", code, err)
	}
	for _, want := range []string{`"version": "2.1.0"`, `"ruleId": "capabilities"`, `"manifest": "` + manifest + `"`, `"uri": "file://` + manifest + `"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("SARIF lacks %s:\n%s", want, out.String())
		}
	}
	if code, _, errOut := run("scan", "-o", "sarif", "--runtime-endpoint", "unix:///nonexistent/cri.sock"); code != ExitError || strings.Contains(errOut, `-o "sarif"`) {
		t.Errorf("-o sarif is not accepted: exit %d, %q", code, errOut)
	}
}

// TestExplanationHostileComm: a process that names itself with escape
// sequences, and a container name with a newline, reach the terminal
// escaped.
func TestExplanationHostileComm(t *testing.T) {
	subj, pod := execRootSubject(t)
	subj.Processes[1].Comm = "sh\x1b[2J\x1b]0;owned\x07\n\u009b"
	r, sum := explainReport(subj)
	sum.Image = "busybox\r\n:evil"
	out := renderExplanation(t, explanation(subj, pod, r, sum))
	for i, c := range []byte(out) {
		if (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("raw control byte %#x at %d:\n%q", c, i, out)
		}
	}
	if strings.Contains(out, "\u009b") {
		t.Fatalf("raw C1 control:\n%q", out)
	}
	if !strings.Contains(out, `201 sh\x1b[2J\x1b]0;owned\x07\n\u009b: 0 !`) || !strings.Contains(out, `busybox\r\n:evil`) {
		t.Errorf("hostile strings not shown escaped:\n%s", out)
	}
}
