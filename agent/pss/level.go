package pss

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// Levels, as the namespace labels and the policy name them.
const (
	Privileged = string(api.LevelPrivileged)
	Baseline   = string(api.LevelBaseline)
	Restricted = string(api.LevelRestricted)
)

// evaluator is built on first use: `rtaudit version` and scans without
// pod specs never pay for the policy's version tables.
var evaluator = sync.OnceValues(policyEvaluator)

func policyEvaluator() (policy.Evaluator, error) {
	return policy.NewEvaluator(policy.DefaultChecks(), nil)
}

// check runs the policy checks of lv on pod and returns what they forbid,
// one "reason (detail)" per failed check; none when the pod passes.
func check(pod *corev1.Pod, lv api.LevelVersion) ([]string, error) {
	ev, err := evaluator()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range ev.EvaluatePod(lv, &pod.ObjectMeta, &pod.Spec) {
		if r.Allowed {
			continue
		}
		msg := r.ForbiddenReason
		if r.ForbiddenDetail != "" {
			msg += " (" + r.ForbiddenDetail + ")"
		}
		out = append(out, msg)
	}
	return out, nil
}

// LevelOf is the strictest level pod passes at version v, and what it
// breaks at the next stricter level (none for restricted).
func LevelOf(pod *corev1.Pod, v api.Version) (level string, why []string, err error) {
	why, err = check(pod, api.LevelVersion{Level: api.LevelRestricted, Version: v})
	if err != nil || len(why) == 0 {
		return Restricted, nil, err
	}
	base, err := check(pod, api.LevelVersion{Level: api.LevelBaseline, Version: v})
	if err != nil {
		return "", nil, err
	}
	if len(base) == 0 {
		return Baseline, why, nil
	}
	return Privileged, base, nil
}

// Allowed reports whether pod passes level at version, and what it breaks.
func Allowed(pod *corev1.Pod, lv api.LevelVersion) (bool, []string, error) {
	why, err := check(pod, lv)
	return len(why) == 0, why, err
}

// Enforce reads the namespace's pod-security.kubernetes.io/enforce and
// enforce-version labels (the admission plugin's own parser): ok is false
// when no enforce label is set. A malformed label is read as admission
// reads it (restricted, latest) and err says so.
func Enforce(labels map[string]string) (lv api.LevelVersion, ok bool, err error) {
	if _, set := labels[api.EnforceLevelLabel]; !set {
		return lv, false, nil
	}
	p, errs := api.PolicyToEvaluate(labels, api.Policy{
		Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: api.LatestVersion()},
	})
	return p.Enforce, true, errs.ToAggregate()
}
