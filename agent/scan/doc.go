// Package scan is the audit as a library call: it joins CRI discovery
// (agent/runtime), the kernel's truth (probes) and the declared pod specs
// (agent/declared), runs the checks and returns a Report. The CLI and the
// long-running agent are thin callers of it.
//
// It must not print or exit: output belongs to agent/report and agent/cli.
package scan
