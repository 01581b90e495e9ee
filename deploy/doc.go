// Package deploy holds rtaudit's Kubernetes manifests: the kustomize base
// and overlays (containerd, CRI-O, k3s), the CRDs, and the Helm chart in
// helm/rtaudit. Its only Go code besides its test is DaemonSetYAML (the
// kubectl plugin's pods derive from it); the test renders them
// with kubectl kustomize and helm template and holds the agent to least
// privilege: the DaemonSet's security context, its one hostPath (the CRI
// socket) and RBAC that grants nothing beyond what the agent uses.
//
// Like test/harness, the test imports no product code: the manifests are
// checked against this package's own statement of what the agent needs.
package deploy
