package daemon

import (
	"testing"

	"github.com/rtaudit/rtaudit/agent/scan"
)

// podLevelSeries reads rtaudit_pods as "declared/effective" → value.
func podLevelSeries(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "rtaudit_pods" {
			continue
		}
		for _, s := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range s.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out[l["declared"]+"/"+l["effective"]] = s.GetGauge().GetValue()
		}
	}
	return out
}

func TestPodLevelMetrics(t *testing.T) {
	m := newMetrics("test", false, func() bool { return true })
	m.observe(&scan.Report{Pods: []scan.PodLevels{
		{Pod: "a", DeclaredLevel: "restricted", EffectiveLevel: "baseline"},
		{Pod: "b", DeclaredLevel: "restricted", EffectiveLevel: "restricted"},
		{Pod: "c", DeclaredLevel: "restricted", EffectiveLevel: "baseline"},
	}})
	got := podLevelSeries(t, m)
	if len(got) != 2 || got["restricted/baseline"] != 2 || got["restricted/restricted"] != 1 {
		t.Errorf("rtaudit_pods %v", got)
	}
	m.observe(&scan.Report{})
	if got := podLevelSeries(t, m); len(got) != 0 {
		t.Errorf("after an audit without pods: %v, want no series", got)
	}
}
