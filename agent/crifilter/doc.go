// Package crifilter is the agent's read-only gate to the container runtime.
// Whoever holds a runtime's socket can start a privileged container: the
// node. So in the DaemonSet only this small server, in a container of its
// own with no capability, no network listener and no API token, holds the
// socket, and forwards to it only the read calls the audit makes (Allowed);
// everything else is refused with PermissionDenied. The agent, which parses
// /proc and container-controlled data, serves HTTP and talks to the API
// server, reaches the runtime only through it.
//
// It forwards messages as opaque bytes: it parses nothing a container
// controls. It must not import the rest of rtaudit.
package crifilter
