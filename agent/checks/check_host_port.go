package checks

import (
	"fmt"
)

// host-port: containers[].ports (containerPort, hostPort) of the pod →
// the sockets listening in the host's network namespace
// (/proc/<pid>/net/tcp{,6}, udp{,6} read through a process in that
// namespace) held by the container's processes (socket inodes of
// /proc/<pid>/fd). A container process listening on the node's addresses
// on a port no container of the pod declares is an undeclared service on
// the node, outside what Services, NetworkPolicies (which never apply to
// hostNetwork pods) and the cluster's port inventory know: medium. Judged
// only against a declared spec (a CRI config carries no ports) and only
// for sockets in the host's network namespace: a pod's own namespace is
// its own business, and a hostPort of a pod network is a CNI DNAT rule,
// not a socket.
func init() {
	register(Check{
		ID:          HostPort,
		Severity:    Medium,
		Rationale:   "A container process listening in the host's network namespace on an undeclared port is a service on the node that no Service, NetworkPolicy or inventory knows of.",
		Remediation: "Declare the port in the container's ports (hostNetwork: containerPort = hostPort), bind it to loopback, or take the pod off the host network.",
		Evaluate:    evalHostPort,
	})
}

func evalHostPort(s *Subject) []Finding {
	if s.Declared == nil || s.Exposure == nil {
		return nil
	}
	var out []Finding
	seen := map[string]bool{}
	for _, l := range s.Exposure.HostListeners {
		if s.Declared.Declares(l.Proto, l.Port) {
			continue
		}
		key := fmt.Sprint(l.PID, l.Listener.String())
		if seen[key] {
			continue
		}
		seen[key] = true
		msg := fmt.Sprintf("process %d (%s) listens on %s in the host's network namespace; no container of the pod declares %s port %d",
			l.PID, l.Comm, l.Listener.String(), l.Proto, l.Port)
		out = append(out, s.finding(HostPort, Medium, LayerProcess, l.PID, "listen:"+l.Listener.String(), "declared ports only", l.Listener.String(), msg))
	}
	return out
}
