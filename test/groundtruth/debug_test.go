package groundtruth

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// The runtimes' default capability sets for a root container, written
// here as the numbers the kernel shows, not taken from the code under
// test: containerd's 14 capabilities, CRI-O's 9 (FACTS.md).
const (
	containerdDefaultCaps probes.CapSet = 0xa80425fb
	crioDefaultCaps       probes.CapSet = 0x5fb
)

// runtimeCaps is what "the defaults" and "all capabilities" mean for the
// cluster's runtime: its default set, and the bounding set of its own
// daemon's process.
type runtimeCaps struct{ defaults, all probes.CapSet }

func capsOf(t *testing.T, c *cluster.Cluster) runtimeCaps {
	t.Helper()
	all, err := statusCaps(c.Runtime().PID(), "CapBnd")
	if err != nil {
		t.Fatal(err)
	}
	if c.RuntimeName() == harness.RuntimeCRIO {
		return runtimeCaps{defaults: crioDefaultCaps, all: all}
	}
	return runtimeCaps{defaults: containerdDefaultCaps, all: all}
}

// debugProfile is one `kubectl debug --profile` run against a running pod,
// with what the kernel must then show for the ephemeral container.
type debugProfile struct {
	profile string
	// custom is a --custom partial container spec (JSON), merged after the
	// profile.
	custom string
	// kernel checks the ephemeral container's process against the
	// runtime's capability sets.
	kernel func(k kernel, rc runtimeCaps) []string
}

var debugProfiles = []debugProfile{
	{profile: "general", kernel: func(k kernel, rc runtimeCaps) []string {
		// general adds SYS_PTRACE to the defaults, to trace the target.
		return wantCaps(k, "CapEff", rc.defaults|capBit("CAP_SYS_PTRACE"), "0", "0")
	}},
	{profile: "baseline", kernel: func(k kernel, rc runtimeCaps) []string {
		return wantCaps(k, "CapEff", rc.defaults, "0", "0")
	}},
	// restricted sets runAsNonRoot: the image runs as root, so the kubelet
	// refuses it unless a user is given (TestDebugRestrictedNeedsUser).
	{profile: "restricted", custom: `{"securityContext": {"runAsUser": 1000}}`, kernel: func(k kernel, rc runtimeCaps) []string {
		p := append(wantCaps(k, "CapEff", 0, "1", "2"), capLine(k, "CapBnd", 0)...)
		if got := k["status.Uid"]; got != "1000 1000 1000 1000" {
			p = append(p, "Uid "+got+", want 1000 1000 1000 1000")
		}
		return p
	}},
	{profile: "netadmin", kernel: func(k kernel, rc runtimeCaps) []string {
		// NET_RAW is in the defaults already; NET_ADMIN is added.
		return wantCaps(k, "CapEff", rc.defaults|capBit("CAP_NET_ADMIN")|capBit("CAP_NET_RAW"), "0", "0")
	}},
	{profile: "sysadmin", kernel: func(k kernel, rc runtimeCaps) []string {
		// privileged: every capability the runtime holds, no seccomp
		// filter whatever the kubelet sent.
		return wantCaps(k, "CapEff", rc.all, "0", "0")
	}},
}

func capBit(name string) probes.CapSet {
	set, unknown := probes.ParseCapNames([]string{name})
	if len(unknown) > 0 {
		panic("unknown capability " + name)
	}
	return set
}

// wantCaps compares one capability line, NoNewPrivs and Seccomp.
func wantCaps(k kernel, line string, caps probes.CapSet, nnp, seccomp string) []string {
	p := capLine(k, line, caps)
	if got := k["status.NoNewPrivs"]; got != nnp {
		p = append(p, "NoNewPrivs "+got+", want "+nnp)
	}
	if got := k["status.Seccomp"]; got != seccomp {
		p = append(p, "Seccomp "+got+", want "+seccomp)
	}
	return p
}

// capLine compares one capability line of status with caps.
func capLine(k kernel, line string, caps probes.CapSet) []string {
	got, err := strconv.ParseUint(k["status."+line], 16, 64)
	if err != nil {
		return []string{fmt.Sprintf("%s %q: %v", line, k["status."+line], err)}
	}
	if probes.CapSet(got) != caps {
		return []string{fmt.Sprintf("%s %016x, want %016x (extra %v, missing %v)", line, got, uint64(caps),
			(probes.CapSet(got) &^ caps).Names(), (caps &^ probes.CapSet(got)).Names())}
	}
	return nil
}

// statusCaps reads one capability line of /proc/<pid>/status.
func statusCaps(pid int, line string) (probes.CapSet, error) {
	k, err := readKernel(pid, map[string]string{})
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(k["status."+line], 16, 64)
	return probes.CapSet(v), err
}

// kubectlDebug adds ephemeral container dbg-<profile> to pod ns/name with
// `kubectl debug --profile`, targeting "main" (its process namespace), not
// attached (no kubelet streaming needed), and returns its host PID once it
// runs.
func kubectlDebug(ctx context.Context, t *testing.T, c *cluster.Cluster, ns, pod string, p debugProfile) (int, error) {
	name := "dbg-" + p.profile
	args := []string{"debug", "-n", ns, pod, "--image=" + matrix.Image, "--image-pull-policy=Never",
		"--profile=" + p.profile, "--target=main", "-c", name}
	if p.custom != "" {
		file := filepath.Join(t.TempDir(), p.profile+".json")
		if err := os.WriteFile(file, []byte(p.custom), 0o600); err != nil {
			return 0, err
		}
		args = append(args, "--custom="+file)
	}
	if _, err := c.Kubectl(ctx, append(args, "--", "sleep", "3600")...); err != nil {
		return 0, err
	}
	_, id, err := c.WaitEphemeral(ctx, ns, pod, name)
	if err != nil {
		return 0, err
	}
	rt, err := c.Runtime().RuntimeService()
	if err != nil {
		return 0, err
	}
	pid, err := harness.ContainerPID(ctx, rt, id)
	if err != nil {
		return 0, err
	}
	return pid, waitExec(ctx, pid)
}

// TestDebugProfiles: `kubectl debug --profile=general|baseline|restricted|
// netadmin|sysadmin` against a running pod. The kernel shows what each
// profile asks for; each ephemeral container is judged against its own
// securityContext in spec.ephemeralContainers and none gives a finding,
// except the sysadmin one's declared privilege, reported once at info.
func TestDebugProfiles(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns, pod = "gt-debug", "target"
	target := runIn(t, c, ns, pod, "  containers:\n"+matrix.Sleeper, "main")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rc := capsOf(t, c)
	targetNS, err := namespaces(target.pid)
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, p := range debugProfiles {
		start := time.Now()
		pid, err := kubectlDebug(ctx, t, c, ns, pod, p)
		if err != nil {
			t.Fatalf("--profile=%s: %v", p.profile, err)
		}
		t.Logf("--profile=%s: pid %d running after %s", p.profile, pid, time.Since(start).Round(time.Millisecond))
		pids["dbg-"+p.profile] = pid
	}
	for _, p := range debugProfiles {
		t.Run("kernel/"+p.profile, func(t *testing.T) {
			pid := pids["dbg-"+p.profile]
			k, err := readKernel(pid, map[string]string{})
			if err != nil {
				t.Fatal(err)
			}
			for _, problem := range p.kernel(k, rc) {
				t.Error(problem)
			}
			// --target: the debug container shares the target's pid
			// namespace (containerd 1.6 and CRI-O support it).
			ns, err := namespaces(pid)
			if err != nil {
				t.Fatal(err)
			}
			if ns["pid"] != targetNS["pid"] {
				t.Errorf("pid namespace %s, want the target's %s", ns["pid"], targetNS["pid"])
			}
		})
	}
	r := scanNamespace(t, c, ns)
	audited := map[string]int{}
	for _, ctr := range r.Containers {
		audited[ctr.Container] = ctr.PID
	}
	wantAudited := map[string]int{"main": target.pid}
	for name, pid := range pids {
		wantAudited[name] = pid
	}
	if !maps.Equal(audited, wantAudited) {
		t.Errorf("audited containers %v, want %v", audited, wantAudited)
	}
	if got := drifts(r, pod); len(got) != 0 {
		t.Errorf("findings %v, want none:%s", got, dump(r, pod))
	}
	var infos []string
	for _, f := range r.Findings {
		if f.Severity == checks.Info {
			infos = append(infos, fmt.Sprintf("%s/%s/%s/%d", f.Container, f.Check, f.Layer, f.PID))
		}
	}
	if want := []string{"dbg-sysadmin/privileged/cri/0"}; !slices.Equal(infos, want) {
		t.Errorf("info findings %v, want %v:%s", infos, want, dump(r, pod))
	}
}

// TestDebugRestrictedNeedsUser: --profile=restricted sets runAsNonRoot, and
// an image whose user is root makes the kubelet refuse the ephemeral
// container (CreateContainerConfigError) before any CRI call: nothing runs,
// so the audit has nothing to judge and reports nothing.
func TestDebugRestrictedNeedsUser(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns, pod = "gt-debug-nonroot", "target"
	runIn(t, c, ns, pod, "  containers:\n"+matrix.Sleeper, "main")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := kubectlDebug(ctx, t, c, ns, pod, debugProfile{profile: "restricted"})
	if err == nil || !strings.Contains(err.Error(), "CreateContainerConfigError") || !strings.Contains(err.Error(), "runAsNonRoot") {
		t.Fatalf("kubectl debug --profile=restricted on a root image: %v, want the kubelet's CreateContainerConfigError about runAsNonRoot", err)
	}
	r := scanNamespace(t, c, ns)
	if len(r.Containers) != 1 || r.Containers[0].Container != "main" {
		t.Errorf("audited %+v, want only main", r.Containers)
	}
	if len(r.Findings) != 0 {
		t.Errorf("findings:%s", dump(r, pod))
	}
}
