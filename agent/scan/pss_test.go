package scan_test

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// levelsOf lists "pod declared effective enforce" per pod.
func levelsOf(r *scan.Report) map[string]string {
	out := map[string]string{}
	for _, p := range r.Pods {
		out[p.Pod] = fmt.Sprintf("%s %s %s", p.DeclaredLevel, p.EffectiveLevel, p.EnforceLevel)
	}
	return out
}

// TestGoldenLevels: the real captures' pods get their levels from the
// upstream policy checks; compliant pods run at their declared level; a
// drift lowers it where the policy reads the field.
func TestGoldenLevels(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		want     map[string]string
	}{
		{"compliant", map[string]string{
			"defaults": "baseline baseline ", "drop-all-add-one": "baseline baseline ", "host-network": "privileged privileged ",
			"host-pid": "privileged privileged ", "privileged": "privileged privileged ", "read-only-root": "baseline baseline ",
			"restricted-profile": "restricted restricted ", "run-as-user-group": "baseline baseline ",
		}},
		{"cri-drift", map[string]string{"mis-privileged": "baseline privileged ", "mis-runasuser": "baseline baseline "}},
		{"oci-drift", map[string]string{"runtime-adds-cap": "baseline privileged "}},
		{"process-drift", map[string]string{"exec-root": "restricted baseline ", "setuid-escalates": "baseline baseline "}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			c := load(t, tc.scenario)
			r := c.scan(t, c.pods)
			got := levelsOf(r)
			for pod, want := range tc.want {
				if got[pod] != want {
					t.Errorf("%s: levels %q, want %q", pod, got[pod], want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("levels of %d pods, want %d: %v", len(got), len(tc.want), got)
			}
			if cri := c.scan(t, nil); len(cri.Pods) != 0 {
				t.Errorf("judged against CRI configs: levels %v, want none (no pod spec)", levelsOf(cri))
			}
		})
	}
}

// TestEnforceLabel: the namespace's enforce label from the same source as
// the pods; a pod below it is a pss-level finding even without drift.
func TestEnforceLabel(t *testing.T) {
	c := load(t, "compliant")
	c.pods.SetNamespaces([]*corev1.Namespace{{ObjectMeta: metav1.ObjectMeta{Name: "default", Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.35",
	}}}})
	r := c.scan(t, c.pods)
	var below []string
	for _, f := range r.Findings {
		if f.Check == checks.PSSLevel {
			below = append(below, f.Pod)
			if f.Field != "pod-security.kubernetes.io/enforce" || f.Expected != "baseline" || f.Actual != "privileged" || f.Layer != checks.LayerCRI {
				t.Errorf("finding %+v", f)
			}
		}
	}
	if fmt.Sprint(below) != "[host-network host-pid privileged]" {
		t.Errorf("pods below the namespace's baseline: %v, want the three privileged ones", below)
	}
	for _, p := range r.Pods {
		if p.EnforceLevel != "baseline" || p.EnforceVersion != "v1.35" {
			t.Errorf("%s: enforce %q %q", p.Pod, p.EnforceLevel, p.EnforceVersion)
		}
	}
}
