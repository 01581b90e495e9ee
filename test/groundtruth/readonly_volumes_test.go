package groundtruth

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// hostSysMode is the ro/rw option of /host/sys in pid's mountinfo, read
// without the product.
func hostSysMode(t *testing.T, pid int) string {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 5 && fields[4] == "/host/sys" {
			if slices.Contains(strings.Split(fields[5], ","), "ro") {
				return "ro"
			}
			return "rw"
		}
	}
	t.Fatalf("no /host/sys in the container's mountinfo")
	return ""
}

func nodeExporterSpec(mode string) string {
	rec := ""
	if mode != "" {
		rec = ", recursiveReadOnly: " + mode
	}
	return `  volumes: [{name: host, hostPath: {path: /}}]
  containers:
  - name: main
    image: ` + matrix.Image + `
    command: [sleep, "3600"]
    volumeMounts: [{name: host, mountPath: /host, readOnly: true` + rec + `}]
`
}

// TestReadonlyHostRootThroughKubelet: the node-exporter pod under
// the real kubelet. readOnly alone leaves the host's /sys writable at
// /host/sys (the kernel says so); readonly-volumes reports it once, naming
// the submounts, and host-mounts does not report the sysfs again. With
// recursiveReadOnly: IfPossible the kubelet asks a recursive mount where
// the runtime can (containerd 2: /host/sys read-only, nothing reported)
// and not elsewhere (containerd 1.6: writable, info only). CRI-O refuses
// the pod on this host (crioRefusesHostRoot).
func TestReadonlyHostRootThroughKubelet(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-rov"
	if c.RuntimeName() == harness.RuntimeCRIO {
		crioRefusesHostRoot(t, c, ns)
		return
	}
	plain := runIn(t, c, ns, "node-exporter", nodeExporterSpec(""), "main")
	if got := hostSysMode(t, plain.pid); got != "rw" {
		t.Fatalf("readOnly alone: /host/sys is %s, want rw (readOnly is not recursive)", got)
	}
	ifp := runIn(t, c, ns, "node-exporter-rro", nodeExporterSpec("IfPossible"), "main")
	recursive := hostSysMode(t, ifp.pid) == "ro"
	t.Logf("the runtime made /host recursively read-only: %v", recursive)
	r := scanNamespace(t, c, ns)
	// Host / also reaches the kubelet's pod volumes: secret-host-paths.
	if got, want := drifts(r, "node-exporter"), []string{"readonly-volumes/cri/0", fmt.Sprintf("secret-host-paths/process/%d", plain.pid)}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r, "node-exporter"))
	}
	for _, f := range r.Findings {
		if f.Pod == "node-exporter" && f.Check == checks.ReadonlyVolumes {
			for _, sub := range []string{"/host/sys (sysfs)", "/host/proc (proc)"} {
				if !strings.Contains(f.Message, sub) {
					t.Errorf("message lacks %q: %s", sub, f.Message)
				}
			}
		}
	}
	if got, want := drifts(r, "node-exporter-rro"), []string{fmt.Sprintf("secret-host-paths/process/%d", ifp.pid)}; !slices.Equal(got, want) {
		t.Errorf("IfPossible: findings %v, want %v:%s", got, want, dump(r, "node-exporter-rro"))
	}
	info := 0
	for _, f := range r.Findings {
		if f.Pod == "node-exporter-rro" && f.Check == checks.ReadonlyVolumes {
			info++
		}
	}
	if want := map[bool]int{true: 0, false: 1}[recursive]; info != want {
		t.Errorf("IfPossible: %d info findings, want %d (recursive: %v)", info, want, recursive)
	}
}
