package report

import (
	"fmt"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// levelsShownAbove is how many pods the levels table lists in full; above
// it, only the pods whose effective level falls short (all with Wide).
const levelsShownAbove = DefaultGroupAbove

var levelRank = map[string]int{"privileged": 0, "baseline": 1, "restricted": 2}

// shortOf reports whether a pod effectively runs below its declared level or
// below its namespace's enforce level.
func shortOf(p scan.PodLevels) bool {
	e, ok := levelRank[p.EffectiveLevel]
	if !ok {
		return false
	}
	d, okd := levelRank[p.DeclaredLevel]
	n, okn := levelRank[p.EnforceLevel]
	return okd && e < d || okn && e < n
}

// levels is the Pod Security Standards levels of the report's pods: POD,
// DECLARED, EFFECTIVE and the namespace's ENFORCE label, the effective
// level painted when it falls short. Nil when no pod has levels.
func levels(r *scan.Report, o TableOptions) *grid {
	if len(r.Pods) == 0 {
		return nil
	}
	all := o.Wide || len(r.Pods) <= levelsShownAbove
	var g grid
	g.row("", plain("POD"), plain("DECLARED"), plain("EFFECTIVE"), plain("ENFORCE"))
	rest := 0
	for _, p := range r.Pods {
		falls := shortOf(p)
		if !all && !falls {
			rest++
			continue
		}
		eff := plain(cell(p.EffectiveLevel))
		if falls {
			eff.style = severityStyle[checks.High]
		}
		enforce := cell(p.EnforceLevel)
		if p.EnforceLevel == "" {
			enforce = "-"
		} else if p.EnforceVersion != "" {
			enforce += "@" + cell(p.EnforceVersion)
		}
		g.row("", plain(cell(p.Namespace)+"/"+cell(p.Pod)), plain(cell(p.DeclaredLevel)), eff, plain(enforce))
	}
	if rest > 0 {
		g.text(fmt.Sprintf("%d more pod(s) effectively at their declared level (-o wide lists them)", rest))
	}
	return &g
}
