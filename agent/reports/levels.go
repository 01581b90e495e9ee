package reports

import "github.com/rtaudit/rtaudit/agent/scan"

// Labels of a pod's Report with its Pod Security Standards levels
// (privileged, baseline, restricted), so a selector finds the pods that
// effectively run below what they declare:
// kubectl get reports -A -l rtaudit.dev/pss-effective=privileged.
const (
	LabelDeclaredLevel  = "rtaudit.dev/pss-declared"
	LabelEffectiveLevel = "rtaudit.dev/pss-effective"
)

// levelLabels are the level labels of the pods of r, by pod UID.
func levelLabels(r *scan.Report) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, p := range r.Pods {
		if p.PodUID == "" || p.DeclaredLevel == "" || p.EffectiveLevel == "" {
			continue
		}
		out[p.PodUID] = map[string]string{LabelDeclaredLevel: p.DeclaredLevel, LabelEffectiveLevel: p.EffectiveLevel}
	}
	return out
}
