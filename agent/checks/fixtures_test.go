package checks

import (
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
			Containers: []corev1.Container{{
				Name: "app",
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
	return &runtimeapi.ContainerConfig{Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
		RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 3000},
		SupplementalGroups: []int64{2000, 4000},
		NoNewPrivs:         true, ReadonlyRootfs: true,
		Capabilities: &runtimeapi.Capability{DropCapabilities: []string{"ALL"}},
		Seccomp:      &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
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
			MaskedPaths:   []string{"/proc/kcore"},
			ReadonlyPaths: []string{"/proc/sys"},
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
		Mounts: []probes.Mount{
			{MountPoint: "/", ReadOnly: true, FSType: "overlay"},
			{MountPoint: "/sys", ReadOnly: true, FSType: "sysfs"},
		},
	}
}

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
		Host:      hostNS, Defaults: d,
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
