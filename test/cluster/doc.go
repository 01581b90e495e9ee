// Package cluster runs a real single-node Kubernetes for tests: etcd,
// kube-apiserver and kubelet v1.37.2 (built from the Go module proxy and
// cached outside the repository) on a private containerd, or a private
// CRI-O (Options.Runtime, RTAUDIT_CLUSTER_RUNTIME=crio), started through
// test/harness's Runtime interface. The real kubelet is the ground truth for what reaches CRI,
// so the auditor is never tested only against the harness's own launcher.
//
// It provides Build (build and cache the binaries), Start/Stop (bring the
// cluster up to a Ready node and tear it down completely: processes, mounts,
// the node's interface, host sysctls the kubelet changed), RunMain/Shared
// for TestMain, Extra for a test that needs a second, differently
// configured cluster (Options.SeccompDefault), and small helpers to run
// pods through the API, run the cached kubectl (kubectl debug) and wait
// for ephemeral containers.
//
// It is test infrastructure: product packages (agent/..., probes,
// cmd/rtaudit) must not import it, and it must not import them.
package cluster
