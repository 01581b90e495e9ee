package checks

import "fmt"

// run-as-non-root: securityContext.runAsNonRoot (container over pod) →
// CRI run_as_user ≠ 0 (the kubelet refuses to create the container
// otherwise, so a 0 there is already drift) → OCI process.user.uid ≠ 0 →
// no ID of /proc/<pid>/status Uid is 0 inside the container's user
// namespace (a saved UID 0 can be regained).
func init() {
	register(Check{
		ID:          RunAsNonRoot,
		Severity:    Critical,
		Rationale:   "runAsNonRoot promises no process runs as root; a root process inside is one step from the node.",
		Remediation: "Find how the root process started (kubectl exec -u 0, setuid binary, runtime hook); set allowPrivilegeEscalation: false and a non-root runAsUser.",
		Evaluate:    evalRunAsNonRoot,
	})
}

func evalRunAsNonRoot(s *Subject) []Finding {
	b := s.baseline()
	if b == nil || !b.NonRoot {
		return nil
	}
	const id = RunAsNonRoot
	const want = "non-root"
	if c := s.criView(); c != nil && c.UID != nil && *c.UID == 0 {
		return []Finding{s.finding(id, Critical, LayerCRI, 0, "run_as_user", want, "0",
			"the CRI config runs the container as root although "+s.source()+" sets runAsNonRoot")}
	}
	if u := ociUID(s.OCI); u.ok && u.v == 0 {
		return []Finding{s.finding(id, Critical, LayerOCI, 0, "process.user.uid", want, "0",
			"the OCI spec runs the container as root although "+s.source()+" sets runAsNonRoot")}
	}
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if u := s.procUIDs(p); u.has(0) {
			fs = append(fs, s.finding(id, Critical, LayerProcess, p.PID, "Uid", want, u.String(),
				fmt.Sprintf("%s runs as root, uid %s%s, although %s sets runAsNonRoot", where(LayerProcess, p), u, idsNote(u, s.uidMap(p)), s.source())))
		}
	}
	return fs
}
