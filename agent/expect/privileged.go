package expect

import "github.com/rtaudit/rtaudit/probes"

// How each runtime fills the five capability sets of a privileged
// container. Observed live (test/crio, test/integration) and in the
// runtimes' sources:
//
//   - containerd (internal/cri/opts WithPrivileged → oci.WithAllCurrentCapabilities):
//     bounding, permitted and effective get every capability of
//     containerd's own bounding set; inheritable and ambient stay empty.
//     A non-root process keeps them in its bounding set only.
//   - CRI-O (runtime-tools Generator.SetupPrivileged): all five sets get
//     every capability up to the host's cap_last_cap, inheritable and
//     ambient included. The ambient set survives execve, so a non-root
//     process of a privileged CRI-O container holds every capability in
//     its permitted and effective sets too. CRI-O asks for capabilities
//     its own bounding set may lack; the OCI runtime can only give what
//     that set holds (RuntimeDefaults.All, cut to the runtime's bounding
//     set by the scan).

// PrivilegedFillsAllSets reports whether the runtime gives a privileged
// container every capability in all five sets (CRI-O), rather than in the
// bounding, permitted and effective sets only (containerd).
func (d RuntimeDefaults) PrivilegedFillsAllSets() bool { return d.IsCRIO() }

// ProcessCapsFor is ProcessCapsOf with the runtime's rule for privileged
// containers: on CRI-O every set of every process is set, whatever its
// user; elsewhere ProcessCapsOf.
func (d RuntimeDefaults) ProcessCapsFor(set probes.CapSet, root, privileged bool) ProcessCaps {
	if privileged && d.PrivilegedFillsAllSets() {
		return ProcessCaps{Bounding: set, Permitted: set, Effective: set, Ambient: set, Inheritable: set}
	}
	return ProcessCapsOf(set, root)
}

// SpecCaps is what the runtime's OCI spec should hold for a container
// whose capability set is set: the bounding set and the ambient set.
// Given the sets the spec holds (bounding, ambient), it returns them as
// the runtime can grant them: for a privileged CRI-O container, cut to
// All (CRI-O asks every capability the kernel knows, even those its own
// bounding set lacks and no process of it can get).
func (d RuntimeDefaults) SpecCaps(set probes.CapSet, privileged bool, bounding, ambient probes.CapSet) (wantAmbient, gotBounding, gotAmbient probes.CapSet) {
	if privileged && d.PrivilegedFillsAllSets() {
		all := d.All()
		return set, bounding & all, ambient & all
	}
	return 0, bounding, ambient
}
