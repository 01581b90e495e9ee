package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/probes"
)

// capabilities: securityContext.capabilities add/drop over the runtime's
// documented default set (expect.ResolveCaps) → the same computed from the
// CRI add/drop lists → OCI process.capabilities.bounding (and an empty
// ambient set: both runtimes clear it) → /proc/<pid>/status CapBnd = the
// set; CapPrm = CapEff = the set for a process whose effective UID is root
// inside the container, empty otherwise; CapAmb and CapInh empty. A
// privileged container follows its runtime (expect.ProcessCapsFor): CRI-O
// fills the ambient and inheritable sets too, for every user.
func init() {
	register(Check{
		ID:          Capabilities,
		Severity:    Critical,
		Rationale:   "Each capability beyond the declared set is kernel privilege the pod spec never granted.",
		Remediation: "Drop ALL and add back only what is needed; find what widened the set (runtime base spec, default_capabilities, a hook, file capabilities).",
		Evaluate:    evalCapabilities,
	})
}

const capsCheck = Capabilities

// dangerousCaps make an added capability critical rather than high: each
// is a known path to the node.
var dangerousCaps, _ = probes.ParseCapNames([]string{
	"SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT", "NET_ADMIN",
	"DAC_READ_SEARCH", "BPF", "PERFMON", "MAC_ADMIN", "MAC_OVERRIDE", "SYSLOG",
})

func evalCapabilities(s *Subject) []Finding {
	var want opt[probes.CapSet]
	var added probes.CapSet
	privileged := false // the runtime's privileged rules apply (expect.ProcessCapsFor)
	if b := s.baseline(); b != nil {
		want, added, privileged = some(b.Caps), b.Added, b.Privileged
	}
	if c := s.criView(); c != nil {
		if c.Caps != want.v {
			return []Finding{capsDiff(s, LayerCRI, nil, "capabilities", want.v, c.Caps, 0)}
		}
		privileged = c.Privileged
	}
	if bnd, amb, ok := ociCaps(s.OCI); ok {
		wantAmb, bnd, amb := s.Defaults.SpecCaps(want.v, privileged, bnd, amb)
		switch {
		case !want.ok:
			want = some(bnd)
		case bnd != want.v:
			return []Finding{capsDiff(s, LayerOCI, nil, "process.capabilities.bounding", want.v, bnd, want.v)}
		}
		if amb != wantAmb {
			return []Finding{capsDiff(s, LayerOCI, nil, "process.capabilities.ambient", wantAmb, amb, want.v)}
		}
	}
	if !want.ok {
		return nil
	}
	var fs []Finding
	for _, p := range s.Processes {
		if p != nil {
			fs = append(fs, processCaps(s, p, want.v, added, privileged)...)
		}
	}
	return fs
}

// processCaps reports at most one finding per process: the first set, in
// the order CapEff, CapPrm, CapBnd, CapAmb, that holds a capability it
// should not; else the first that lacks one (info); else, for a non-root
// process, the capabilities the spec added that it cannot use (info). In a
// container expected to run as root, a non-root process whose five sets
// all lie within the container's set holds no more than root may hand a
// worker: info.
func processCaps(s *Subject, p *probes.Process, set, added probes.CapSet, privileged bool) []Finding {
	if s.inNestedUserNS(p) {
		// Its sets, the bounding set included, are its own user
		// namespace's (the kernel gives a new one every capability): in
		// the container's it holds none. Its IDs are still judged, in the
		// container's terms (run-as-user, run-as-group).
		return nil
	}
	want := s.Defaults.ProcessCapsFor(set, s.procRoot(p), privileged)
	sets := []struct {
		name      string
		want, got probes.CapSet
	}{
		{"CapEff", want.Effective, p.Caps.Effective},
		{"CapPrm", want.Permitted, p.Caps.Permitted},
		{"CapBnd", want.Bounding, p.Caps.Bounding},
		{"CapAmb", want.Ambient, p.Caps.Ambient},
		// A non-empty inheritable set lets an exec of a file with
		// inheritable file capabilities gain them.
		{"CapInh", want.Inheritable, p.Caps.Inheritable},
	}
	for _, c := range sets {
		if c.got&^c.want != 0 {
			f := capsDiff(s, LayerProcess, p, c.name, c.want, c.got, set)
			if f.Severity != Info && !s.procRoot(p) && s.expectsRoot() && withinSet(p.Caps, set) {
				// A root container's process may keep any of its set
				// when it changes user (PR_SET_KEEPCAPS, ambient
				// capabilities): a worker holding part of root's set.
				// (A root process's own extra sets stay a drift: the
				// runtime, not the workload, shaped them.)
				f.Severity = Info
				f.Message += ": within the set the container's root holds (less privilege than expected)"
			}
			return []Finding{f}
		}
	}
	for _, c := range sets {
		if c.want&^c.got != 0 {
			return []Finding{capsDiff(s, LayerProcess, p, c.name, c.want, c.got, set)}
		}
	}
	if unused := added &^ p.Caps.Effective; !s.procRoot(p) && unused != 0 {
		return []Finding{s.finding(capsCheck, Info, LayerProcess, p.PID, "CapEff", hexCaps(added), hexCaps(p.Caps.Effective),
			fmt.Sprintf("%s does not have the added %s in effect: it runs as non-root UID %s%s, so added capabilities stay in the bounding set only (Kubernetes sets no ambient capabilities)",
				where(LayerProcess, p), unused, s.procUIDs(p), idsNote(s.procUIDs(p), s.uidMap(p))))}
	}
	return nil
}

// capsDiff grades a difference: capabilities outside the expected bounding
// set are critical when dangerous, else high; extra ones inside it (a
// non-root process that gained effective capabilities through file
// capabilities or a setuid binary) are medium; only missing ones are info.
func capsDiff(s *Subject, layer Layer, p *probes.Process, name string, want, got, bounding probes.CapSet) Finding {
	extra, missing := got&^want, want&^got
	sev := Info
	switch {
	case extra&^bounding&dangerousCaps != 0:
		sev = Critical
	case extra&^bounding != 0:
		sev = High
	case extra != 0:
		sev = Medium
	}
	msg := fmt.Sprintf("%s %s", where(layer, p), name)
	if extra != 0 {
		msg += " adds " + extra.String()
	}
	if missing != 0 {
		if extra != 0 {
			msg += " and"
		}
		msg += " lacks " + missing.String()
	}
	msg += " compared with " + s.source()
	if sev == Info {
		msg += " (less privilege than expected"
		if layer == LayerProcess && name == "CapBnd" {
			msg += ": the process dropped them"
		}
		msg += ")"
	}
	pid := 0
	if p != nil {
		pid = p.PID
	}
	return s.finding(capsCheck, sev, layer, pid, name, hexCaps(want), hexCaps(got), msg)
}

// withinSet reports whether every set of c lies within set.
func withinSet(c probes.Capabilities, set probes.CapSet) bool {
	return (c.Effective|c.Permitted|c.Bounding|c.Ambient|c.Inheritable)&^set == 0
}

// hexCaps prints a set as /proc/<pid>/status does.
func hexCaps(c probes.CapSet) string { return fmt.Sprintf("%016x", uint64(c)) }
