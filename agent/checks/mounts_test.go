package checks

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// mountinfo turns mountinfo lines into mounts for these tests (probes
// parses the real file; its parser is not exported). Paths here carry no
// escapes.
func mountinfo(t *testing.T, text string) []probes.Mount {
	t.Helper()
	var out []probes.Mount
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		before, after, ok := strings.Cut(strings.TrimSpace(line), " - ")
		f, g := strings.Fields(before), strings.Fields(after)
		if !ok || len(f) < 6 || len(g) != 3 {
			t.Fatalf("bad mountinfo line %q", line)
		}
		id, _ := strconv.Atoi(f[0])
		parent, _ := strconv.Atoi(f[1])
		opts := strings.Split(f[5], ",")
		out = append(out, probes.Mount{ID: id, ParentID: parent, Root: f[3], MountPoint: f[4], Options: opts,
			FSType: g[0], Source: g[1], SuperOptions: strings.Split(g[2], ","), ReadOnly: slices.Contains(opts, "ro")})
	}
	return out
}

// fixture100 is probes/testdata/proc/100/mountinfo: a container of
// containerd v2.4.2 and runc 1.5.2 on this kernel.
const fixture100 = `
73 48 0:40 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w
74 73 0:43 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
75 73 0:44 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
76 75 0:45 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666
77 75 0:46 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
78 75 0:42 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw
79 73 0:47 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
80 77 0:39 / /dev/shm ro,relatime - tmpfs shm rw,size=65536k
81 73 254:0 /tmp/rtx/root/io.containerd.grpc.v1.cri/sandboxes/e2bd/resolv.conf /etc/resolv.conf ro,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
49 74 0:43 /bus /proc/bus ro,nosuid,nodev,noexec,relatime - proc proc rw
50 74 0:43 /fs /proc/fs ro,nosuid,nodev,noexec,relatime - proc proc rw
51 74 0:43 /irq /proc/irq ro,nosuid,nodev,noexec,relatime - proc proc rw
52 74 0:43 /sys /proc/sys ro,nosuid,nodev,noexec,relatime - proc proc rw
53 74 0:48 / /proc/acpi ro,relatime - tmpfs tmpfs ro
54 74 0:44 /null /proc/keys rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
55 74 0:44 /null /proc/timer_list rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
56 79 0:49 / /sys/firmware ro,relatime - tmpfs tmpfs ro
`

// The host's root (probes/testdata/proc/1/mountinfo).
const hostRootLine = `27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534`

func TestVisibleMounts(t *testing.T) {
	ms := mountinfo(t, fixture100)
	vis := visibleMounts(ms)
	if got := vis["/dev/shm"]; got.ID != 80 {
		t.Errorf("/dev/shm: got mount %d, want 80 (stacked on 77)", got.ID)
	}
	if got := vis["/proc/sys"]; got.ID != 52 || !got.ReadOnly {
		t.Errorf("/proc/sys: %+v", got)
	}
	// A new proc mounted over /proc hides everything runc put under it.
	over := append(slices.Clone(ms), mountinfo(t, "90 74 0:60 / /proc rw - proc proc rw")...)
	vis = visibleMounts(over)
	if got := vis["/proc"]; got.ID != 90 {
		t.Errorf("/proc: got %d, want 90", got.ID)
	}
	if _, ok := vis["/proc/sys"]; ok {
		t.Error("/proc/sys under a covered /proc must not be visible")
	}
	if m, ok := containingMount(vis, "/proc/sys"); !ok || m.ID != 90 {
		t.Errorf("containing /proc/sys: %+v %v", m, ok)
	}
	// Unusable IDs: the last listed wins.
	dup := []probes.Mount{{MountPoint: "/x", FSType: "a"}, {MountPoint: "/x", FSType: "b"}}
	if got := visibleMounts(dup)["/x"]; got.FSType != "b" {
		t.Errorf("duplicate IDs: got %q", got.FSType)
	}
	// A parent cycle ends.
	cyc := []probes.Mount{{ID: 1, ParentID: 2, MountPoint: "/a"}, {ID: 2, ParentID: 1, MountPoint: "/b"}}
	if len(visibleMounts(cyc)) != 0 {
		t.Error("a cycle is not visible")
	}
	if _, ok := containingMount(map[string]probes.Mount{}, "/proc/sys"); ok {
		t.Error("nothing contains a path in an empty table")
	}
}

func TestMountHelpers(t *testing.T) {
	vis := visibleMounts(mountinfo(t, fixture100))
	for point, want := range map[string]bool{"/proc/acpi": true, "/proc/keys": true, "/sys/firmware": true, "/proc/sys": false, "/dev": false, "/dev/pts": false} {
		if got := isMask(vis[point]); got != want {
			t.Errorf("isMask(%s) = %v, want %v", point, got, want)
		}
	}
	if !isMask(probes.Mount{FSType: "devtmpfs", Root: "/null"}) {
		t.Error("/dev/null of a devtmpfs is a mask")
	}

	host := mountinfo(t, hostRootLine)[0]
	for _, tc := range []struct {
		root, want string
		ok         bool
	}{{"/", "/", true}, {"/etc", "/etc", true}, {"/tmp/rtx/x", "/tmp/rtx/x", true}} {
		m := host
		m.Root, m.MountPoint = tc.root, "/h"
		if got, ok := hostPathOf(host, m); got != tc.want || ok != tc.ok {
			t.Errorf("hostPathOf(%s) = %q %v", tc.root, got, ok)
		}
	}
	other := host
	other.Source = "/dev/vdb"
	if _, ok := hostPathOf(host, other); ok {
		t.Error("another disk is not the host's root")
	}
	if _, ok := hostPathOf(probes.Mount{}, host); ok {
		t.Error("unknown host root: never")
	}
	// A host root that is itself a subtree (/sysroot bound at /).
	sub := host
	sub.Root = "/sysroot"
	for root, want := range map[string]string{"/sysroot": "/", "/sysroot/etc": "/etc"} {
		m := host
		m.Root = root
		if got, ok := hostPathOf(sub, m); !ok || got != want {
			t.Errorf("subtree host root: %s → %q %v", root, got, ok)
		}
	}
	m := host
	m.Root = "/sysrootx"
	if _, ok := hostPathOf(sub, m); ok {
		t.Error("/sysrootx is not under /sysroot")
	}

	for p, want := range map[string]string{
		"/var/run/docker.sock/": "runtime socket docker.sock", "/run/k3s/containerd/containerd.sock": "runtime socket containerd.sock",
		"/": "host path /", "/etc/": "host path /etc", "/var/lib/kubelet": "host path /var/lib/kubelet",
		"/var/lib/kubelet/pods/u1/etc-hosts": "", "/srv/data": "", "": "",
	} {
		if got := hostKind(p); got != want {
			t.Errorf("hostKind(%q) = %q, want %q", p, got, want)
		}
	}
}

// TestRealMountinfo runs both checks on the mount tables of the probes
// fixtures: 100 is a normal container, 300 has /sys read-write and no
// read-only /proc/sys, 400 has the host's root and containerd.sock bound
// in, 500 lacks masks runc should have made.
func TestRealMountinfo(t *testing.T) {
	host := mountinfo(t, hostRootLine)[0]
	lines := strings.Split(strings.TrimSpace(fixture100), "\n")
	drop := func(points ...string) string {
		var out []string
		for _, l := range lines {
			if !slices.Contains(points, strings.Fields(l)[4]) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	fixture300 := strings.Replace(drop("/proc/sys"), "/sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro", "/sys rw,nosuid,nodev,noexec,relatime - sysfs sysfs rw", 1)
	// 400's host lines, with the host root's real superblock options.
	fixture400 := fixture100 + `
120 73 254:0 / /host rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
121 73 0:25 /containerd/containerd.sock /run/containerd/containerd.sock rw,nosuid,nodev - tmpfs tmpfs rw,mode=755`
	fixture500 := drop("/proc/sys", "/proc/acpi", "/proc/keys", "/proc/timer_list", "/sys/firmware")

	for _, tc := range []struct {
		name, mountinfo string
		hostPaths       map[string]bool
		want            []want
	}{
		{"100: a normal container", fixture100, nil, nil},
		{"100 with HostPaths from this kernel", fixture100, map[string]bool{"/proc/acpi": true, "/proc/interrupts": false, "/proc/keys": true, "/proc/kcore": false, "/proc/timer_list": true, "/sys/firmware": true}, nil},
		{"300: /sys and /proc/sys writable", fixture300, nil, []want{
			{"host-mounts", LayerProcess, High, 4242, "mountinfo:/sys"},
			{"proc-mount", LayerProcess, High, 4242, "mountinfo"},
		}},
		{"400: host root and containerd.sock", fixture400, nil, []want{
			{"host-mounts", LayerProcess, Critical, 4242, "mountinfo:/host"},
			{"host-mounts", LayerProcess, Critical, 4242, "mountinfo:/run/containerd/containerd.sock"},
		}},
		{"500 without HostPaths: only /proc/sys is certain", fixture500, nil, []want{{"proc-mount", LayerProcess, High, 4242, "mountinfo"}}},
		{"500 with HostPaths", fixture500, map[string]bool{"/proc/acpi": true, "/sys/firmware": true}, []want{{"proc-mount", LayerProcess, High, 4242, "mountinfo"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good(t)
			s.HostRoot, s.HostPaths = host, tc.hostPaths
			s.Processes[0].Mounts = mountinfo(t, tc.mountinfo)
			s.Processes[0].Root = probes.Mount{MountPoint: "/", ReadOnly: true}
			var fs []Finding
			for _, id := range []ID{HostMounts, ProcMount} {
				c, _ := Get(id)
				fs = append(fs, c.Evaluate(s)...)
			}
			Sort(fs)
			expectFindings(t, fs, tc.want...)
			if strings.HasPrefix(tc.name, "500 with HostPaths") && !strings.Contains(fs[0].Actual, "unmasked:/proc/acpi") {
				t.Errorf("actual %q lacks /proc/acpi", fs[0].Actual)
			}
		})
	}
}

func TestProcAndHostMountsLayers(t *testing.T) {
	only := func(fs []Finding, ids ...ID) []Finding {
		return slices.DeleteFunc(fs, func(f Finding) bool { return !slices.Contains(ids, f.Check) })
	}
	unmaskedDeclared := func(t *testing.T, s *Subject) {
		p := goodPod()
		p.Spec.HostUsers = ptr(false)
		p.Spec.Containers[0].SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount)
		redeclare(t, s, p)
		s.CRI.Linux.SecurityContext.MaskedPaths, s.CRI.Linux.SecurityContext.ReadonlyPaths = nil, nil
		s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil
	}
	sock := probes.Mount{ID: 121, ParentID: 73, Root: "/docker.sock", MountPoint: "/var/run/docker.sock", FSType: "tmpfs", Source: "tmpfs"}
	for _, tc := range []struct {
		name string
		mut  func(t *testing.T, s *Subject)
		want []want
	}{
		{"mistranslated procMount: the CRI layer explains the OCI spec and the processes", func(t *testing.T, s *Subject) {
			s.CRI.Linux.SecurityContext.MaskedPaths, s.CRI.Linux.SecurityContext.ReadonlyPaths = nil, nil
			s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil
			s.Processes[0].Mounts = unmasked(s.Processes[0].Mounts)
		}, []want{{"proc-mount", LayerCRI, High, 0, "masked_paths,readonly_paths"}}},
		{"CRI config privileged: privileged explains the rest", func(t *testing.T, s *Subject) {
			s.CRI.Linux.SecurityContext.Privileged = true
			s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil
			s.OCI.Mounts[1].Options = []string{"nosuid"}
			s.Processes[0].Mounts = unmasked(s.Processes[0].Mounts)
			s.Processes[0].Mounts[1].ReadOnly = false
		}, []want{{"privileged", LayerCRI, Critical, 0, "privileged"}}},
		{"a privileged process: no proc-mount or host-mounts finding besides", func(t *testing.T, s *Subject) {
			p := s.Processes[0]
			p.Caps.Bounding = defaults.AllCaps
			p.Mounts = unmasked(p.Mounts)
			p.Mounts[1].ReadOnly = false
		}, []want{{"privileged", LayerProcess, Critical, 4242, "CapBnd,/sys"}}},
		{"a socket in every layer is reported at the first", func(t *testing.T, s *Subject) {
			s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: "/var/run/docker.sock", HostPath: "/var/run/docker.sock"})
			s.OCI.Mounts = append(s.OCI.Mounts, specs.Mount{Destination: "/var/run/docker.sock", Type: "bind", Source: "/run/docker.sock", Options: []string{"rbind"}})
			s.Processes[0].Mounts = append(s.Processes[0].Mounts, sock)
		}, []want{{"host-mounts", LayerCRI, Critical, 0, "mounts[/var/run/docker.sock]"}}},
		{"a CRI socket and an independent process drift are both reported", func(t *testing.T, s *Subject) {
			s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: "/var/run/docker.sock", HostPath: "/var/run/docker.sock"})
			s.Processes[0].Mounts = append(s.Processes[0].Mounts, sock, hostMount(122, "/", "/host", false))
		}, []want{
			{"host-mounts", LayerCRI, Critical, 0, "mounts[/var/run/docker.sock]"},
			{"host-mounts", LayerProcess, Critical, 4242, "mountinfo:/host"},
		}},
		{"declaredFrom cri: the CRI mounts are the declaration", func(t *testing.T, s *Subject) {
			s.DeclaredFrom, s.Declared = expect.OriginCRI, nil
			s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: "/var/run/docker.sock", HostPath: "/var/run/docker.sock"})
			s.Processes[0].Mounts = append(s.Processes[0].Mounts, sock)
		}, nil},
		{"nothing known to compare with: not judged", func(t *testing.T, s *Subject) {
			s.Declared, s.CRI = nil, nil
			s.Processes[0].Mounts = append(s.Processes[0].Mounts, sock)
		}, nil},
		{"Unmasked declared, a process still masked: less privilege", func(t *testing.T, s *Subject) {
			unmaskedDeclared(t, s)
		}, []want{{"proc-mount", LayerProcess, Info, 4242, "mountinfo"}}},
		{"Unmasked declared, the OCI spec masks: less privilege at oci", func(t *testing.T, s *Subject) {
			unmaskedDeclared(t, s)
			s.OCI.Linux.ReadonlyPaths = []string{"/proc/sys"}
		}, []want{{"proc-mount", LayerOCI, Info, 0, "linux.maskedPaths,linux.readonlyPaths"}}},
		{"CRI-O masks its defaults even for Unmasked: not less privilege at oci", func(t *testing.T, s *Subject) {
			unmaskedDeclared(t, s)
			s.Defaults = expect.DefaultsFor("cri-o", "1.34.0")
			s.CRI = nil
			s.OCI.Linux.MaskedPaths = expect.DefaultMaskedPaths()
			s.Processes[0].Mounts = slices.DeleteFunc(s.Processes[0].Mounts, func(m probes.Mount) bool {
				return m.MountPoint == "/proc/sys" || m.ParentID == 74 && m.FSType == "proc"
			})
		}, nil},
		{"CRI-O: no CRI config, the OCI spec judged against the declaration", func(t *testing.T, s *Subject) {
			s.CRI = nil
			s.OCI.Linux.ReadonlyPaths = nil
		}, []want{{"proc-mount", LayerOCI, High, 0, "linux.maskedPaths,linux.readonlyPaths"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good(t)
			tc.mut(t, s)
			expectFindings(t, only(Evaluate(s), "proc-mount", "host-mounts", "privileged"), tc.want...)
		})
	}
}

func TestMaskedPathCandidates(t *testing.T) {
	s := good(t)
	s.OCI.Linux.MaskedPaths = append(s.OCI.Linux.MaskedPaths, "/sys/devices/system/cpu/cpu0/thermal_throttle")
	got := s.MaskedPathCandidates()
	if len(got) != 12+5+1 || !slices.IsSorted(got) || !slices.Contains(got, "/proc/sysrq-trigger") {
		t.Errorf("%v", got)
	}
	if n := len((*Subject)(nil).MaskedPathCandidates()); n != 17 {
		t.Errorf("nil subject: %d paths", n)
	}
}
