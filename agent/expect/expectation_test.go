package expect

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/probes"
)

func ptr[T any](v T) *T { return &v }

func caps(t *testing.T, names ...string) probes.CapSet {
	t.Helper()
	s, unknown := probes.ParseCapNames(names)
	if len(unknown) > 0 {
		t.Fatalf("unknown caps %v", unknown)
	}
	return s
}

// pod builds a one-container pod named "c".
func pod(psc *corev1.PodSecurityContext, csc *corev1.SecurityContext) *corev1.Pod {
	p := &corev1.Pod{}
	p.Name, p.Namespace = "p", "ns"
	p.Spec.SecurityContext = psc
	p.Spec.Containers = []corev1.Container{{Name: "c", SecurityContext: csc}}
	return p
}

func TestDefaultsFor(t *testing.T) {
	for _, tc := range []struct {
		name, version string
		want          probes.CapSet
	}{
		{"containerd", "v1.6.20", 0xa80425fb},
		{"containerd", "v2.4.2", 0xa80425fb},
		{"cri-o", "1.34.0", 0x5fb},
		{"cri-o", "1.18.0", 0x5fb},
		{"cri-o", "1.17.4", 0x5fb | 1<<13 | 1<<18}, // + NET_RAW, SYS_CHROOT
		{"something", "", 0xa80425fb},
	} {
		d := DefaultsFor(tc.name, tc.version)
		got, unknown := d.DefaultCaps()
		if got != tc.want || len(unknown) > 0 {
			t.Errorf("DefaultsFor(%q, %q) = %#x (unknown %v), want %#x", tc.name, tc.version, uint64(got), unknown, uint64(tc.want))
		}
		if d.AllCaps&got != got {
			t.Errorf("AllCaps %#x does not contain the defaults", uint64(d.AllCaps))
		}
	}
	// The override is a plain field: a typo in it is reported.
	d := DefaultsFor("containerd", "2.0")
	d.Capabilities = []string{"CHOWN", "NET_ADMN"}
	if _, unknown := d.DefaultCaps(); len(unknown) != 1 {
		t.Errorf("unknown = %v, want the typo", unknown)
	}
}

func TestResolveCaps(t *testing.T) {
	d := DefaultsFor("containerd", "2.4.2")
	def, _ := d.DefaultCaps()
	all := d.AllCaps
	for _, tc := range []struct {
		name       string
		add, drop  []string
		privileged bool
		want       probes.CapSet
	}{
		{"defaults", nil, nil, false, def},
		{"add one", []string{"NET_ADMIN"}, nil, false, def | caps(t, "NET_ADMIN")},
		{"lower case", []string{"net_admin"}, []string{"chown"}, false, (def | caps(t, "NET_ADMIN")) &^ caps(t, "CHOWN")},
		{"drop ALL add one", []string{"NET_BIND_SERVICE"}, []string{"ALL"}, false, caps(t, "NET_BIND_SERVICE")},
		{"add ALL drop one", []string{"ALL"}, []string{"CHOWN"}, false, all &^ caps(t, "CHOWN")},
		{"add ALL drop ALL", []string{"ALL"}, []string{"all"}, false, 0},
		{"drop wins over add", []string{"NET_RAW"}, []string{"NET_RAW"}, false, def &^ caps(t, "NET_RAW")},
		{"privileged ignores drop", nil, []string{"ALL"}, true, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, unknown := ResolveCaps(d, tc.add, tc.drop, tc.privileged)
			if got != tc.want || len(unknown) > 0 {
				t.Errorf("got %v (unknown %v), want %v", got, unknown, tc.want)
			}
		})
	}
	// containerd prefixes CAP_ whatever the name holds: CAP_CAP_NET_ADMIN
	// and CAP_CAP_NET_RAW are unknown to runc, which ignores them (kernel:
	// CapEff 0xa80425fb, neither added nor dropped, on 1.6.20 and 2.4.2).
	// CRI-O adds the prefix only when it is missing.
	got, unknown := ResolveCaps(d, []string{"cap_net_admin"}, []string{"CAP_NET_RAW"}, false)
	if got != def || len(unknown) != 2 || !strings.Contains(unknown[0], "CAP_CAP_NET_ADMIN") {
		t.Errorf("containerd, CAP_-prefixed names: got %v (unknown %q), want the defaults and both names reported", got, unknown)
	}
	crio := DefaultsFor("cri-o", "1.34.0")
	crioDef, _ := crio.DefaultCaps()
	if got, unknown := ResolveCaps(crio, []string{"CAP_NET_ADMIN"}, []string{"CAP_CHOWN"}, false); got != (crioDef|caps(t, "NET_ADMIN"))&^caps(t, "CHOWN") || len(unknown) > 0 {
		t.Errorf("CRI-O, CAP_-prefixed names: got %v (unknown %q)", got, unknown)
	}
	if _, unknown := ResolveCaps(d, []string{"NET_ADMN"}, nil, false); len(unknown) != 1 {
		t.Errorf("a misspelt capability must be reported, got %v", unknown)
	}
}

func TestFromPod(t *testing.T) {
	d := DefaultsFor("containerd", "2.4.2")
	def, _ := d.DefaultCaps()
	for _, tc := range []struct {
		name  string
		pod   *corev1.Pod
		d     func(*RuntimeDefaults)
		check func(t *testing.T, e *Expectation)
	}{
		{"container runAsUser overrides pod, runAsGroup inherited",
			pod(&corev1.PodSecurityContext{RunAsUser: ptr[int64](1000), RunAsGroup: ptr[int64](3000)},
				&corev1.SecurityContext{RunAsUser: ptr[int64](2000)}), nil,
			func(t *testing.T, e *Expectation) {
				if *e.UID != 2000 || *e.GID != 3000 {
					t.Errorf("uid %d gid %d, want 2000 3000", *e.UID, *e.GID)
				}
			}},
		{"unset user follows lower layers", pod(nil, nil), nil,
			func(t *testing.T, e *Expectation) {
				if e.UID != nil || e.GID != nil {
					t.Errorf("uid %v gid %v, want unknown", e.UID, e.GID)
				}
			}},
		{"pod runAsNonRoot, container can turn it off",
			pod(&corev1.PodSecurityContext{RunAsNonRoot: ptr(true)}, &corev1.SecurityContext{RunAsNonRoot: ptr(false)}), nil,
			func(t *testing.T, e *Expectation) {
				if e.NonRoot {
					t.Error("container runAsNonRoot: false must win")
				}
			}},
		{"pod runAsNonRoot applies", pod(&corev1.PodSecurityContext{RunAsNonRoot: ptr(true)}, nil), nil,
			func(t *testing.T, e *Expectation) {
				if !e.NonRoot {
					t.Error("want NonRoot")
				}
			}},
		{"default capabilities", pod(nil, nil), nil,
			func(t *testing.T, e *Expectation) {
				if e.Caps != def {
					t.Errorf("caps %v, want %v", e.Caps, def)
				}
			}},
		{"cri-o default capabilities", pod(nil, nil), func(d *RuntimeDefaults) { *d = DefaultsFor("cri-o", "1.34.0") },
			func(t *testing.T, e *Expectation) {
				if e.Caps != 0x5fb {
					t.Errorf("caps %#x, want 0x5fb", uint64(e.Caps))
				}
			}},
		{"drop ALL add NET_BIND_SERVICE",
			pod(nil, &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"ALL"}}}), nil,
			func(t *testing.T, e *Expectation) {
				if e.Caps != caps(t, "NET_BIND_SERVICE") {
					t.Errorf("caps %v", e.Caps)
				}
			}},
		{"privileged: all caps, no seccomp even if asked",
			pod(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				&corev1.SecurityContext{Privileged: ptr(true), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}), nil,
			func(t *testing.T, e *Expectation) {
				if !e.Privileged || e.Caps != d.AllCaps || e.SeccompMode() != probes.SeccompDisabled {
					t.Errorf("privileged %v caps %v seccomp %v", e.Privileged, e.Caps, e.SeccompMode())
				}
				if e.Seccomp.Type != SeccompRuntimeDefault {
					t.Errorf("the kubelet still sends RuntimeDefault, got %v", e.Seccomp.Type)
				}
			}},
		{"allowPrivilegeEscalation false sets no_new_privs",
			pod(nil, &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false)}), nil,
			func(t *testing.T, e *Expectation) {
				if e.NoNewPrivs == nil || !*e.NoNewPrivs || len(e.Problems) > 0 {
					t.Errorf("NoNewPrivs %v problems %v", e.NoNewPrivs, e.Problems)
				}
			}},
		{"allowPrivilegeEscalation unset or true asserts nothing",
			pod(nil, &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(true)}), nil,
			func(t *testing.T, e *Expectation) {
				if e.NoNewPrivs != nil {
					t.Errorf("NoNewPrivs %v, want nil", *e.NoNewPrivs)
				}
			}},
		{"allowPrivilegeEscalation false with CAP_SYS_ADMIN is a problem",
			pod(nil, &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_ADMIN"}}}), nil,
			func(t *testing.T, e *Expectation) {
				if len(e.Problems) != 1 || !strings.Contains(e.Problems[0], "CAP_SYS_ADMIN") {
					t.Errorf("problems %v", e.Problems)
				}
			}},
		{"allowPrivilegeEscalation false with privileged is a problem",
			pod(nil, &corev1.SecurityContext{AllowPrivilegeEscalation: ptr(false), Privileged: ptr(true)}), nil,
			func(t *testing.T, e *Expectation) {
				if len(e.Problems) != 1 || !strings.Contains(e.Problems[0], "privileged") {
					t.Errorf("problems %v", e.Problems)
				}
			}},
		{"host namespaces", func() *corev1.Pod {
			p := pod(nil, nil)
			p.Spec.HostNetwork, p.Spec.HostPID, p.Spec.HostIPC = true, true, false
			return p
		}(), nil,
			func(t *testing.T, e *Expectation) {
				if !e.HostNetwork || !e.HostPID || e.HostIPC || !e.HostUsers {
					t.Errorf("net %v pid %v ipc %v users %v", e.HostNetwork, e.HostPID, e.HostIPC, e.HostUsers)
				}
			}},
		{"hostUsers false", func() *corev1.Pod { p := pod(nil, nil); p.Spec.HostUsers = ptr(false); return p }(), nil,
			func(t *testing.T, e *Expectation) {
				if e.HostUsers {
					t.Error("want a user namespace")
				}
			}},
		{"readOnlyRootFilesystem", pod(nil, &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr(true)}), nil,
			func(t *testing.T, e *Expectation) {
				if !e.ReadOnlyRoot {
					t.Error("want ReadOnlyRoot")
				}
			}},
		{"fsGroup and supplementalGroups, Merge by default",
			pod(&corev1.PodSecurityContext{FSGroup: ptr[int64](2000), SupplementalGroups: []int64{5, 2000, 4}}, nil), nil,
			func(t *testing.T, e *Expectation) {
				if diff := cmp.Diff([]int64{4, 5, 2000}, e.Groups); diff != "" || e.GroupsPolicy != GroupsMerge {
					t.Errorf("groups (-want +got) %s, policy %v", diff, e.GroupsPolicy)
				}
			}},
		{"supplementalGroupsPolicy Strict",
			pod(&corev1.PodSecurityContext{SupplementalGroupsPolicy: ptr(corev1.SupplementalGroupsPolicyStrict)}, nil), nil,
			func(t *testing.T, e *Expectation) {
				if e.GroupsPolicy != GroupsStrict {
					t.Errorf("policy %v", e.GroupsPolicy)
				}
			}},
		{"seccomp: container over pod",
			pod(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
				&corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}}), nil,
			func(t *testing.T, e *Expectation) {
				if e.Seccomp.Type != SeccompUnconfined || e.SeccompMode() != probes.SeccompDisabled {
					t.Errorf("seccomp %v mode %v", e.Seccomp, e.SeccompMode())
				}
			}},
		{"seccomp: pod Localhost", pod(&corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr("prof.json")}}, nil), nil,
			func(t *testing.T, e *Expectation) {
				if e.Seccomp != (SeccompProfile{SeccompLocalhost, "prof.json"}) || e.SeccompMode() != probes.SeccompFilter {
					t.Errorf("seccomp %v mode %v", e.Seccomp, e.SeccompMode())
				}
			}},
		{"seccomp: unset, seccompDefault off", pod(nil, nil), nil,
			func(t *testing.T, e *Expectation) {
				if e.Seccomp.Type != SeccompUnconfined {
					t.Errorf("seccomp %v", e.Seccomp)
				}
			}},
		{"seccomp: unset, seccompDefault on", pod(nil, nil), func(d *RuntimeDefaults) { d.SeccompDefault = true },
			func(t *testing.T, e *Expectation) {
				if e.Seccomp.Type != SeccompRuntimeDefault || e.SeccompMode() != probes.SeccompFilter {
					t.Errorf("seccomp %v", e.Seccomp)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := d
			if tc.d != nil {
				tc.d(&d)
			}
			e, err := FromPod(tc.pod, "c", d)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, e)
		})
	}
}

func TestFromPodContainerKinds(t *testing.T) {
	p := pod(&corev1.PodSecurityContext{RunAsUser: ptr[int64](1000)}, nil)
	p.Spec.InitContainers = []corev1.Container{
		{Name: "init"},
		{Name: "sidecar", RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways), SecurityContext: &corev1.SecurityContext{RunAsUser: ptr[int64](7)}},
	}
	p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}},
	}}}
	d := DefaultsFor("containerd", "2")
	for name, wantUID := range map[string]int64{"c": 1000, "init": 1000, "sidecar": 7, "debug": 1000} {
		e, err := FromPod(p, name, d)
		if err != nil {
			t.Fatal(err)
		}
		if *e.UID != wantUID {
			t.Errorf("%s: uid %d, want %d", name, *e.UID, wantUID)
		}
	}
	e, _ := FromPod(p, "debug", d)
	if !e.Caps.Has(19) { // CAP_SYS_PTRACE
		t.Errorf("ephemeral caps %v lack SYS_PTRACE", e.Caps)
	}
	if _, kind, _ := FindContainer(p, "debug"); kind != Ephemeral {
		t.Errorf("kind %v", kind)
	}
	if _, err := FromPod(p, "nope", d); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := FromPod(nil, "c", d); err == nil {
		t.Error("nil pod must be an error, not a panic")
	}
}

func TestProcessCaps(t *testing.T) {
	d := DefaultsFor("containerd", "2")
	e, _ := FromPod(pod(nil, &corev1.SecurityContext{RunAsUser: ptr[int64](1000), Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}}), "c", d)
	root, user := ProcessCapsOf(e.Caps, true), ProcessCapsOf(e.Caps, false)
	if root.Bounding != e.Caps || root.Effective != e.Caps || root.Permitted != e.Caps {
		t.Errorf("root %+v", root)
	}
	if user.Bounding != e.Caps || user.Effective != 0 || user.Permitted != 0 || user.Ambient != 0 {
		t.Errorf("non-root %+v: added caps must land only in the bounding set", user)
	}
}

// TestFromCRIMatchesFromPod builds the CRI config the kubelet would send for
// a pod and checks both derivations agree: that is what makes a CRI-layer
// comparison meaningful.
func TestFromCRIMatchesFromPod(t *testing.T) {
	d := DefaultsFor("containerd", "2")
	p := pod(&corev1.PodSecurityContext{RunAsUser: ptr[int64](1000), FSGroup: ptr[int64](2000), SupplementalGroups: []int64{3000},
		SupplementalGroupsPolicy: ptr(corev1.SupplementalGroupsPolicyStrict)},
		&corev1.SecurityContext{RunAsGroup: ptr[int64](1000), AllowPrivilegeEscalation: ptr(false), ReadOnlyRootFilesystem: ptr(true),
			Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: []corev1.Capability{"NET_BIND_SERVICE"}},
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}})
	p.Spec.HostNetwork = true
	p.Spec.HostUsers = ptr(false)
	p.Spec.Volumes = []corev1.Volume{{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/run/app"}}}}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "sock", MountPath: "/run/app/", SubPath: "app.sock", ReadOnly: true}}
	cfg := &runtimeapi.ContainerConfig{Mounts: []*runtimeapi.Mount{{ContainerPath: "/run/app", HostPath: "/run/app/app.sock", Readonly: true}}, Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
		RunAsUser: &runtimeapi.Int64Value{Value: 1000}, RunAsGroup: &runtimeapi.Int64Value{Value: 1000},
		SupplementalGroups: []int64{2000, 3000}, SupplementalGroupsPolicy: runtimeapi.SupplementalGroupsPolicy_Strict,
		NoNewPrivs: true, ReadonlyRootfs: true,
		Capabilities: &runtimeapi.Capability{DropCapabilities: []string{"ALL"}, AddCapabilities: []string{"NET_BIND_SERVICE"}},
		Seccomp:      &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
		MaskedPaths:  DefaultMaskedPaths(), ReadonlyPaths: DefaultReadonlyPaths(),
		NamespaceOptions: &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_NODE, Pid: runtimeapi.NamespaceMode_CONTAINER,
			UsernsOptions: &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD}},
	}}}
	want, err := FromPod(p, "c", d)
	if err != nil {
		t.Fatal(err)
	}
	want.Kind = "" // the CRI config does not say which list the container came from
	got := FromCRI(cfg, nil, d)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromCRI differs from FromPod (-pod +cri):\n%s", diff)
	}
	// Sandbox options stand in when the container config has none.
	cfg.Linux.SecurityContext.NamespaceOptions = nil
	got = FromCRI(cfg, &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_NODE}, d)
	if !got.HostPID || got.HostNetwork {
		t.Errorf("sandbox namespace options ignored: %+v", got)
	}
	// The deprecated seccomp path, and a nil config.
	cfg.Linux.SecurityContext.Seccomp = nil
	//lint:ignore SA1019 the deprecated field older kubelets send
	cfg.Linux.SecurityContext.SeccompProfilePath = "localhost/x.json"
	if s := FromCRI(cfg, nil, d).Seccomp; s != (SeccompProfile{SeccompLocalhost, "x.json"}) {
		t.Errorf("seccomp path: %v", s)
	}
	if e := FromCRI(nil, nil, d); e.UID != nil || e.Privileged || !e.HostUsers {
		t.Errorf("nil config: %+v", e)
	}
}

func TestProcMountAndMounts(t *testing.T) {
	d := DefaultsFor("containerd", "2")
	unmasked := corev1.UnmaskedProcMount
	for _, tc := range []struct {
		name         string
		sc           *corev1.SecurityContext
		hostUsers    *bool
		want         ProcMountType
		masked, ro   int
		wantProblems int
	}{
		{"unset is Default", nil, nil, ProcMountDefault, 12, 5, 0},
		{"privileged still sends the lists", &corev1.SecurityContext{Privileged: ptr(true)}, nil, ProcMountDefault, 12, 5, 0},
		{"Unmasked with a user namespace", &corev1.SecurityContext{ProcMount: &unmasked}, ptr(false), ProcMountUnmasked, 0, 0, 0},
		{"Unmasked with host users is a problem", &corev1.SecurityContext{ProcMount: &unmasked}, nil, ProcMountUnmasked, 0, 0, 1},
	} {
		p := pod(nil, tc.sc)
		p.Spec.HostUsers = tc.hostUsers
		e, err := FromPod(p, "c", d)
		if err != nil {
			t.Fatal(err)
		}
		if e.ProcMount != tc.want || len(e.MaskedPaths) != tc.masked || len(e.ReadonlyPaths) != tc.ro || len(e.Problems) != tc.wantProblems {
			t.Errorf("%s: got %s, %d masked, %d readonly, problems %v", tc.name, e.ProcMount, len(e.MaskedPaths), len(e.ReadonlyPaths), e.Problems)
		}
	}
	// FromCRI: lists as received; none at all reads as Unmasked.
	e := FromCRI(&runtimeapi.ContainerConfig{}, nil, d)
	if e.ProcMount != ProcMountUnmasked {
		t.Errorf("empty CRI lists: %s", e.ProcMount)
	}
	e = FromCRI(&runtimeapi.ContainerConfig{Linux: &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{ReadonlyPaths: []string{"/proc/sys"}}}}, nil, d)
	if e.ProcMount != ProcMountDefault || len(e.ReadonlyPaths) != 1 {
		t.Errorf("CRI lists: %+v", e)
	}
	// DefaultMaskedPaths returns a copy.
	DefaultMaskedPaths()[0] = "x"
	if DefaultMaskedPaths()[0] == "x" {
		t.Error("DefaultMaskedPaths shares its backing array")
	}

	// Mounts: hostPath volumes carry their path (joined with subPath),
	// other volumes none.
	p := pod(nil, nil)
	p.Spec.Volumes = []corev1.Volume{
		{Name: "sock", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/run/containerd"}}},
		{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{
		{Name: "sock", MountPath: "/run/containerd/containerd.sock", SubPath: "containerd.sock"},
		{Name: "cache", MountPath: "/cache/", ReadOnly: true},
	}
	e, _ = FromPod(p, "c", d)
	want := []Mount{{ContainerPath: "/run/containerd/containerd.sock", HostPath: "/run/containerd/containerd.sock"}, {ContainerPath: "/cache", ReadOnly: true}}
	if diff := cmp.Diff(want, e.Mounts); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	if m, ok := e.MountAt("/cache/"); !ok || !m.ReadOnly {
		t.Errorf("MountAt(/cache/) = %+v, %v", m, ok)
	}
	if _, ok := e.MountAt("/nope"); ok {
		t.Error("MountAt found a mount that is not declared")
	}
}
