package pss

import (
	"testing"

	"k8s.io/pod-security-admission/api"
)

// BenchmarkJudge is one pod's levels (declared, observed, enforce) once the
// evaluator exists; BenchmarkEvaluator is building it (once per process).
func BenchmarkJudge(b *testing.B) {
	t := &testing.T{}
	p := Pod{Declared: pod(t, restrictedPod), Containers: []Container{container(t, nil)},
		NamespaceLabels: map[string]string{api.EnforceLevelLabel: "restricted"}}
	if _, err := Judge(p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Judge(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluator(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := policyEvaluator(); err != nil {
			b.Fatal(err)
		}
	}
}
