// Package integration runs real pods on a private containerd (test/harness)
// and checks the kernel state of their processes. It has tests only; it must
// not import the product packages it would be proving (agent/..., probes):
// kernel state is read here with its own small readers.
package integration
