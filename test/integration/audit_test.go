package integration

import (
	"context"
	"fmt"
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
)

// audited is a pod launched in the lab, its manifest, and a scan of it.
type audited struct {
	pod      *harness.Pod
	manifest *corev1.Pod
}

// launchDeclared launches yaml (with opts) and returns it with its manifest.
func launchDeclared(t *testing.T, lab *harness.Lab, yaml string, opts ...harness.Option) audited {
	t.Helper()
	manifest, err := harness.ParsePod([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := launch(t, lab, yaml, opts...)
	return audited{pod: p, manifest: manifest}
}

// scanOf scans one pod against its manifest.
func scanOf(t *testing.T, lab *harness.Lab, a audited) *scan.Report {
	t.Helper()
	ns := a.manifest.Namespace
	if ns == "" {
		ns = "default"
	}
	return runScan(t, lab, scan.Options{
		Declared: declared.NewIndex(expect.OriginManifest, []*corev1.Pod{a.manifest}),
		Filter:   scan.Filter{Namespace: ns, Pod: a.manifest.Name},
	})
}

func runScan(t *testing.T, lab *harness.Lab, o scan.Options) *scan.Report {
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

// TestAuditCompliantMatrix: every pod of the launcher matrix, declared by
// its own manifest, gives no finding (no false positives), except the
// matrix pods that are real drift, which give exactly their check.
func TestAuditCompliantMatrix(t *testing.T) {
	lab := harness.SharedLab(t)
	for _, tc := range matrix(t, nodeState(t, lab)) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := launchDeclared(t, lab, podYAML("audit-"+tc.name, tc.spec))
			r := scanOf(t, lab, a)
			if len(r.Containers) != 1 || r.Containers[0].DeclaredFrom != expect.OriginManifest {
				t.Fatalf("containers = %+v, want the pod's one container declared from the manifest", r.Containers)
			}
			got := drifts(r)
			for _, f := range r.Findings {
				if f.Severity == checks.Info {
					t.Logf("info: %s %s pid=%d: %s", f.Check, f.Layer, f.PID, f.Message)
				}
			}
			var want []string
			if check, ok := matrixDrift[tc.name]; ok {
				pid, err := a.pod.PID(context.Background(), "main")
				if err != nil {
					t.Fatal(err)
				}
				want = []string{fmt.Sprintf("%s/process/%d", check, pid)}
			}
			if !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r))
			}
		})
	}
}

// TestAuditMistranslation: a node component that mistranslates one field
// of the pod spec is caught by that field's check, at the cri layer.
func TestAuditMistranslation(t *testing.T) {
	lab := harness.SharedLab(t)
	restricted := `  securityContext: {runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`
	rootDropAll := "  containers:\n  - name: main\n    image: rtaudit.local/busybox:test\n    command: [sleep, \"3600\"]\n    securityContext: {capabilities: {drop: [ALL]}}\n"
	nonRoot := "  securityContext: {runAsNonRoot: true}\n  containers:\n" + sleeper
	cases := map[string]struct {
		spec  string
		check checks.ID
	}{
		"runAsUser":                {restricted, "run-as-user"},
		"runAsNonRoot":             {nonRoot, "run-as-non-root"},
		"runAsGroup":               {restricted, "run-as-group"},
		"supplementalGroups":       {restricted, "supplemental-groups"},
		"capabilities":             {rootDropAll, "capabilities"},
		"allowPrivilegeEscalation": {restricted, "no-new-privs"},
		"privileged":               {rootDropAll, "privileged"},
		"readOnlyRootFilesystem":   {restricted, "readonly-rootfs"},
		"hostNetwork":              {restricted, "host-network"},
		"hostPID":                  {restricted, "host-pid"},
		"hostIPC":                  {restricted, "host-ipc"},
		"seccomp":                  {restricted, "seccomp"},
		"procMount":                {restricted, "proc-mount"},
	}
	for _, field := range harness.MistranslationFields() {
		tc, ok := cases[field]
		if !ok {
			t.Errorf("mistranslation %q has no audit case", field)
			continue
		}
		if _, ok := checks.Get(tc.check); !ok {
			t.Errorf("%s: no check %q registered", field, tc.check)
			continue
		}
		t.Run(field, func(t *testing.T) {
			t.Parallel()
			name := "mis-" + strings.ToLower(field)
			a := launchDeclared(t, lab, podYAML(name, tc.spec), harness.WithMistranslation(field))
			r := scanOf(t, lab, a)
			want := []string{string(tc.check) + "/cri/0"}
			if lowersLevel[field] {
				want = append(want, "pss-level/cri/0")
				slices.Sort(want)
			}
			if got := drifts(r); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r))
			}
		})
	}
}

// lowersLevel are the mistranslations of TestAuditMistranslation that
// lower their pod's Pod Security Standards level (its pods are baseline
// as declared: runAsNonRoot is not set): a host namespace, seccomp
// Unconfined, an unmasked /proc, privileged or capabilities beyond the
// baseline's.
var lowersLevel = map[string]bool{"hostNetwork": true, "hostPID": true, "hostIPC": true, "seccomp": true, "procMount": true, "privileged": true, "capabilities": true}

// TestAuditRuntimeAddsCapability: a runtime handler whose base OCI spec
// adds CAP_SYS_ADMIN is caught at the oci layer: the CRI config was right.
func TestAuditRuntimeAddsCapability(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("drift-handler", "  runtimeClassName: "+harness.DriftHandler+`
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [NET_RAW]}}
`))
	r := scanOf(t, lab, a)
	if got, want := drifts(r), []string{"capabilities/oci/0", "pss-level/oci/0"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r))
	}
	if msg := r.Findings[0].Message; !strings.Contains(msg, harness.DriftCapability) {
		t.Errorf("message %q does not name %s", msg, harness.DriftCapability)
	}
}

// TestAuditRootExec: a root process started inside a runAsUser container
// behind the kubelet's back is a finding on that process, not on the init.
func TestAuditRootExec(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("audit-exec", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
`+sleeper))
	if got := drifts(scanOf(t, lab, a)); len(got) != 0 {
		t.Fatalf("before the exec: findings %v, want none", got)
	}
	pid, err := a.pod.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	r := scanOf(t, lab, a)
	want := []string{fmt.Sprintf("run-as-group/process/%d", pid), fmt.Sprintf("run-as-user/process/%d", pid)}
	if got := drifts(r); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r))
	}
	if r.Containers[0].Processes != 2 {
		t.Errorf("processes = %d, want 2 (init and the exec)", r.Containers[0].Processes)
	}
}

// TestAuditUndeclaredContainer: with a manifest source, a running pod the
// manifests do not know is an undeclared-container finding.
func TestAuditUndeclaredContainer(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("audit-undeclared", "  containers:\n"+sleeper))
	other, err := harness.ParsePod([]byte(podYAML("someone-else", "  containers:\n"+sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	r := runScan(t, lab, scan.Options{
		Declared: declared.NewIndex(expect.OriginManifest, []*corev1.Pod{other}),
		Filter:   scan.Filter{Namespace: "default", Pod: a.manifest.Name},
	})
	if got, want := drifts(r), []string{"undeclared-container/cri/0"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r))
	}
	if len(r.Containers) != 1 || r.Containers[0].DeclaredFrom != expect.OriginCRI {
		t.Errorf("containers %+v: want the undeclared one judged (declaredFrom) against its CRI config", r.Containers)
	}
}

// TestAuditUndeclaredHostMount: a pod that runs with the runtime's socket
// mounted in, where its manifest declares no such volume, is a host-mounts
// finding at the cri layer (the CRI config carried the mount).
func TestAuditUndeclaredHostMount(t *testing.T) {
	lab := harness.SharedLab(t)
	const spec = `  volumes: [{name: sock, hostPath: {path: %s, type: Socket}}]
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    volumeMounts: [{name: sock, mountPath: /run/containerd/containerd.sock}]
`
	a := launchDeclared(t, lab, podYAML("host-sock", fmt.Sprintf(spec, lab.Address())))
	// As declared, the socket mount is policy, not drift.
	if got := drifts(scanOf(t, lab, a)); len(got) != 0 {
		t.Fatalf("declared socket mount: findings %v, want none", got)
	}
	// Declared without it: drift.
	bare, err := harness.ParsePod([]byte(podYAML("host-sock", "  containers:\n"+sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	r := scanOf(t, lab, audited{pod: a.pod, manifest: bare})
	// A host path is a hostPath volume to the policy: baseline → privileged.
	if got, want := drifts(r), []string{"host-mounts/cri/0", "pss-level/cri/0"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r))
	}
}
