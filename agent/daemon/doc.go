// Package daemon is `rtaudit agent`: the long-running node auditor of the
// DaemonSet. It is a thin caller of agent/scan, like the CLI: it decides
// when to scan (a container started, a resync), against which declared
// specs (the pod informer once synced, else the CRI configs), and where the
// result goes (logs of new and resolved findings, Prometheus metrics,
// Reports in the cluster). It never judges anything itself.
//
// It must not import agent/cli; the audit lives in agent/scan and the
// checks in agent/checks.
package daemon
