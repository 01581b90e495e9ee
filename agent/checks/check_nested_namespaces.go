package checks

import (
	"fmt"
	"strings"

	"github.com/rtaudit/rtaudit/probes"
)

// nested-namespaces: no declared field; /proc/<pid>/ns/user and ns/pid of
// each process against the container init's. A process of the container
// may make user and pid namespaces below the container's whenever seccomp
// allows it (unshare -r, a browser's sandbox, bubblewrap, rootless
// builders). That is no privilege drift: such a process is root with every
// capability in its own namespace only, so the other checks judge its IDs
// and capabilities in the container's terms. The nesting itself is worth
// knowing (a sandbox where none was expected, or one escape attempt away),
// so it is reported once per nested namespace set, on its oldest process,
// at low severity.
func init() {
	register(Check{
		ID:          NestedNamespaces,
		Severity:    Low,
		Rationale:   "A process that made its own user or pid namespace inside the container is root in it: harmless for a sandbox, a first step for an exploit of the kernel's namespace code.",
		Remediation: "Expect it for browsers, sandboxes and rootless builders; otherwise find the process, and deny unshare/clone of namespaces with a seccomp profile (RuntimeDefault denies it without CAP_SYS_ADMIN).",
		Evaluate:    evalNestedNamespaces,
	})
}

func evalNestedNamespaces(s *Subject) []Finding {
	seen := map[string]bool{}
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		kinds := s.nested(p)
		if len(kinds) == 0 {
			continue
		}
		keys := make([]string, len(kinds))
		for i, k := range kinds {
			keys[i] = fmt.Sprintf("%s:%d", k, p.Namespaces[k])
		}
		set := strings.Join(keys, ",")
		if seen[set] {
			continue
		}
		seen[set] = true
		uid := s.procUIDs(p)
		fs = append(fs, s.finding(NestedNamespaces, Low, LayerProcess, p.PID, "namespaces", "the container's", set,
			fmt.Sprintf("%s runs in %s nested below the container's (made by a process of the container: unshare, a sandbox); it is uid %s%s in the container, and its capabilities count only inside its own namespace",
				where(LayerProcess, p), describeNested(kinds), uid, idsNote(uid, s.uidMap(p)))))
	}
	return fs
}

func describeNested(kinds []probes.NSKind) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = string(k)
	}
	return "a " + strings.Join(names, " and ") + " namespace"
}
