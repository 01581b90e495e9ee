// Package expect turns a declared pod spec, or a container's own CRI config,
// into what the kernel should show for that container's processes, following
// the kubelet's semantics (container securityContext over pod securityContext
// field by field, seccomp precedence, capabilities as the runtime's
// documented default set + add - drop) and the CRI runtimes' documented
// defaults.
//
// It is pure logic: no I/O. It may import probes for the kernel's record
// shapes (probes.CapSet) but must not import the agent's runtime, scan or
// checks packages.
package expect
