// Package plugin is `kubectl rtaudit`, the kubectl plugin (one binary,
// kubectl-rtaudit, on the PATH): node and pod run `rtaudit scan` and
// `rtaudit explain` on a node in a short-lived pod derived from the agent's
// DaemonSet (deploy.DaemonSetYAML: the same securityContext, capabilities,
// hostPID, read-only root and host mounts), stream its output and delete
// it when done, on error and on SIGINT/SIGTERM; report prints the agent's
// Reports (OpenReports) like `rtaudit scan`.
//
// It talks to the API server only (never to a runtime or /proc: that is the
// pod's rtaudit); it uses agent/scan's report types and agent/report's
// table, and must not depend on agent/cli or agent/daemon. Only main calls
// os.Exit.
package plugin
