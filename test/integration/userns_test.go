package integration

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/test/harness"
)

// User-namespaced pods (hostUsers: false) need containerd 2 and runc 1.2 or
// later: make test-containerd-v2 runs this file with both
// (RTAUDIT_CONTAINERD, RTAUDIT_RUNC). On Debian's containerd 1.6 the
// launcher must refuse them, as the kubelet does.

// usernsSupport says why the lab cannot run user-namespaced pods, "" when
// it can: the runtime's CRI Version, then the runc binary's version.
func usernsSupport(t *testing.T, lab *harness.Lab) string {
	t.Helper()
	if why := usernsRuntime(t, lab); why != "" {
		return why
	}
	out, err := exec.Command(lab.Options().Runc, "--version").Output()
	if err != nil {
		t.Fatalf("%s --version: %v", lab.Options().Runc, err)
	}
	first, _, _ := strings.Cut(string(out), "\n")
	if major, minor := versionOf(strings.TrimPrefix(first, "runc version ")); major < 1 || (major == 1 && minor < 2) {
		return fmt.Sprintf("%s is %q; user-namespaced pods need runc 1.2 or later (RTAUDIT_RUNC=$(bash test/runc.sh))", lab.Options().Runc, first)
	}
	return ""
}

// usernsRuntime says why the lab's CRI runtime cannot run user-namespaced
// pods, "" when it is containerd 2 or later.
func usernsRuntime(t *testing.T, lab *harness.Lab) string {
	t.Helper()
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := rt.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if major, _ := versionOf(v.RuntimeVersion); v.RuntimeName != "containerd" || major < 2 {
		return fmt.Sprintf("runtime is %s %s; user-namespaced pods need containerd 2 or later (make test-containerd-v2)", v.RuntimeName, v.RuntimeVersion)
	}
	return ""
}

var versionRE = regexp.MustCompile(`(\d+)\.(\d+)`)

// versionOf reads major.minor from "v2.4.2", "1.6.20~ds1" or "1.5.2".
func versionOf(s string) (major, minor int) {
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return 0, 0
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor
}

// usernsLab is the shared lab, skipping the test when it cannot run
// user-namespaced pods. With containerd 2 and runc 1.2+ the runtime must
// also say so in its CRI Status, as the kubelet asks it.
func usernsLab(t *testing.T) *harness.Lab {
	t.Helper()
	lab := harness.SharedLab(t)
	if why := usernsSupport(t, lab); why != "" {
		t.Skip(why)
	}
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	if err := harness.HandlerSupportsUserNamespaces(context.Background(), rt, ""); err != nil {
		t.Fatalf("containerd 2 with runc 1.2+: %v", err)
	}
	return lab
}

// podHostID is the first host ID of the pod's block, as the launcher sent
// it in the sandbox config; the container configs must carry the same.
func podHostID(t *testing.T, p *harness.Pod) uint32 {
	t.Helper()
	u := p.SandboxConfig.GetLinux().GetSecurityContext().GetNamespaceOptions().GetUsernsOptions()
	if u.GetMode() != runtimeapi.NamespaceMode_POD || len(u.GetUids()) != 1 || len(u.GetGids()) != 1 {
		t.Fatalf("sandbox userns_options = %v, want mode POD with one UID and one GID mapping", u)
	}
	m := u.GetUids()[0]
	if m.ContainerId != 0 || m.Length != harness.UsernsLength || m.HostId < harness.UsernsBase || m.HostId%harness.UsernsLength != 0 {
		t.Fatalf("UID mapping %v, want container 0, length %d, host ID a multiple of it from %d", m, harness.UsernsLength, harness.UsernsBase)
	}
	for name, cfg := range p.Configs {
		if cu := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetUsernsOptions(); !slices.EqualFunc(cu.GetUids(), u.GetUids(), sameMapping) || !slices.EqualFunc(cu.GetGids(), u.GetGids(), sameMapping) || cu.GetMode() != runtimeapi.NamespaceMode_POD {
			t.Errorf("container %s userns_options %v, want the sandbox's %v", name, cu, u)
		}
	}
	return m.HostId
}

func sameMapping(a, b *runtimeapi.IDMapping) bool {
	return a.HostId == b.HostId && a.ContainerId == b.ContainerId && a.Length == b.Length
}

func readMap(t *testing.T, pid int, file string) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(data)), " ")
}

// TestUsernsRefusedWithoutSupport: on a runtime without user namespaces
// (containerd 1.6 lists no runtime handlers in its CRI Status; containerd 2
// with runc 1.1 says its handlers lack them) the launcher refuses
// hostUsers: false with the kubelet's message.
func TestUsernsRefusedWithoutSupport(t *testing.T) {
	lab := harness.SharedLab(t)
	rt, err := lab.RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	if harness.HandlerSupportsUserNamespaces(context.Background(), rt, "") == nil {
		t.Skip("the lab's runtime supports user namespaces")
	}
	pod, err := harness.ParsePod([]byte(podYAML("userns-refused", "  hostUsers: false\n  containers:\n"+sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := lab.Launcher.Run(ctx, pod)
	if err == nil {
		_ = p.Delete(ctx)
		t.Fatal("hostUsers: false launched on a runtime without user namespaces")
	}
	if !errors.Is(err, harness.ErrNoUserNamespaces) {
		t.Errorf("error %q, want %q", err, harness.ErrNoUserNamespaces)
	}
}

// TestUsernsPod: a hostUsers: false pod runs in a user namespace of its own
// whose IDs 0..65535 are the pod's host block, root inside or not, and the
// audit finds nothing to report on it.
func TestUsernsPod(t *testing.T) {
	lab := usernsLab(t)
	node := nodeState(t, lab)
	cases := []struct {
		name    string
		spec    string
		uid     uint32 // inside the namespace
		gid     uint32
		capEff  uint64
		volumes bool
	}{
		{"root", "  hostUsers: false\n  containers:\n" + sleeper, 0, 0, containerdDefaultCaps, false},
		{"uid1000", "  hostUsers: false\n  securityContext: {runAsUser: 1000, runAsGroup: 2000, supplementalGroups: [3000]}\n  containers:\n" + sleeper, 1000, 2000, 0, false},
		{"emptydir", `  hostUsers: false
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000}
  volumes: [{name: scratch, emptyDir: {}}]
  containers:
  - name: main
    image: rtaudit.local/busybox:test
    command: [sleep, "3600"]
    volumeMounts: [{name: scratch, mountPath: /scratch}]
`, 1000, 3000, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := launchDeclared(t, lab, podYAML("userns-"+tc.name, tc.spec))
			host := podHostID(t, a.pod)
			pid, err := a.pod.PID(context.Background(), "main")
			if err != nil {
				t.Fatal(err)
			}
			s := readState(t, pid)
			wantMap := fmt.Sprintf("0 %d %d", host, harness.UsernsLength)
			want(t, readMap(t, pid, "uid_map"), wantMap)
			want(t, readMap(t, pid, "gid_map"), wantMap)
			u, g := host+tc.uid, host+tc.gid
			want(t, s.status["Uid"], fmt.Sprintf("%d %d %d %d", u, u, u, u))
			want(t, s.status["Gid"], fmt.Sprintf("%d %d %d %d", g, g, g, g))
			notEqual(t, "ns/user", s.ns["user"], node.ns["user"])
			// Root inside holds containerd's default set, in its own
			// user namespace only; a non-root UID holds none.
			wantHex(t, s, "CapEff", tc.capEff)
			wantHex(t, s, "CapBnd", containerdDefaultCaps)
			if tc.volumes {
				// The emptyDir is an idmapped mount: a file the
				// container writes as 1000:3000 is 1000:3000 inside
				// and on the host's disk alike.
				out, stderr, code, err := a.pod.ExecSync(context.Background(), "main", 10*time.Second, "sh", "-c", "touch /scratch/f && stat -c %u:%g /scratch/f")
				if err != nil || code != 0 {
					t.Fatalf("write to the idmapped emptyDir: exit %d, %v: %s", code, err, stderr)
				}
				want(t, strings.TrimSpace(string(out)), "1000:3000")
				host := a.pod.Configs["main"].Mounts[0].HostPath
				fi, err := os.Stat(host + "/f")
				if err != nil {
					t.Fatal(err)
				}
				st := fi.Sys().(*syscall.Stat_t)
				want(t, fmt.Sprintf("%d:%d", st.Uid, st.Gid), "1000:3000")
			}
			r := scanOf(t, lab, a)
			for _, f := range r.Findings {
				t.Logf("%s %s %s pid=%d: %s", f.Severity, f.Check, f.Layer, f.PID, f.Message)
			}
			if got := drifts(r); len(got) != 0 {
				t.Errorf("findings %v, want none:%s", got, dump(r))
			}
		})
	}
}

// TestUsernsMistranslation: a node component that drops the user namespace
// (mode NODE in the CRI configs) makes the pod's root the node's root; the
// audit reports exactly host-users at the cri layer.
func TestUsernsMistranslation(t *testing.T) {
	lab := usernsLab(t)
	node := nodeState(t, lab)
	fields := harness.UsernsMistranslationFields()
	if !slices.Equal(fields, []string{"hostUsers"}) {
		t.Fatalf("user namespace mistranslations %v, want [hostUsers]: give each a case here", fields)
	}
	a := launchDeclared(t, lab, podYAML("mis-hostusers", "  hostUsers: false\n  containers:\n"+sleeper), harness.WithMistranslation("hostUsers"))
	want(t, a.pod.Mistranslated, "hostUsers")
	pid, err := a.pod.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	s := readState(t, pid)
	want(t, s.ns["user"], node.ns["user"])
	want(t, s.status["Uid"], "0 0 0 0")
	r := scanOf(t, lab, a)
	if got, want := drifts(r), []string{"host-users/cri/0"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r))
	}
}

// TestUsernsFindingNamesHostIDs: a root exec into a user-namespaced
// runAsUser pod is judged by its ID inside the namespace (0, so a
// finding) and the finding names the host ID too.
func TestUsernsFindingNamesHostIDs(t *testing.T) {
	lab := usernsLab(t)
	a := launchDeclared(t, lab, podYAML("userns-exec", "  hostUsers: false\n  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
	host := podHostID(t, a.pod)
	pid, err := a.pod.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	waitExec(t, pid)
	r := scanOf(t, lab, a)
	wantFindings := []string{fmt.Sprintf("run-as-group/process/%d", pid), fmt.Sprintf("run-as-user/process/%d", pid)}
	if got := drifts(r); !slices.Equal(got, wantFindings) {
		t.Fatalf("findings %v, want %v:%s", got, wantFindings, dump(r))
	}
	for _, f := range r.Findings {
		t.Logf("%s %s %s pid=%d: %s", f.Severity, f.Check, f.Layer, f.PID, f.Message)
		if f.Severity == checks.Info || f.PID != pid {
			continue
		}
		if f.Actual != "0" {
			t.Errorf("%s: actual %q, want the in-namespace ID 0", f.Check, f.Actual)
		}
		if hostID := fmt.Sprintf("host %d", host); !strings.Contains(f.Message, hostID) {
			t.Errorf("%s: message %q does not name %q", f.Check, f.Message, hostID)
		}
	}
}
