// Package waiver lets an operator accept known findings without hiding
// them: a CNI or CSI plugin that runs privileged on purpose, istio-init
// with NET_ADMIN. Two kinds of group rtaudit.dev, version v1alpha1, hold
// the rules: a namespaced Waiver (pods of its own namespace) and a
// cluster-scoped ClusterWaiver (pods of the namespaces it lists, all when
// it lists none). Their CRDs are deploy/crds/rtaudit.dev_waivers.yaml and
// rtaudit.dev_clusterwaivers.yaml; TestCRDsMatchSpec keeps the Go types and
// the schemas from drifting apart.
//
// A waiver never waives more than it says:
//   - it names its containers by image (exact, a prefix ending in "*", or a
//     digest matched against the running image's ImageRef), and by name
//     too when it gives one: a container name alone is spoofable;
//   - it lists the checks it accepts, each a registered check;
//   - allow.capabilities accepts a capabilities finding only when every
//     capability it adds is listed; allow.values only a finding whose
//     Actual is listed;
//   - a podSelector matches only pods whose labels are known (from the
//     declared source), never annotations: a pod cannot waive itself;
//   - it expires, when it says so, and an expired waiver waives nothing
//     and leaves a note in the report.
//
// A waived finding stays in the report with Finding.Waiver set; renderers
// decide what to show and --fail-on ignores it.
//
// Apply is pure: no I/O, no clock. The package must not import agent/cli,
// agent/report, agent/cri, agent/declared or k8s.io/client-go: callers
// pass pod labels in as a function.
package waiver
