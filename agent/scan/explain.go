package scan

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// Facts are what a scan judged one audited container on: the subject the
// checks evaluated (CRI config, OCI spec, processes, the host's paths and
// root mount, the declared expectation) and the pod that declares it.
type Facts struct {
	Subject *checks.Subject
	Pod     *corev1.Pod // nil when no declared source declares the container
}

// Explain scans the containers f keeps, as Scan does with Options.Filter
// set to f, and returns the report with the facts behind each audited
// container, by container ID. The facts are those the findings were made
// from, not a second reading. Gone containers and those that could not be
// audited have none (the report lists them).
func (s *Scanner) Explain(ctx context.Context, f Filter) (*Report, map[string]Facts, error) {
	p, err := s.run(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	facts := make(map[string]Facts, len(p.subjects))
	for _, subj := range p.subjects {
		facts[subj.ContainerID] = Facts{Subject: subj, Pod: p.pods[subj.ContainerID]}
	}
	return p.r, facts, nil
}
