package checks

// Cascades: one drift often shows in several fields. A privileged container
// also has every capability, no seccomp filter, an unmasked /proc and may
// lack no_new_privs; a
// root process in a runAsNonRoot container also breaks runAsUser. The more
// fundamental finding is kept and the derived ones at the same container,
// layer and PID are dropped:
//
//	privileged      suppresses capabilities, seccomp, no-new-privs, proc-mount
//	run-as-non-root suppresses run-as-user
//
// An info finding (less privilege) suppresses nothing.
var suppresses = map[ID][]ID{
	Privileged:   {Capabilities, Seccomp, NoNewPrivs, ProcMount},
	RunAsNonRoot: {RunAsUser},
}

type suppressKey struct {
	containerID, container string
	check                  ID
	layer                  Layer
	pid                    int
}

func suppress(fs []Finding) []Finding {
	drop := map[suppressKey]bool{}
	for _, f := range fs {
		if f.Severity == Info {
			continue
		}
		for _, derived := range suppresses[f.Check] {
			drop[suppressKey{f.ContainerID, f.Container, derived, f.Layer, f.PID}] = true
		}
	}
	out := fs[:0:0]
	for _, f := range fs {
		if !drop[suppressKey{f.ContainerID, f.Container, f.Check, f.Layer, f.PID}] {
			out = append(out, f)
		}
	}
	return out
}
