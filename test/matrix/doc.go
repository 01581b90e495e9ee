// Package matrix holds the pod matrix: the pod specs that cover the
// kubelet's security translation field by field (users and groups,
// capabilities, no-new-privs, setuid, privileged, read-only root, host
// namespaces, seccomp). The same specs are launched by the harness's
// launcher (test/integration) and by a real kubelet (test/groundtruth), and
// the audit must give no finding on any of them except the listed drifts.
//
// It is test data: it imports only Kubernetes API types and a YAML decoder,
// never the product (agent/..., probes) nor the harness, so both test
// tiers can share it.
package matrix
