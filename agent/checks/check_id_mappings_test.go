package checks

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/probes"
)

// usernsMapped is userns with the mappings at every layer, as containerd 2
// and runc show them for a pod allocated host IDs 65536..131071.
func usernsMapped(t *testing.T, s *Subject) {
	userns(t, s)
	m := func() []*runtimeapi.IDMapping {
		return []*runtimeapi.IDMapping{{HostId: 65536, ContainerId: 0, Length: 65536}}
	}
	s.CRI.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Uids = m()
	s.CRI.Linux.SecurityContext.NamespaceOptions.UsernsOptions.Gids = m()
	s.OCI.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 65536, Size: 65536}}
	s.OCI.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 65536, Size: 65536}}
}

func init() {
	fixtures[IDMappings] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "hostUsers: not a user-namespaced pod"},
			{name: "the same ranges at every layer", mut: usernsMapped},
			{name: "the CRI carries no ranges (CRI-O)", mut: userns},
			{name: "a process in a nested user namespace has its own maps", mut: func(t *testing.T, s *Subject) {
				usernsMapped(t, s)
				p := nestedUserNS(4300)
				p.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 1000, Length: 1}}
				s.Processes = append(s.Processes, p)
			}},
		},
		fail: []fixture{
			{name: "the OCI spec maps another pod's range", mut: func(t *testing.T, s *Subject) {
				usernsMapped(t, s)
				s.OCI.Linux.UIDMappings[0].HostID = 131072
			}, layer: LayerOCI, severity: High},
			{name: "the kernel's gid_map differs", mut: func(t *testing.T, s *Subject) {
				usernsMapped(t, s)
				s.Processes[0].GIDMap = []probes.IDMapping{{Inside: 0, Outside: 65536, Length: 65537}}
			}, layer: LayerProcess, severity: High, pid: 4242},
		},
	}
}

func TestIDMappingsMessage(t *testing.T) {
	s := good(t)
	usernsMapped(t, s)
	s.OCI.Linux.GIDMappings[0].HostID = 0
	fs := evalIDMappings(s)
	if len(fs) != 1 || fs[0].Field != "linux.gidMappings" || !strings.Contains(fs[0].Message, "0 0 65536") || !strings.Contains(fs[0].Message, "0 65536 65536") {
		t.Errorf("findings %+v", fs)
	}
}
