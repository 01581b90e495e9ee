package checks

import (
	"fmt"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// undeclared-container: a declared source (kube-api, manifest) is
// configured but does not know this container (the other checks then judge
// it against its own CRI config); or processes live in pid or network
// namespaces no CRI container accounts for (/proc/<pid>/ns/pid, ns/net):
// a task of another containerd namespace, an unshare or nsenter hideout
// (UndeclaredGroup).
func init() {
	register(Check{
		ID:          UndeclaredContainer,
		Severity:    High,
		Rationale:   "A container no declared pod spec accounts for was started around the kubelet or the API server: nothing vetted its security context.",
		Remediation: "Find who created it (crictl/ctr, a static pod outside the manifests, another kubelet) and remove it or declare it.",
		Evaluate:    evalUndeclared,
	})
}

func evalUndeclared(s *Subject) []Finding {
	if !s.undeclared() {
		return nil
	}
	why := ""
	if s.DeclaredFrom == expect.OriginKubeAPI {
		why = " (deleted from the API while still running, or created behind the kubelet's back)"
	}
	return []Finding{s.finding(UndeclaredContainer, High, LayerCRI, 0, "declaredFrom", string(s.DeclaredFrom), "none",
		fmt.Sprintf("the %s source does not declare container %q of pod %s/%s%s; judged against its own CRI config", s.DeclaredFrom, s.Container, s.Namespace, s.Pod, why))}
}

// HiddenGroup is a group of processes the CRI does not account for, found
// by the scan's hidden-process search: they live in pid or network
// namespaces no CRI container has.
type HiddenGroup struct {
	// Namespaces are the group's non-host namespaces ("net:N", "pid:N"),
	// sorted; "host namespaces" for a task in the host's.
	Namespaces []string
	// Processes are the group's processes, oldest first (not empty).
	Processes []*probes.Process
	// Entered is the CRI container whose namespaces the group entered
	// without its cgroup (nsenter), when there is one.
	Entered *Owner
	// Task is the container of another containerd namespace the group
	// belongs to, when the runtime says so.
	Task *Owner
	// Made is the runtime that made the group, when the node says so
	// (a runc or crun state directory, a containerd shim, a conmon).
	Made *RuntimeOwner
}

// RuntimeOwner names a container by the runtime that made it: Runtime
// ("runc", "crun", "containerd", "cri-o"), Instance (the state root, the
// containerd socket), Namespace (containerd's), ID, Bundle, Created, and
// Evidence (what says so: "state.json", "shim", "conmon").
type RuntimeOwner struct{ Runtime, Instance, Namespace, ID, Bundle, Created, Evidence string }

func (o *RuntimeOwner) String() string {
	s := fmt.Sprintf("container %q of %s", o.ID, o.Runtime)
	if o.Instance != "" {
		s += fmt.Sprintf(" at %q", o.Instance)
	}
	if o.Namespace != "" {
		s += fmt.Sprintf(" (namespace %q)", o.Namespace)
	}
	if o.Bundle != "" {
		s += fmt.Sprintf(", bundle %q", o.Bundle)
	}
	if o.Created != "" {
		s += ", created " + o.Created
	}
	return s + " (from its " + o.Evidence + ")"
}

// Owner names a container.
type Owner struct{ ID, Namespace, Pod, Container string }

// UndeclaredGroup is the undeclared-container finding of a hidden group, on
// its oldest process.
func UndeclaredGroup(g HiddenGroup) Finding {
	first := g.Processes[0]
	names := make([]string, 0, len(g.Processes))
	for _, p := range g.Processes {
		names = append(names, fmt.Sprintf("%s(%d)", p.Comm, p.PID))
	}
	procs := strings.Join(names, ", ")
	f := Finding{
		Check: UndeclaredContainer, Severity: registry[UndeclaredContainer].Severity, Layer: LayerProcess,
		PID: first.PID, Field: "namespaces", Expected: "a container the CRI knows", Actual: strings.Join(g.Namespaces, ","),
	}
	switch {
	case g.Entered != nil:
		o := g.Entered
		f.Namespace, f.Pod, f.Container, f.ContainerID = o.Namespace, o.Pod, o.Container, o.ID
		f.Message = fmt.Sprintf("process(es) %s entered the namespaces of this container but not its cgroup: started behind the runtime's back (nsenter?)", procs)
	case g.Task != nil:
		o := g.Task
		f.Namespace, f.Container, f.ContainerID = o.Namespace, o.Container, o.ID
		f.Message = fmt.Sprintf("container %s of containerd namespace %q, invisible to the CRI and the kubelet: process(es) %s", o.ID, strings.TrimPrefix(o.Namespace, "containerd:"), procs)
	case g.Made != nil:
		f.ContainerID = g.Made.ID
		f.Message = fmt.Sprintf("%s, invisible to the CRI and the kubelet: process(es) %s in %s", g.Made, procs, label(g.Namespaces))
	default:
		f.Message = fmt.Sprintf("process(es) %s live in %s, not the host's, and belong to no container the CRI knows (unshare? another runtime?)", procs, label(g.Namespaces))
	}
	return f
}

// label names a group by its pid namespace, else its first one.
func label(keys []string) string {
	for _, k := range keys {
		if strings.HasPrefix(k, "pid:") {
			return k
		}
	}
	return keys[0]
}
