// Package netpol tells whether the NetworkPolicies that select this
// node's pods can be, and are, enforced: which CNI configuration the
// runtime uses, which policy agents run on the node (found by their
// executables and checked to sit in the host's network namespace with
// CAP_NET_ADMIN, where an enforcer must be), which policies isolate which
// pod (the API's semantics, as far as one node can decide them), and an
// active proof: short TCP connects between pods of this node from inside
// their network namespaces.
//
// It reads the kernel through probes and may import Kubernetes API types;
// it must not import the scan, checks or report packages.
package netpol
