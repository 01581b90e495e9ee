package integration

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// Capability bits used below (linux/capability.h).
const (
	capNetBindService = 1 << 10
	capNetRaw         = 1 << 13
	capSysAdmin       = 1 << 21
	// containerdDefaultCaps is containerd's default set for a root
	// container: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP
	// NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
	containerdDefaultCaps = 0xa80425fb
)

// podYAML and sleeper are the matrix package's, under the names the
// other integration tests use.
func podYAML(name, spec string) string { return mx.PodYAML(name, spec) }

const sleeper = mx.Sleeper

// launch runs a pod, deletes it at the end of the test and returns it with
// the kernel state of its "main" container.
func launch(t *testing.T, lab *harness.Lab, yaml string, opts ...harness.Option) (*harness.Pod, kstate) {
	t.Helper()
	pod, err := harness.ParsePod([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := lab.Launcher.Run(ctx, pod, opts...)
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
	c := discover(t, lab, p, "main")
	waitExec(t, c.PID)
	return p, readState(t, c.PID)
}

// waitExec waits until the container's init has left runc's init stage
// and exec'd its command: StartContainer returns before that execve, and
// a setuid command changes its credentials only then.
func waitExec(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || !strings.HasPrefix(string(comm), "runc:") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d is still %q after 10s", pid, strings.TrimSpace(string(comm)))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nodeState is the kernel state of containerd itself: the node's
// namespaces and the bounding set every container is cut from.
func nodeState(t *testing.T, lab *harness.Lab) kstate {
	return readState(t, lab.PID())
}

// matrixCase is one pod of the matrix (test/matrix) and the kernel state
// the launcher must produce for it. The same pods, declared as manifests,
// must give the audit no finding (audit_test.go), except those in
// matrixDrift.
type matrixCase struct {
	name  string
	spec  string
	check func(t *testing.T, s kstate)
}

// matrixDrift are the matrix pods that are real drift (test/matrix).
var matrixDrift = mx.Drift

// matrix pairs every matrix pod with its kernel assertions; a pod without
// one fails the test (TestMatrixChecksComplete).
func matrix(t *testing.T, node kstate) []matrixCase {
	t.Helper()
	checks := matrixChecks(node)
	var out []matrixCase
	for _, c := range mx.Cases {
		check, ok := checks[c.Name]
		if !ok {
			t.Errorf("matrix pod %q has no kernel check in matrixChecks", c.Name)
			continue
		}
		out = append(out, matrixCase{name: c.Name, spec: c.Spec, check: check})
	}
	return out
}

// matrixChecks are the kernel assertions per matrix pod name, against the
// node's own state (containerd's namespaces and bounding set).
func matrixChecks(node kstate) map[string]func(t *testing.T, s kstate) {
	return map[string]func(t *testing.T, s kstate){
		"defaults": func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "0 0 0 0")
			wantHex(t, s, "CapEff", containerdDefaultCaps)
			wantHex(t, s, "CapBnd", containerdDefaultCaps)
			want(t, s.status["NoNewPrivs"], "0")
			// The kubelet sends Unconfined when the pod sets no profile
			// and --seccomp-default is off.
			want(t, s.status["Seccomp"], "0")
			for _, kind := range []string{"net", "ipc", "uts", "pid", "mnt"} {
				if s.ns[kind] == node.ns[kind] {
					t.Errorf("ns/%s = node's %s", kind, s.ns[kind])
				}
			}
			if s.rootReadOnly() {
				t.Error("root is read-only")
			}
			if _, ok := s.hasMount("/proc/keys"); !ok {
				t.Error("/proc/keys is not masked")
			}
			if m, ok := s.hasMount("/proc/sys"); !ok || !contains(m.opts, "ro") {
				t.Errorf("/proc/sys is not read-only: %+v", m)
			}
		},
		"run-as-user-group": func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "1000 1000 1000 1000")
			want(t, s.status["Gid"], "3000 3000 3000 3000")
			wantHex(t, s, "CapEff", 0)
			wantHex(t, s, "CapBnd", containerdDefaultCaps)
		},
		"container-overrides-pod": func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "2000 2000 2000 2000")
			want(t, s.status["Gid"], "4000 4000 4000 4000")
		},
		"supplemental-and-fs-group": func(t *testing.T, s kstate) {
			g := s.groups()
			for _, w := range []string{"4000", "5000", "6000"} {
				if !contains(g, w) {
					t.Errorf("Groups %v lack %s", g, w)
				}
			}
			if contains(g, "0") {
				t.Errorf("Groups %v include 0", g)
			}
		},
		"drop-all": func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "0 0 0 0")
			wantHex(t, s, "CapEff", 0)
			wantHex(t, s, "CapBnd", 0)
		},
		"drop-all-add-one": func(t *testing.T, s kstate) {
			wantHex(t, s, "CapEff", capNetBindService)
			wantHex(t, s, "CapBnd", capNetBindService)
		},
		"add-sys-admin-drop-net-raw": func(t *testing.T, s kstate) {
			wantHex(t, s, "CapEff", (containerdDefaultCaps|capSysAdmin)&^capNetRaw)
		},
		"no-privilege-escalation": func(t *testing.T, s kstate) {
			want(t, s.status["NoNewPrivs"], "1")
		},
		"setuid-blocked-by-nnp": func(t *testing.T, s kstate) {
			want(t, s.status["NoNewPrivs"], "1")
			want(t, s.status["Uid"], "1000 1000 1000 1000")
		},
		"setuid-escalates": func(t *testing.T, s kstate) {
			want(t, s.status["NoNewPrivs"], "0")
			want(t, s.status["Uid"], "1000 0 0 0")
		},
		"privileged": func(t *testing.T, s kstate) {
			nodeBnd := node.hex(t, "CapBnd")
			wantHex(t, s, "CapEff", nodeBnd)
			wantHex(t, s, "CapBnd", nodeBnd)
			want(t, s.status["Seccomp"], "0")
			if _, ok := s.hasMount("/proc/keys"); ok {
				t.Error("/proc/keys masked in a privileged container")
			}
		},
		"read-only-root": func(t *testing.T, s kstate) {
			if !s.rootReadOnly() {
				t.Error("root is read-write")
			}
		},
		"host-network": func(t *testing.T, s kstate) {
			want(t, s.ns["net"], node.ns["net"])
			want(t, s.ns["uts"], node.ns["uts"])
			notEqual(t, "pid", s.ns["pid"], node.ns["pid"])
			notEqual(t, "ipc", s.ns["ipc"], node.ns["ipc"])
		},
		"host-pid": func(t *testing.T, s kstate) {
			want(t, s.ns["pid"], node.ns["pid"])
			notEqual(t, "net", s.ns["net"], node.ns["net"])
		},
		"host-ipc": func(t *testing.T, s kstate) {
			want(t, s.ns["ipc"], node.ns["ipc"])
			notEqual(t, "pid", s.ns["pid"], node.ns["pid"])
		},
		"seccomp-runtime-default": func(t *testing.T, s kstate) {
			want(t, s.status["Seccomp"], "2")
		},
		"container-seccomp-overrides-pod": func(t *testing.T, s kstate) {
			want(t, s.status["Seccomp"], "0")
		},
		"restricted-profile": func(t *testing.T, s kstate) {
			want(t, s.status["Uid"], "1000 1000 1000 1000")
			wantHex(t, s, "CapBnd", 0)
			want(t, s.status["NoNewPrivs"], "1")
			want(t, s.status["Seccomp"], "2")
			if !s.rootReadOnly() {
				t.Error("root is read-write")
			}
		},
	}
}

// TestMatrixChecksComplete: every matrix pod has kernel assertions, and
// every assertion names a matrix pod.
func TestMatrixChecksComplete(t *testing.T) {
	checks := matrixChecks(kstate{})
	for _, c := range mx.Cases {
		if _, ok := checks[c.Name]; !ok {
			t.Errorf("matrix pod %q has no kernel check", c.Name)
		}
		delete(checks, c.Name)
	}
	for name := range checks {
		t.Errorf("kernel check %q names no matrix pod", name)
	}
}

func TestPodMatrix(t *testing.T) {
	lab := harness.SharedLab(t)
	cases := matrix(t, nodeState(t, lab))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, s := launch(t, lab, podYAML(tc.name, tc.spec))
			tc.check(t, s)
		})
	}
}

func TestShareProcessNamespace(t *testing.T) {
	lab := harness.SharedLab(t)
	p, s := launch(t, lab, podYAML("share-pid", "  shareProcessNamespace: true\n  containers:\n"+sleeper))
	sb, err := p.SandboxPID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, s.ns["pid"], readState(t, sb).ns["pid"])
}

func TestInitContainersRunFirst(t *testing.T) {
	lab := harness.SharedLab(t)
	p, _ := launch(t, lab, podYAML("init", `  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - name: prepare
    image: rtaudit.local/busybox:test
    command: [sh, -c, "echo ready > /work/flag"]
    volumeMounts: [{name: work, mountPath: /work}]
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    volumeMounts: [{name: work, mountPath: /work}]
`))
	out, _, code, err := p.ExecSync(context.Background(), "main", 10*time.Second, "cat", "/work/flag")
	if err != nil || code != 0 {
		t.Fatalf("cat /work/flag: code %d, %v", code, err)
	}
	want(t, strings.TrimSpace(string(out)), "ready")
}

func TestRunAsNonRootRefused(t *testing.T) {
	lab := harness.SharedLab(t)
	pod, err := harness.ParsePod([]byte(podYAML("nonroot", "  securityContext: {runAsNonRoot: true}\n  containers:\n"+sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = lab.Launcher.Run(context.Background(), pod)
	if err == nil || !strings.Contains(err.Error(), "image will run as root") {
		t.Fatalf("Run = %v, want the kubelet's runAsNonRoot refusal", err)
	}
}

func TestExecAsRoot(t *testing.T) {
	lab := harness.SharedLab(t)
	p, s := launch(t, lab, podYAML("exec-root", "  securityContext: {runAsUser: 1000}\n  containers:\n"+sleeper))
	want(t, s.status["Uid"], "1000 1000 1000 1000")
	pid, err := p.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	e := readState(t, pid)
	want(t, e.status["Uid"], "0 0 0 0")
	want(t, e.ns["pid"], s.ns["pid"])
}

func want[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func wantHex(t *testing.T, s kstate, key string, w uint64) {
	t.Helper()
	if got := s.hex(t, key); got != w {
		t.Errorf("%s = %#x, want %#x", key, got, w)
	}
}

func notEqual(t *testing.T, what, got, node string) {
	t.Helper()
	if got == node {
		t.Errorf("%s namespace %s is the node's", what, got)
	}
}
