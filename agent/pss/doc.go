// Package pss judges pods by the Pod Security Standards from the kernel's
// point of view: the declared pod spec and an observed one (the declared
// spec with every field the kernel shows more privileged replaced by what it
// shows) are both evaluated by the upstream policy checks of
// k8s.io/pod-security-admission, the code Pod Security Admission runs, at
// the cluster's version. It re-implements no policy.
//
// It imports the checks (their findings and subjects say what drifted) and
// no runtime, cluster or output package: it is pure, like agent/checks.
package pss
