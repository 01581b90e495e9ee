package checks

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// apparmor: securityContext.appArmorProfile (container, else pod) → CRI
// linux.security_context.apparmor (or the older apparmor_profile string)
// → OCI process.apparmorProfile → the AppArmor label of each process
// (/proc/<pid>/attr/current: "profile (enforce)", "unconfined"). The
// runtime's default profile is containerd's cri-containerd.apparmor.d or
// CRI-O's crio-default. A process unconfined or in complain mode where a
// profile is declared is high. On a host without AppArmor (no label, or an
// SELinux one) a declared profile is only info: "not available on this
// host", never a finding above it.
func init() {
	register(Check{
		ID:          AppArmor,
		Severity:    High,
		Rationale:   "An AppArmor profile confines file, capability and mount access; a process that runs unconfined or in complain mode has none of it.",
		Remediation: "Load the profile on every node (Localhost), keep the runtime's AppArmor support on, and find what started the process outside it (an exec with another profile, a runtime override).",
		Evaluate:    evalAppArmor,
	})
}

// appArmorName is the profile a declared AppArmor profile leads to.
func (s *Subject) appArmorName(p *corev1.AppArmorProfile) string {
	switch p.Type {
	case corev1.AppArmorProfileTypeUnconfined:
		return "unconfined"
	case corev1.AppArmorProfileTypeLocalhost:
		if p.LocalhostProfile != nil {
			return *p.LocalhostProfile
		}
		return ""
	}
	if s.Defaults.IsCRIO() {
		return "crio-default"
	}
	return "cri-containerd.apparmor.d"
}

// criAppArmor is the profile the CRI config names, in the same terms.
func (s *Subject) criAppArmor() (string, bool) {
	sc := s.CRI.GetLinux().GetSecurityContext()
	if a := sc.GetApparmor(); a != nil {
		switch a.GetProfileType() {
		case runtimeapi.SecurityProfile_Unconfined:
			return "unconfined", true
		case runtimeapi.SecurityProfile_Localhost:
			return strings.TrimPrefix(a.GetLocalhostRef(), "localhost/"), true
		}
		return s.appArmorName(&corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}), true
	}
	//lint:ignore SA1019 older kubelets send only the deprecated string
	switch p := sc.GetApparmorProfile(); {
	case p == "":
		return "", false
	case p == "unconfined":
		return p, true
	case strings.HasPrefix(p, "localhost/"):
		return strings.TrimPrefix(p, "localhost/"), true
	}
	return s.appArmorName(&corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}), true
}

func evalAppArmor(s *Subject) []Finding {
	if s.Declared == nil || s.Declared.AppArmor == nil {
		return nil
	}
	want := s.appArmorName(s.Declared.AppArmor)
	procs := s.lsmProcesses()
	if len(procs) == 0 || selinuxLabel(procs[0].LSMLabel) {
		return []Finding{s.finding(AppArmor, Info, LayerProcess, s.initPID(), "attr/current", want, "no AppArmor",
			fmt.Sprintf("AppArmor is not available on this host: the profile %q %s declares is not enforced (the kubelet refuses such pods where it checks)", want, s.source()))}
	}
	sev := func(got string) Severity {
		if got == "unconfined" && want != "unconfined" {
			return High
		}
		return Medium
	}
	if s.criView() != nil {
		if got, ok := s.criAppArmor(); ok && got != want {
			return []Finding{s.finding(AppArmor, sev(got), LayerCRI, 0, "apparmor", want, got,
				fmt.Sprintf("the CRI config has AppArmor profile %q where %s declares %q", got, s.source(), want))}
		}
	}
	if s.OCI != nil && s.OCI.Process != nil {
		got := s.OCI.Process.ApparmorProfile
		if got == "" {
			got = "unconfined"
		}
		if got != want {
			return []Finding{s.finding(AppArmor, sev(got), LayerOCI, 0, "process.apparmorProfile", want, got,
				fmt.Sprintf("the OCI spec has AppArmor profile %q where %s declares %q", got, s.source(), want))}
		}
	}
	var fs []Finding
	for _, p := range procs {
		profile, mode, _ := strings.Cut(p.LSMLabel, " ")
		mode = strings.Trim(mode, "()")
		switch {
		case profile != want:
			fs = append(fs, s.finding(AppArmor, sev(profile), LayerProcess, p.PID, "attr/current", want, p.LSMLabel,
				fmt.Sprintf("%s runs under AppArmor %q where %s declares %q", where(LayerProcess, p), p.LSMLabel, s.source(), want)))
		case mode == "complain":
			fs = append(fs, s.finding(AppArmor, High, LayerProcess, p.PID, "attr/current", want+" (enforce)", p.LSMLabel,
				fmt.Sprintf("%s runs under AppArmor profile %q in complain mode: it logs and allows", where(LayerProcess, p), profile)))
		}
	}
	return fs
}
