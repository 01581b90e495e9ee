package checks

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

func ptr[T any](v T) *T { return &v }

func capSet(names ...string) probes.CapSet {
	s, unknown := probes.ParseCapNames(names)
	if len(unknown) > 0 {
		panic(unknown)
	}
	return s
}

var defaults = expect.DefaultsFor("containerd", "v2.4.2")

// Host namespace inodes, and the container's own.
var (
	hostNS = probes.Namespaces{probes.NSNet: 10, probes.NSPID: 11, probes.NSIPC: 12, probes.NSUser: 13, probes.NSMnt: 14}
	podNS  = probes.Namespaces{probes.NSNet: 20, probes.NSPID: 21, probes.NSIPC: 22, probes.NSUser: 13, probes.NSMnt: 24}
)

// goodPod is a hardened pod: non-root 1000:3000, fsGroup 2000,
// supplementalGroups 4000, no capabilities, no_new_privs, read-only root,
// RuntimeDefault seccomp.
func goodPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "prod", UID: "u1"},
		Spec: corev1.PodSpec{
			SecurityContext: &corev1.PodSecurityContext{
				RunAsUser: ptr[int64](1000), RunAsGroup: ptr[int64](3000), RunAsNonRoot: ptr(true),
				FSGroup: ptr[int64](2000), SupplementalGroups: []int64{4000},
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Volumes: []corev1.Volume{{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}},
			Containers: []corev1.Container{{
				Name:         "app",
				VolumeMounts: []corev1.VolumeMount{{Name: "kube-api-access-x", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
					Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
}

// goodCRI is the CRI config the kubelet sends for goodPod.
func goodCRI() *runtimeapi.ContainerConfig {
	return &runtimeapi.ContainerConfig{Mounts: []*runtimeapi.Mount{
		{ContainerPath: "/var/run/secrets/kubernetes.io/serviceaccount", HostPath: "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x", Readonly: true},
		{ContainerPath: "/etc/hosts", HostPath: "/var/lib/kubelet/pods/u1/etc-hosts"},
		{ContainerPath: "/dev/termination-log", HostPath: "/var/lib/kubelet/pods/u1/containers/app/0f1"},
	}, Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
		RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 3000},
		SupplementalGroups: []int64{2000, 4000},
		NoNewPrivs:         true, ReadonlyRootfs: true,
		Capabilities: &runtimeapi.Capability{DropCapabilities: []string{"ALL"}},
		Seccomp:      &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
		MaskedPaths:  expect.DefaultMaskedPaths(), ReadonlyPaths: expect.DefaultReadonlyPaths(),
		NamespaceOptions: &runtimeapi.NamespaceOption{
			Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_CONTAINER, Ipc: runtimeapi.NamespaceMode_POD,
		},
	}}}
}

// goodOCI is the OCI spec containerd generates from goodCRI.
func goodOCI() *specs.Spec {
	return &specs.Spec{
		Process: &specs.Process{
			User:            specs.User{UID: 1000, GID: 3000, AdditionalGids: []uint32{2000, 4000}},
			NoNewPrivileges: true,
			Capabilities:    &specs.LinuxCapabilities{},
		},
		Root: &specs.Root{Path: "rootfs", Readonly: true},
		Mounts: []specs.Mount{
			{Destination: "/proc", Type: "proc"},
			{Destination: "/sys", Type: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
			{Destination: "/etc/hosts", Type: "bind", Source: "/var/lib/kubelet/pods/u1/etc-hosts", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/dev/termination-log", Type: "bind", Source: "/var/lib/kubelet/pods/u1/containers/app/0f1", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/etc/hostname", Type: "bind", Source: "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5ad/hostname", Options: []string{"rbind", "rprivate", "ro"}},
			{Destination: "/etc/resolv.conf", Type: "bind", Source: "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5ad/resolv.conf", Options: []string{"rbind", "rprivate", "ro"}},
			{Destination: "/dev/shm", Type: "bind", Source: "/run/containerd/io.containerd.grpc.v1.cri/sandboxes/5ad/shm", Options: []string{"rbind", "rprivate", "rw"}},
			{Destination: "/var/run/secrets/kubernetes.io/serviceaccount", Type: "bind", Source: "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x", Options: []string{"rbind", "rprivate", "ro"}},
		},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace},
				{Type: specs.IPCNamespace, Path: "/proc/100/ns/ipc"},
				{Type: specs.UTSNamespace, Path: "/proc/100/ns/uts"},
				{Type: specs.MountNamespace},
				{Type: specs.NetworkNamespace, Path: "/proc/100/ns/net"},
			},
			Seccomp:       &specs.LinuxSeccomp{DefaultAction: specs.ActErrno},
			MaskedPaths:   expect.DefaultMaskedPaths(),
			ReadonlyPaths: expect.DefaultReadonlyPaths(),
		},
	}
}

// proc is a process of goodPod's container as /proc shows it.
func proc(pid int, comm string) *probes.Process {
	return &probes.Process{
		PID: pid, Comm: comm,
		UID:        probes.IDs{1000, 1000, 1000, 1000},
		GID:        probes.IDs{3000, 3000, 3000, 3000},
		Groups:     []uint32{2000, 4000},
		NoNewPrivs: true,
		Seccomp:    probes.SeccompFilter, SeccompFilters: 1,
		Namespaces: cloneNS(podNS),
		Root:       probes.Mount{MountPoint: "/", ReadOnly: true, FSType: "overlay"},
		Mounts:     containerMounts(),
	}
}

// containerMounts is the mount table of a container of containerd v2.4.2
// and runc (probes/testdata/proc/100/mountinfo) with a read-only root: /
// at [0] and /sys at [1]. On this kernel runc masked /proc/acpi,
// /proc/keys, /proc/timer_list and /sys/firmware (the others do not exist)
// and made /proc/bus, /proc/fs, /proc/irq and /proc/sys read-only.
func containerMounts() []probes.Mount {
	ro := func(id, parent int, root, point, fsType, source string) probes.Mount {
		return probes.Mount{ID: id, ParentID: parent, Root: root, MountPoint: point, FSType: fsType, Source: source, ReadOnly: true,
			Options: []string{"ro"}, SuperOptions: []string{"rw"}}
	}
	rw := func(id, parent int, root, point, fsType, source string) probes.Mount {
		m := ro(id, parent, root, point, fsType, source)
		m.ReadOnly, m.Options = false, []string{"rw"}
		return m
	}
	return []probes.Mount{
		ro(73, 48, "/", "/", "overlay", "overlay"),
		ro(79, 73, "/", "/sys", "sysfs", "sysfs"),
		rw(74, 73, "/", "/proc", "proc", "proc"),
		rw(75, 73, "/", "/dev", "tmpfs", "tmpfs"),
		rw(76, 75, "/", "/dev/pts", "devpts", "devpts"),
		rw(77, 75, "/", "/dev/shm", "tmpfs", "shm"),
		rw(78, 75, "/", "/dev/mqueue", "mqueue", "mqueue"),
		ro(80, 77, "/", "/dev/shm", "tmpfs", "shm"),
		rw(101, 79, "/", "/sys/fs/cgroup", "tmpfs", "tmpfs"),
		ro(102, 101, "/k8s.io/c0ffee", "/sys/fs/cgroup/cpu", "cgroup", "cgroup"),
		ro(81, 73, "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5ad/resolv.conf", "/etc/resolv.conf", "ext4", "/dev/vda"),
		ro(82, 73, "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/5ad/hostname", "/etc/hostname", "ext4", "/dev/vda"),
		ro(83, 73, "/var/lib/kubelet/pods/u1/etc-hosts", "/etc/hosts", "ext4", "/dev/vda"),
		rw(84, 73, "/var/lib/kubelet/pods/u1/containers/app/0f1", "/dev/termination-log", "ext4", "/dev/vda"),
		ro(85, 73, "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~projected/kube-api-access-x", "/var/run/secrets/kubernetes.io/serviceaccount", "tmpfs", "tmpfs"),
		ro(49, 74, "/bus", "/proc/bus", "proc", "proc"),
		ro(50, 74, "/fs", "/proc/fs", "proc", "proc"),
		ro(51, 74, "/irq", "/proc/irq", "proc", "proc"),
		ro(52, 74, "/sys", "/proc/sys", "proc", "proc"),
		ro(53, 74, "/", "/proc/acpi", "tmpfs", "tmpfs"),
		rw(54, 74, "/null", "/proc/keys", "tmpfs", "tmpfs"),
		rw(55, 74, "/null", "/proc/timer_list", "tmpfs", "tmpfs"),
		ro(56, 79, "/", "/sys/firmware", "tmpfs", "tmpfs"),
	}
}

// hostRoot is the host's "/" as PID 1 sees it: the filesystem of the
// container's /etc/resolv.conf and /etc/hosts.
var hostRoot = probes.Mount{ID: 27, ParentID: 1, Root: "/", MountPoint: "/", FSType: "ext4", Source: "/dev/vda", Options: []string{"rw"}, SuperOptions: []string{"rw"}}

// asRoot makes a process root with the given capabilities in every set
// but ambient.
func asRoot(p *probes.Process, caps probes.CapSet) *probes.Process {
	p.UID, p.GID = probes.IDs{}, probes.IDs{}
	p.Caps = probes.Capabilities{Permitted: caps, Effective: caps, Bounding: caps}
	return p
}

func cloneNS(ns probes.Namespaces) probes.Namespaces {
	out := probes.Namespaces{}
	for k, v := range ns {
		out[k] = v
	}
	return out
}

// good is a consistent subject: Evaluate must find nothing in it.
func good(t *testing.T) *Subject {
	t.Helper()
	return fromPod(t, goodPod())
}

// fromPod builds a subject declared by pod, whose CRI config and OCI
// spec are goodCRI and goodOCI (mutate them to match pod when needed).
func fromPod(t *testing.T, pod *corev1.Pod) *Subject {
	t.Helper()
	d := defaults
	e, err := expect.FromPod(pod, "app", d)
	if err != nil {
		t.Fatal(err)
	}
	return &Subject{
		Namespace: "prod", Pod: "web", Container: "app", ContainerID: "c0ffee",
		DeclaredFrom: "manifest", Declared: e,
		CRI: goodCRI(), OCI: goodOCI(),
		Processes: []*probes.Process{proc(4242, "app")},
		Host:      hostNS, Defaults: d, HostRoot: hostRoot,
	}
}

// redeclare re-derives Declared after the test changed the pod.
func redeclare(t *testing.T, s *Subject, pod *corev1.Pod) {
	t.Helper()
	e, err := expect.FromPod(pod, "app", s.Defaults)
	if err != nil {
		t.Fatal(err)
	}
	s.Declared = e
}

// BenchmarkEvaluate judges the good subject with four processes sharing
// one mount table, as the processes of a container share it in a scan.
func BenchmarkEvaluate(b *testing.B) {
	t := &testing.T{}
	s := good(t)
	p := s.Processes[0]
	for i := range 3 {
		q := *p
		q.PID = p.PID + 1 + i
		s.Processes = append(s.Processes, &q)
	}
	if fs := Evaluate(s); len(fs) != 0 {
		b.Fatalf("the good subject has findings: %v", fs)
	}
	b.ReportAllocs()
	for b.Loop() {
		Evaluate(s)
	}
}

// TestEvaluateSharesVisibleMounts: the visible mounts are computed once
// per mount table during Evaluate and forgotten after it.
func TestEvaluateSharesVisibleMounts(t *testing.T) {
	s := good(t)
	ms := s.Processes[0].Mounts
	if len(ms) == 0 {
		t.Fatal("the good subject's process has no mounts")
	}
	s.visible = map[mountTable]map[string]probes.Mount{}
	a, b := s.visibleMountsOf(ms), s.visibleMountsOf(ms)
	if reflect.ValueOf(a).UnsafePointer() != reflect.ValueOf(b).UnsafePointer() || len(s.visible) != 1 {
		t.Errorf("one mount table computed %d times", len(s.visible))
	}
	if !reflect.DeepEqual(a, visibleMounts(ms)) {
		t.Error("the memoised visible mounts differ")
	}
	s.visible = nil
	Evaluate(s)
	if s.visible != nil || s.fromCRI != nil {
		t.Error("the memo outlives Evaluate")
	}
}

// TestEvaluateSharesCRIExpectation: within Evaluate the CRI config's
// expectation is computed once and judged the same as without the memo.
func TestEvaluateSharesCRIExpectation(t *testing.T) {
	s := good(t)
	if s.CRI == nil {
		t.Fatal("the good subject has no CRI config")
	}
	if a, b := s.criExpectation(), s.criExpectation(); a == b {
		t.Error("outside Evaluate the expectation was memoised")
	}
	s.visible = map[mountTable]map[string]probes.Mount{}
	if a, b := s.criExpectation(), s.criExpectation(); a != b || !reflect.DeepEqual(a, expect.FromCRI(s.CRI, s.SandboxNamespaces, s.Defaults)) {
		t.Error("within Evaluate the expectation was not computed once, or differs")
	}
	s.visible, s.fromCRI = nil, nil
}
