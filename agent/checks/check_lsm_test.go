package checks

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// This kernel has neither AppArmor nor SELinux: these fixtures are
// /proc/<pid>/attr/current as hosts that have them print it.

func withAppArmor(p *corev1.AppArmorProfile, cri *runtimeapi.SecurityProfile, oci, label string) func(*testing.T, *Subject) {
	return func(t *testing.T, s *Subject) {
		s.Declared.AppArmor = p
		s.CRI.Linux.SecurityContext.Apparmor = cri
		s.OCI.Process.ApparmorProfile = oci
		for _, pr := range s.Processes {
			pr.LSMLabel = label
		}
	}
}

var (
	aaDefault   = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
	criAADef    = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}
	aaLocal     = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr("k8s-nginx")}
	criAALocal  = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "localhost/k8s-nginx"}
	seDeclared  = &corev1.SELinuxOptions{Type: "container_t", Level: "s0:c123,c456"}
	seGood      = "system_u:system_r:container_t:s0:c123,c456"
	criSEGood   = &runtimeapi.SELinuxOption{User: "system_u", Role: "system_r", Type: "container_t", Level: "s0:c123,c456"}
	defaultProf = "cri-containerd.apparmor.d"
)

func withSELinux(o *corev1.SELinuxOptions, cri *runtimeapi.SELinuxOption, oci, label string) func(*testing.T, *Subject) {
	return func(t *testing.T, s *Subject) {
		s.Declared.SELinux = o
		s.CRI.Linux.SecurityContext.SelinuxOptions = cri
		s.OCI.Process.SelinuxLabel = oci
		for _, pr := range s.Processes {
			pr.LSMLabel = label
		}
	}
}

func init() {
	fixtures[AppArmor] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "nothing declared"},
			{name: "RuntimeDefault enforced", mut: withAppArmor(aaDefault, criAADef, defaultProf, defaultProf+" (enforce)")},
			{name: "a Localhost profile enforced", mut: withAppArmor(aaLocal, criAALocal, "k8s-nginx", "k8s-nginx (enforce)")},
			{name: "Unconfined declared, unconfined", mut: withAppArmor(&corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}, &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, "", "unconfined")},
		},
		fail: []fixture{
			{name: "no AppArmor on this host: info, never more", mut: withAppArmor(aaDefault, criAADef, defaultProf, ""), layer: LayerProcess, severity: Info, pid: 4242},
			{name: "an SELinux host: AppArmor not available", mut: withAppArmor(aaDefault, criAADef, defaultProf, seGood), layer: LayerProcess, severity: Info, pid: 4242},
			{name: "the CRI config lost the profile", mut: withAppArmor(aaLocal, &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, "", "unconfined"), layer: LayerCRI, severity: High},
			{name: "the OCI spec has none", mut: withAppArmor(aaDefault, criAADef, "", "unconfined"), layer: LayerOCI, severity: High},
			{name: "a process unconfined (an exec with another profile)", mut: withAppArmor(aaLocal, criAALocal, "k8s-nginx", "unconfined"), layer: LayerProcess, severity: High, pid: 4242},
			{name: "complain mode", mut: withAppArmor(aaLocal, criAALocal, "k8s-nginx", "k8s-nginx (complain)"), layer: LayerProcess, severity: High, pid: 4242},
		},
	}
	fixtures[SELinux] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "nothing declared"},
			{name: "type and level as declared", mut: withSELinux(seDeclared, criSEGood, seGood, seGood)},
		},
		fail: []fixture{
			{name: "no SELinux on this host: info, never more", mut: withSELinux(seDeclared, criSEGood, seGood, ""), layer: LayerProcess, severity: Info, pid: 4242},
			{name: "an AppArmor host: SELinux not available", mut: withSELinux(seDeclared, criSEGood, seGood, defaultProf+" (enforce)"), layer: LayerProcess, severity: Info, pid: 4242},
			{name: "the CRI config has another level", mut: withSELinux(seDeclared, &runtimeapi.SELinuxOption{Type: "container_t", Level: "s0:c1,c2"}, "", seGood), layer: LayerCRI, severity: High},
			{name: "the OCI spec has spc_t", mut: withSELinux(seDeclared, criSEGood, "system_u:system_r:spc_t:s0", seGood), layer: LayerOCI, severity: High},
			{name: "a process unconfined", mut: withSELinux(seDeclared, criSEGood, seGood, "unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"), layer: LayerProcess, severity: High, pid: 4242},
			{name: "another role", mut: withSELinux(&corev1.SELinuxOptions{Role: "system_r"}, nil, "", "system_u:object_r:container_t:s0"), layer: LayerProcess, severity: Medium, pid: 4242},
		},
	}
}
