package daemon

import (
	"context"
	"time"

	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/reports"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// publish writes the report's Reports to the cluster: one per audited pod
// the API knows (a clean pod too: "audited and clean"), the node-level
// findings in the node's report. Only while the declared specs come from
// the API (src non-nil): the pod list decides which reports exist, and
// CRI labels, which a container's creator controls, must not. Writes
// follow change (the writer compares content) and are rate-limited.
func (a *Agent) publish(ctx context.Context, r *scan.Report, src declared.Source) {
	if a.reports == nil || src == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	audited := map[string]bool{}
	for _, c := range r.Containers {
		audited[c.PodUID] = true
		audited[c.Namespace+"/"+c.Pod] = true
	}
	var pods []reports.Pod
	for _, p := range a.pods.Pods() {
		if audited[string(p.UID)] || audited[p.Namespace+"/"+p.Name] {
			pods = append(pods, reports.Pod{Namespace: p.Namespace, Name: p.Name, UID: string(p.UID)})
		}
	}
	if err := a.reports.Sync(ctx, r, pods); err != nil {
		a.log.Warn("writing reports", "err", err)
	}
	now := a.reports.Stats()
	a.metrics.reportWrites.WithLabelValues("create").Add(float64(now.Creates - a.written.Creates))
	a.metrics.reportWrites.WithLabelValues("update").Add(float64(now.Updates - a.written.Updates))
	a.metrics.reportWrites.WithLabelValues("delete").Add(float64(now.Deletes - a.written.Deletes))
	a.metrics.apiErrors.Add(float64(now.Errors - a.written.Errors))
	a.written = now
}
