package checks

import (
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

// A root container's worker that changed user keeping some of root's
// capabilities (PR_SET_KEEPCAPS, or inheritable and ambient ones, as
// `setpriv --reuid 101 --inh-caps +net_bind_service --ambient-caps
// +net_bind_service` does) holds less than the container's root: info. One
// capability outside the container's set is still a drift, and so is any
// capability in a container expected to run as non-root.
func TestCapabilitiesOfAWorkerThatKeptSomeOfRoot(t *testing.T) {
	nbs := capSet("NET_BIND_SERVICE")
	worker := func(extra probes.CapSet) *probes.Process {
		p := proc(4400, "worker")
		p.UID, p.GID = probes.IDs{101, 101, 101, 101}, probes.IDs{101, 101, 101, 101}
		p.Groups = nil
		set := nbs | extra
		p.Caps = probes.Capabilities{Effective: set, Permitted: set, Inheritable: set, Ambient: set, Bounding: 0xa80425fb}
		return p
	}
	capsOf := func(s *Subject) []Finding {
		var out []Finding
		for _, f := range Evaluate(s) {
			if f.Check == Capabilities {
				out = append(out, f)
			}
		}
		return out
	}
	t.Run("root container, part of its set", func(t *testing.T) {
		s := rootPod(t, nil)
		s.Processes = append(s.Processes, worker(0))
		expectFindings(t, capsOf(s), want{Capabilities, LayerProcess, Info, 4400, "CapEff"})
	})
	t.Run("root container, SYS_ADMIN beyond its set", func(t *testing.T) {
		s := rootPod(t, nil)
		w := worker(capSet("SYS_ADMIN"))
		w.Caps.Bounding |= capSet("SYS_ADMIN")
		s.Processes = append(s.Processes, w)
		expectFindings(t, capsOf(s), want{Capabilities, LayerProcess, Critical, 4400, "CapEff"})
	})
	t.Run("non-root container", func(t *testing.T) {
		s := good(t)
		p := proc(4400, "ping")
		p.Caps = probes.Capabilities{Effective: capSet("NET_RAW"), Permitted: capSet("NET_RAW")}
		s.Processes = append(s.Processes, p)
		expectFindings(t, capsOf(s), want{Capabilities, LayerProcess, High, 4400, "CapEff"})
	})
}
