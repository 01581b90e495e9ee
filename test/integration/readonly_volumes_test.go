package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/test/harness"
)

// hostTree is a host directory with a tmpfs and a sysfs mounted below it,
// read-write: what a node-exporter-style pod sees below its host root.
func hostTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, m := range []struct{ sub, fstype string }{{"cache", "tmpfs"}, {"sys", "sysfs"}} {
		p := filepath.Join(dir, m.sub)
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount(m.fstype, p, m.fstype, 0, ""); err != nil {
			t.Fatalf("mount %s at %s: %v", m.fstype, p, err)
		}
		t.Cleanup(func() { _ = unix.Unmount(p, unix.MNT_DETACH) })
	}
	return dir
}

// rroSupported asks CRI Status, as the kubelet does, whether the default
// runtime handler makes recursive read-only mounts (containerd 2 with runc
// 1.1+; containerd 1.6 lists no handlers).
func rroSupported(t *testing.T, lab *harness.Lab) bool {
	t.Helper()
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	st, err := rt.Status(context.Background(), &runtimeapi.StatusRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st.GetRuntimeHandlers() {
		if h.GetName() == "" {
			return h.GetFeatures().GetRecursiveReadOnlyMounts()
		}
	}
	return false
}

// submountModes reads, independently of the product, the ro/rw option of
// the mounts at /host/cache and /host/sys in the container's mountinfo.
func submountModes(t *testing.T, p *harness.Pod) string {
	t.Helper()
	pid, err := p.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range readState(t, pid).mounts {
		if m.point == "/host/cache" || m.point == "/host/sys" {
			mode := "rw"
			if slices.Contains(m.opts, "ro") {
				mode = "ro"
			}
			out = append(out, m.point+" "+mode)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func hostRootPod(name, dir, mode string) string {
	rec := ""
	if mode != "" {
		rec = ", recursiveReadOnly: " + mode
	}
	return podYAML(name, fmt.Sprintf(`  volumes: [{name: host, hostPath: {path: %s}}]
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    volumeMounts: [{name: host, mountPath: /host, readOnly: true%s}]
`, dir, rec))
}

// TestReadonlyVolumeNotRecursive: the host's tree mounted readOnly at
// /host (as a node exporter does) leaves its submounts writable on every
// runtime; readonly-volumes names each one, once, and host-mounts does not
// report the writable sysfs again.
func TestReadonlyVolumeNotRecursive(t *testing.T) {
	lab := harness.SharedLab(t)
	dir := hostTree(t)
	a := launchDeclared(t, lab, hostRootPod("rov-plain", dir, ""))
	if got := submountModes(t, a.pod); got != "/host/cache rw, /host/sys rw" {
		t.Fatalf("kernel: %s, want both submounts read-write (readOnly is not recursive)", got)
	}
	r := scanOf(t, lab, a)
	if got, want := drifts(r), []string{"readonly-volumes/cri/0"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r))
	}
	f, _ := findingOf(r, a.manifest.Name, checks.ReadonlyVolumes)
	for _, want := range []string{"/host/cache (tmpfs)", "/host/sys (sysfs)", "recursiveReadOnly: Enabled"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.Severity != checks.High {
		t.Errorf("severity %s, want high (a writable sysfs)", f.Severity)
	}
}

// TestReadonlyVolumeRecursive: recursiveReadOnly as the kubelet resolves
// it. Where the runtime supports it (containerd 2, runc 1.5) Enabled and
// IfPossible make every submount read-only ("rro") and nothing is
// reported; on containerd 1.6 Enabled is refused (as the kubelet refuses
// the pod) and IfPossible stays non-recursive: info only.
func TestReadonlyVolumeRecursive(t *testing.T) {
	lab := harness.SharedLab(t)
	dir := hostTree(t)
	supported := rroSupported(t, lab)
	t.Logf("runtime supports recursive read-only mounts: %v", supported)
	for _, mode := range []string{"Enabled", "IfPossible"} {
		t.Run(mode, func(t *testing.T) {
			yaml := hostRootPod("rov-"+strings.ToLower(mode), dir, mode)
			if !supported && mode == "Enabled" {
				pod, err := harness.ParsePod([]byte(yaml))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				p, err := lab.Launcher.Run(ctx, pod)
				if err == nil {
					_ = p.Delete(ctx)
					t.Fatal("recursiveReadOnly: Enabled launched on a runtime without support")
				}
				if !strings.Contains(err.Error(), "not supported by the runtime") {
					t.Errorf("error %q, want the kubelet's refusal", err)
				}
				return
			}
			a := launchDeclared(t, lab, yaml)
			want := "/host/cache ro, /host/sys ro"
			if !supported {
				want = "/host/cache rw, /host/sys rw"
			}
			if got := submountModes(t, a.pod); got != want {
				t.Fatalf("kernel: %s, want %s", got, want)
			}
			r := scanOf(t, lab, a)
			if got := drifts(r); len(got) != 0 {
				t.Fatalf("findings %v, want none:%s", got, dump(r))
			}
			f, _ := findingOf(r, a.manifest.Name, checks.ReadonlyVolumes)
			if supported != (f.Check == "") {
				t.Errorf("info finding %+v: want one exactly when the runtime cannot (IfPossible, containerd 1.6)", f)
			}
		})
	}
}
