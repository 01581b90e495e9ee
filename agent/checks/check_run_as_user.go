package checks

import "github.com/rtaudit/rtaudit/probes"

// run-as-user: securityContext.runAsUser (container over pod) → CRI
// run_as_user → OCI process.user.uid → /proc/<pid>/status Uid (all four
// IDs, mapped into the container's user namespace). Unset, the image's
// USER decides: the CRI config (where the kubelet puts the image's numeric
// user) or the OCI spec then sets the value processes must have.
func init() {
	register(Check{
		ID:          RunAsUser,
		Severity:    Critical,
		Rationale:   "A process running under another UID than declared, root above all, defeats the user isolation the pod spec asked for.",
		Remediation: "Find who started the process (kubectl exec, a setuid binary, a runtime hook) and set runAsUser and allowPrivilegeEscalation: false.",
		Evaluate:    evalRunAsUser,
	})
}

func evalRunAsUser(s *Subject) []Finding {
	fd := idField(RunAsUser, "run_as_user", "process.user.uid", "Uid", "user", Critical, s.uidMap)
	var declared, cri opt[ids]
	if b := s.baseline(); b != nil && b.UID != nil {
		declared = some(same(*b.UID))
	}
	if c := s.criView(); c != nil && c.UID != nil {
		cri = some(same(*c.UID))
	}
	oci := ociUID(s.OCI)
	return fd.run(s, declared, cri, opt[ids]{same(oci.v), oci.ok}, func(p *probes.Process) opt[ids] {
		return some(s.procUIDs(p))
	})
}

// idField judges UIDs or GIDs: gaining ID 0 is rootSev, losing it is
// info, any other change medium. IDs are compared inside the process's
// user namespace; process messages also name the host IDs (from maps).
func idField(check ID, cri, oci, proc, what string, rootSev Severity, maps func(*probes.Process) []probes.IDMapping) field[ids] {
	return field[ids]{
		check: check, criField: cri, ociField: oci, procField: proc, what: what,
		equal: eq[ids],
		show:  ids.String,
		note:  func(p *probes.Process, v ids) string { return idsNote(v, maps(p)) },
		severity: func(want, got ids) Severity {
			switch {
			case got.has(0) && !want.has(0):
				return rootSev
			case want.has(0) && !got.has(0):
				return Info
			}
			return Medium
		},
	}
}

func same(id int64) ids { return ids{id, id, id, id} }
