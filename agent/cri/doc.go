// Package cri discovers pod sandboxes and containers through the CRI
// socket of the container runtime (containerd, CRI-O), the way the kubelet
// sees them: pod identity from the kubelet's labels, the container's PID,
// its CRI config and its OCI runtime spec from the verbose status.
//
// Dial finds and checks the socket (DefaultEndpoints under a host root);
// Client.Snapshot lists everything, Client.ContainerByID re-reads one
// container, Client.Watch reports lifecycle events (streamed, or polled
// when the runtime cannot stream). Every call is bounded by the client's
// timeout, and errors say what to do (ErrPermission, ErrNotCRI, ...).
//
// The verbose documents differ by runtime (see testdata/README.md):
// containerd's has the CRI ContainerConfig under "config", CRI-O's has none
// but reports "privileged". Both put "pid" and "runtimeSpec" there.
//
// It must not import the probes package or the checks: discovery only. It
// speaks CRI over gRPC and never shells out to crictl.
package cri
