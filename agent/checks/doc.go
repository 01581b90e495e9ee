// Package checks compares what a container was declared with (agent/expect)
// against what each layer below shows: the CRI config the runtime received,
// the OCI runtime spec it generated, and every live process as /proc shows
// it. Each check lives in its own file, registers itself in init() and is a
// pure function from a Subject to findings; each finding names the layer
// where the drift first appears.
//
// Severities: a drift toward more privilege takes the check's severity
// (critical: privileged, capabilities beyond the declared set when one of
// them is a known path to the node, host-network, host-pid, root for
// run-as-user and run-as-non-root, an undeclared runtime socket or
// read-write host root or control directory (host-mounts); high: other
// added capabilities, no-new-privs, seccomp, host-ipc, host-users,
// run-as-group 0, group 0, undeclared-container, proc-mount (paths left
// unmasked or writable), a read-only host directory, a writable sysfs or a
// readOnly hostPath mounted read-write (host-mounts); medium: another
// non-root ID, extra groups, a writable root, capabilities a non-root
// process gained inside its bounding set, another readOnly volume mounted
// read-write). A drift toward less privilege is info, with the reason in the
// message. Cascades are cut in suppress.go.
//
// It does no I/O and must not import agent/runtime, agent/scan or any CRI
// or /proc client: the scan builds Subjects and calls Evaluate.
package checks
