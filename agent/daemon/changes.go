package daemon

import (
	"context"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// findingKey identifies a finding across audits.
type findingKey struct {
	containerID string
	check       checks.ID
	layer       checks.Layer
	pid         int
	field       string
}

func keyOf(f checks.Finding) findingKey {
	return findingKey{f.ContainerID, f.Check, f.Layer, f.PID, f.Field}
}

// logChanges logs each finding once when it appears and once when it is
// resolved (or its container is gone), as JSON through slog (every string
// a container controls is escaped there). Info findings are not logged.
// The set kept is the last audit's: it never outgrows the node.
func (a *Agent) logChanges(ctx context.Context, r *scan.Report) {
	now := make(map[findingKey]bool, len(r.Findings))
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, f := range r.Findings {
		if f.Severity == checks.Info {
			continue
		}
		k := keyOf(f)
		now[k] = true
		if a.findings[k] {
			continue
		}
		a.log.Warn("finding", "check", f.Check, "severity", f.Severity, "layer", f.Layer,
			"namespace", f.Namespace, "pod", f.Pod, "container", f.Container, "containerID", f.ContainerID,
			"pid", f.PID, "field", f.Field, "expected", f.Expected, "actual", f.Actual, "waiver", f.Waiver, "message", f.Message)
		if a.events != nil && f.Severity == checks.Critical && f.Waiver == "" {
			a.events.post(ctx, r, f)
		}
	}
	for k := range a.findings {
		if !now[k] {
			a.log.Info("finding resolved", "check", k.check, "layer", k.layer, "containerID", k.containerID, "pid", k.pid, "field", k.field)
		}
	}
	a.findings = now
}
