// Package e2e deploys rtaudit as users do, on the real single-node cluster
// of test/cluster: the image built in Go and imported into the node's
// containerd, `kubectl apply -k deploy/`, the agent's pod made from the
// DaemonSet's template (the test cluster runs no controller manager, so the
// test does what the DaemonSet controller would), then drifting, waived and
// compliant pods, judged through the Reports in the API and /metrics.
//
// kind.sh is the same demo on a kind cluster, for hosts with Docker.
package e2e
