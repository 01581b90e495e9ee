// Package atrest tells whether a control-plane node's kube-apiserver
// encrypts Secrets at rest: its --encryption-provider-config (from its
// command line, read inside its root), whether that config covers
// secrets with a first provider other than identity, and a proof read
// from etcd with the API server's own client certificate (one raw key
// under /registry/secrets/, checked for the k8s:enc: prefix; its value is
// never kept).
//
// It must not import the scan, checks or report packages.
package atrest
