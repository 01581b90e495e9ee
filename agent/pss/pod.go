package pss

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// Pod is one pod to judge: its declared spec, its audited containers and
// its namespace's labels (nil when the source does not know the namespace).
type Pod struct {
	Declared        *corev1.Pod
	Containers      []Container
	NamespaceLabels map[string]string
}

// Judge evaluates the declared and the observed spec of p at the latest
// policy version (this library's: the cluster's v1.37), and the observed
// one against the namespace's enforce level at its version. A malformed
// enforce label is read as admission reads it; the error says so and the
// result is still filled.
func Judge(p Pod) (*checks.PodSecurity, error) {
	if p.Declared == nil {
		return nil, fmt.Errorf("no declared pod spec")
	}
	latest := api.LatestVersion()
	declared, _, err := LevelOf(p.Declared, latest)
	if err != nil {
		return nil, err
	}
	// Most pods have no drift the policy reads: their observed spec is
	// the declared one, evaluated once.
	observed, used, effective := p.Declared, []checks.Finding(nil), declared
	if drifted(p.Containers) {
		observed, used = Observed(p.Declared, p.Containers)
		if effective, _, err = LevelOf(observed, latest); err != nil {
			return nil, err
		}
	}
	ps := &checks.PodSecurity{Declared: declared, Effective: effective, Layer: checks.LayerCRI}
	for i, f := range used {
		if i == 0 || layerRank[f.Layer] < layerRank[ps.Layer] {
			ps.Layer, ps.PID = f.Layer, f.PID
		}
	}
	if declared != effective {
		lv := api.LevelVersion{Level: api.Level(declared), Version: latest}
		if _, ps.Why, err = Allowed(observed, lv); err != nil {
			return nil, err
		}
	}
	lv, ok, labelErr := Enforce(p.NamespaceLabels)
	if ok {
		ps.Enforce = string(lv.Level)
		if !lv.Version.Latest() {
			ps.EnforceVersion = lv.Version.String()
		}
		var why []string
		if ps.EnforceAllowed, why, err = Allowed(observed, lv); err != nil {
			return nil, err
		}
		if len(ps.Why) == 0 {
			ps.Why = why
		}
	}
	if labelErr != nil {
		return ps, fmt.Errorf("namespace %s: %w", p.Declared.Namespace, labelErr)
	}
	return ps, nil
}

// layerRank orders layers top down: the topmost drift names the level's.
var layerRank = map[checks.Layer]int{checks.LayerCRI: 0, checks.LayerOCI: 1, checks.LayerProcess: 2}

// drifted reports whether a container has a finding above info of a check
// the observed spec takes.
func drifted(ctrs []Container) bool {
	for _, c := range ctrs {
		for _, f := range c.Findings {
			if _, ok := appliers[f.Check]; ok && f.Severity != checks.Info {
				return true
			}
		}
	}
	return false
}
