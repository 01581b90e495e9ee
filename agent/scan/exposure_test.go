package scan

import (
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

func TestCanReadEnviron(t *testing.T) {
	host := probes.Namespaces{probes.NSPID: 1, probes.NSUser: 2, probes.NSNet: 3}
	s := &pass{host: host}
	proc := func(pidNS, userNS uint64, uid uint32, caps probes.CapSet) *probes.Process {
		return &probes.Process{
			PID: 100, Comm: "x",
			UID:        probes.IDs{uid, uid, uid, uid},
			Namespaces: probes.Namespaces{probes.NSPID: pidNS, probes.NSUser: userNS},
			Caps:       probes.Capabilities{Effective: caps},
		}
	}
	const ptrace = probes.CapSet(1) << capSysPtrace
	target := proc(10, 2, 1000, 0)
	for _, tc := range []struct {
		name   string
		reader *probes.Process
		want   string
	}{
		{"sidecar, same UID, shared pid namespace", proc(10, 2, 1000, 0), "same UID 1000 in a shared pid namespace"},
		{"sidecar, another UID", proc(10, 2, 2000, 0), ""},
		{"sidecar, another UID with CAP_SYS_PTRACE", proc(10, 2, 0, ptrace), "CAP_SYS_PTRACE in a shared pid namespace"},
		{"hostPID pod, same UID", proc(1, 2, 1000, 0), "same UID 1000 in the host pid namespace"},
		{"hostPID pod, root with CAP_SYS_PTRACE", proc(1, 2, 0, ptrace), "CAP_SYS_PTRACE in the host pid namespace"},
		{"another pod's own pid namespace, same UID", proc(20, 2, 1000, ptrace), ""},
		{"same UID, but in a user namespace of its own", proc(10, 30, 1000, 0), ""},
		{"CAP_SYS_PTRACE only in a user namespace of its own", proc(10, 30, 0, ptrace), ""},
	} {
		if got := s.canReadEnviron(tc.reader, target); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	setuid := proc(10, 2, 1000, 0)
	setuid.UID[probes.Effective] = 0 // a setuid process: real, effective and saved differ
	if got := s.canReadEnviron(proc(10, 2, 1000, 0), setuid); got != "" {
		t.Errorf("reader of a setuid process: %q", got)
	}
}
