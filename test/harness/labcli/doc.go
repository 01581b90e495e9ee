// Package labcli implements the labctl commands over package harness. It is
// test tooling: product packages must not import it.
package labcli
