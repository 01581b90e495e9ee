package checks

import (
	"fmt"
	"slices"
	"strings"
)

// secret-env: env[].valueFrom.secretKeyRef and envFrom[].secretRef →
// /proc/<pid>/environ (names only: values are dropped as the file is
// parsed) and who else can read that file: a process of another container
// with the same UID in a pid namespace that sees the process (a shared
// process namespace, a hostPID pod) or with CAP_SYS_PTRACE there. Such a
// process reads the secret's value whatever the secret's RBAC says.
//
// A finding per process whose environment carries a declared secret
// variable (or, for envFrom, every process: the runtime gives each the
// container's environment) and that another container can read: high.
// The environment is the one a process started with: a name it removed
// later is still in the file (and the value still readable), a name it
// never had is not. No reader, no finding: a variable only the container
// can read is the container's own business.
func init() {
	register(Check{
		ID:          SecretEnv,
		Severity:    High,
		Rationale:   "A secret in an environment variable is readable through /proc/<pid>/environ by any process with the same UID or CAP_SYS_PTRACE that sees the process: other containers sharing the pod's process namespace, hostPID pods.",
		Remediation: "Mount the secret as a volume instead of an environment variable, or stop sharing the process namespace (shareProcessNamespace, hostPID) with containers of the same UID or with CAP_SYS_PTRACE.",
		Evaluate:    evalSecretEnv,
	})
}

func evalSecretEnv(s *Subject) []Finding {
	if s.Declared == nil || s.Declared.Secrets.Empty() || s.Exposure == nil {
		return nil
	}
	u := s.Declared.Secrets
	var fromSecrets []string
	for _, e := range u.EnvFrom {
		fromSecrets = append(fromSecrets, "envFrom secret "+e.Secret)
	}
	var out []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		readers := s.Exposure.EnvReaders[p.PID]
		if len(readers) == 0 {
			continue
		}
		carried := append(slices.Clone(s.Exposure.SecretEnv[p.PID]), fromSecrets...)
		if len(carried) == 0 {
			continue
		}
		who := make([]string, len(readers))
		for i, r := range readers {
			who[i] = r.String()
		}
		slices.Sort(who)
		msg := fmt.Sprintf("%s holds secret variables %s in its environment, readable through /proc/%d/environ by %d process(es) of other containers: %s",
			where(LayerProcess, p), strings.Join(carried, ", "), p.PID, len(readers), strings.Join(who, "; "))
		out = append(out, s.finding(SecretEnv, High, LayerProcess, p.PID, "environ", "readable by the container only", "readable by "+strings.Join(who, "; "), msg))
	}
	return out
}
