package checks

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// privilegedOn is a declared privileged container of runtime d run as
// uid, as that runtime makes it (expect/privileged.go): the CRI config
// says privileged, the OCI spec and the process hold what the runtime
// gives. spec is every capability the runtime asks in its OCI spec; the
// process gets spec cut to d.All() (the runtime's own bounding set).
func privilegedOn(t *testing.T, d expect.RuntimeDefaults, uid uint32, spec probes.CapSet) *Subject {
	t.Helper()
	pod := goodPod()
	pod.Spec.SecurityContext = &corev1.PodSecurityContext{}
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(true), ReadOnlyRootFilesystem: ptr(true)}
	if uid != 0 {
		pod.Spec.SecurityContext.RunAsUser = ptr(int64(uid))
		pod.Spec.SecurityContext.RunAsGroup = ptr(int64(uid))
	}
	e, err := expect.FromPod(pod, "app", d)
	if err != nil {
		t.Fatal(err)
	}
	s := good(t)
	s.Defaults, s.Declared = d, e
	sc := s.CRI.Linux.SecurityContext
	sc.Privileged, sc.NoNewPrivs, sc.Capabilities = true, false, nil
	sc.RunAsUser, sc.RunAsGroup, sc.SupplementalGroups = nil, nil, nil
	if uid != 0 {
		sc.RunAsUser, sc.RunAsGroup = &runtimeapi.Int64Value{Value: int64(uid)}, &runtimeapi.Int64Value{Value: int64(uid)}
	}
	sc.Seccomp.ProfileType = runtimeapi.SecurityProfile_Unconfined
	s.OCI.Process.User = specs.User{UID: uid, GID: uid}
	names := spec.Names()
	s.OCI.Process.Capabilities = &specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names}
	if d.PrivilegedFillsAllSets() {
		s.OCI.Process.Capabilities.Inheritable, s.OCI.Process.Capabilities.Ambient = names, names
	}
	s.OCI.Process.NoNewPrivileges = false
	s.OCI.Linux.Seccomp = nil
	s.OCI.Mounts[1].Options = []string{"nosuid"}
	s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil
	p := s.Processes[0]
	p.UID, p.GID = probes.IDs{uid, uid, uid, uid}, probes.IDs{uid, uid, uid, uid}
	p.Groups = nil
	p.Mounts = unmasked(p.Mounts)
	p.Mounts[1].ReadOnly = false
	p.Seccomp, p.NoNewPrivs = probes.SeccompDisabled, false
	all := spec & d.All()
	p.Caps = probes.Capabilities{Bounding: all}
	if uid == 0 || d.PrivilegedFillsAllSets() {
		p.Caps.Permitted, p.Caps.Effective = all, all
	}
	if d.PrivilegedFillsAllSets() {
		p.Caps.Inheritable, p.Caps.Ambient = all, all
	}
	return s
}

// TestPrivilegedCapabilitiesPerRuntime: a privileged container gives no
// capabilities finding at any layer on either runtime, each filling the
// sets its own way — CRI-O all five (so a non-root user holds them in
// effect) and asking capabilities its bounding set lacks, containerd
// three — and the other runtime's shape is drift.
func TestPrivilegedCapabilitiesPerRuntime(t *testing.T) {
	sysResource := capSet("CAP_SYS_RESOURCE")
	crio := expect.DefaultsFor("cri-o", "1.34.0")
	crio.AllCaps = defaults.AllCaps &^ sysResource // the runtime's bounding set lacks one
	containerd := defaults
	containerd.AllCaps = crio.AllCaps

	for _, uid := range []uint32{0, 1000} {
		// CRI-O asks every capability the kernel knows (cap_last_cap).
		if fs := evalCapabilities(privilegedOn(t, crio, uid, defaults.AllCaps)); len(fs) != 0 {
			t.Errorf("CRI-O, uid %d: %+v, want no capabilities finding", uid, fs)
		}
		if fs := evalCapabilities(privilegedOn(t, containerd, uid, containerd.AllCaps)); len(fs) != 0 {
			t.Errorf("containerd, uid %d: %+v, want no capabilities finding", uid, fs)
		}
		expectFindings(t, Evaluate(privilegedOn(t, crio, uid, defaults.AllCaps)))
	}

	// CRI-O's shape on containerd: ambient capabilities in the spec
	// (inside the bounding set: medium).
	s := privilegedOn(t, crio, 0, containerd.AllCaps)
	s.Defaults = containerd
	expectFindings(t, evalCapabilities(s), want{Capabilities, LayerOCI, Medium, 0, "process.capabilities.ambient"})
	// ... and in the process: CapAmb, CapInh hold capabilities containerd never gives.
	s.OCI.Process.Capabilities.Ambient, s.OCI.Process.Capabilities.Inheritable = nil, nil
	expectFindings(t, evalCapabilities(s), want{Capabilities, LayerProcess, Medium, 4242, "CapAmb"})

	// On CRI-O a privileged spec that asks a capability beyond the
	// runtime's bounding set is no drift; one that lacks an ambient
	// capability is less privilege (info).
	s = privilegedOn(t, crio, 0, defaults.AllCaps)
	s.OCI.Process.Capabilities.Ambient = s.OCI.Process.Capabilities.Ambient[1:]
	expectFindings(t, evalCapabilities(s), want{Capabilities, LayerOCI, Info, 0, "process.capabilities.ambient"})

	// A container that is not privileged gets no ambient set on CRI-O
	// either.
	s = good(t)
	s.Defaults = crio
	s.OCI.Process.Capabilities.Ambient = []string{"CAP_NET_ADMIN"}
	expectFindings(t, evalCapabilities(s), want{Capabilities, LayerOCI, Critical, 0, "process.capabilities.ambient"})
}
