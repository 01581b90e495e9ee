package checks

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/probes"
)

// rootPod makes goodPod's container root with the runtime's default
// capabilities (no runAsUser, no capabilities), as an nginx-like image
// runs: the CRI config and OCI spec follow.
func rootPod(t *testing.T, caps *corev1.Capabilities) *Subject {
	t.Helper()
	s := good(t)
	p := goodPod()
	p.Spec.SecurityContext.RunAsUser, p.Spec.SecurityContext.RunAsNonRoot = nil, nil
	p.Spec.Containers[0].SecurityContext.Capabilities = caps
	redeclare(t, s, p)
	s.CRI.Linux.SecurityContext.RunAsUser.Value = 0
	s.CRI.Linux.SecurityContext.Capabilities = nil
	set := s.Declared.Caps
	if caps != nil {
		s.CRI.Linux.SecurityContext.Capabilities = criCaps(caps)
	}
	s.OCI.Process.User.UID = 0
	setOCICaps(s.OCI, set)
	asRoot(s.Processes[0], set)
	s.Processes[0].GID = probes.IDs{3000, 3000, 3000, 3000}
	return s
}

func criCaps(c *corev1.Capabilities) *runtimeapi.Capability {
	out := &runtimeapi.Capability{}
	for _, a := range c.Add {
		out.AddCapabilities = append(out.AddCapabilities, string(a))
	}
	for _, d := range c.Drop {
		out.DropCapabilities = append(out.DropCapabilities, string(d))
	}
	return out
}

// A root master whose worker drops to another user (setgroups, setgid,
// setuid: nginx, su, start-stop-daemon -c) takes that user's groups. The
// container may set any group (root with CAP_SETGID): that is less
// privilege, info, in the uid and gid checks and in this one. Without
// CAP_SETGID the same groups did not come from the container itself.
func TestSupplementalGroupsOfAWorkerThatDroppedRoot(t *testing.T) {
	worker := func() *probes.Process {
		p := proc(4300, "nginx")
		p.UID, p.GID = probes.IDs{101, 101, 101, 101}, probes.IDs{101, 101, 101, 101}
		p.Groups = []uint32{101}
		return p
	}
	for _, tc := range []struct {
		name string
		caps *corev1.Capabilities
		want []want
	}{
		{"default capabilities", nil, []want{
			{RunAsGroup, LayerProcess, Info, 4300, "Gid"},
			{RunAsUser, LayerProcess, Info, 4300, "Uid"},
			{SupplementalGroups, LayerProcess, Info, 4300, "Groups"},
		}},
		{"SETGID dropped", &corev1.Capabilities{Drop: []corev1.Capability{"SETGID"}}, []want{
			{RunAsGroup, LayerProcess, Medium, 4300, "Gid"},
			{RunAsUser, LayerProcess, Info, 4300, "Uid"},
			{SupplementalGroups, LayerProcess, Medium, 4300, "Groups"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := rootPod(t, tc.caps)
			if fs := Evaluate(s); len(fs) != 0 {
				t.Fatalf("the root master alone has findings: %v", keys(fs))
			}
			s.Processes = append(s.Processes, worker())
			var got []Finding
			for _, f := range Evaluate(s) {
				if f.PID == 4300 && f.Check != Capabilities {
					got = append(got, f)
				}
			}
			expectFindings(t, got, tc.want...)
		})
	}
}

// A non-root container cannot set groups: a process with an extra group
// is still a drift (high for group 0).
func TestSupplementalGroupsExtraInNonRootContainer(t *testing.T) {
	s := good(t)
	p := proc(4301, "sh")
	p.Groups = []uint32{0, 2000, 4000}
	s.Processes = append(s.Processes, p)
	var got []Finding
	for _, f := range Evaluate(s) {
		if f.Check == SupplementalGroups {
			got = append(got, f)
		}
	}
	expectFindings(t, got, want{SupplementalGroups, LayerProcess, High, 4301, "Groups"})
}
