// Package reports keeps the node agent's audit results in the cluster as
// policy reports: OpenReports (openreports.io/v1alpha1 Report and
// ClusterReport, through the reports-api clientset) or their predecessor
// wgpolicyk8s.io/v1alpha2 (PolicyReport and ClusterPolicyReport, the same
// shape without the report-level source, through the dynamic client).
//
// Objects. One Report per audited Pod, "rtaudit-<pod UID>" in the pod's
// namespace, scoped to and owned by the Pod (garbage-collected with it);
// one ClusterReport per node, "rtaudit-node-<node>", scoped to the Node,
// for what belongs to no audited pod (tasks of other containerd
// namespaces, hideouts, sandboxes the API does not know). All carry
// app.kubernetes.io/managed-by=rtaudit and rtaudit.dev/node=<node>.
//
// Results. One per finding: policy and source "rtaudit", rule the check
// ID, fail for critical and high, warn for medium and low, skip (with
// properties.waiver) when waived; info findings (less privilege than
// declared) are left out. A container that could not be audited is an
// error result without a rule. Properties: container, containerID, layer,
// field, expected, actual, pid (absent for the whole container); namespace
// and pod in the node's report. Results are ordered most severe first, then
// by check, container and PID. The timestamp is when that result (rule,
// container, PID, field, layer) was first seen, carried over from the
// object as last written or read: it does not change from one audit to the
// next. Summary: fail, warn, skip and error count results; pass counts the
// (container, check) pairs audited (every registered check × the
// containers audited) that have no fail, warn or skip result, so a clean
// pod's report says pass > 0, and a pod not audited has no report.
//
// Hostile text. Messages and property values come from containers: they
// are stored as JSON string values only, made valid UTF-8 and capped at
// MaxText bytes; an object's results are capped at 512 KiB (the most severe
// kept, the summary still counting all). Object names and label values
// derive only from pod UIDs and the node name.
//
// Load. A Writer writes only what changed since it last wrote or read an
// object, adopts the reports a previous agent left (by its node label) and
// deletes those of pods no longer audited, all under a per-node write rate
// limit: the API load follows change, not time.
//
// It turns a scan.Report into objects and must not scan, probe, print or
// talk to a runtime: it must not import agent/cri, agent/cli, agent/report
// or probes.
package reports
