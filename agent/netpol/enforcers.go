package netpol

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/probes"
)

// Enforcer is a NetworkPolicy agent running on the node.
type Enforcer struct {
	// Name is the project ("calico", "cilium", "kube-router", …).
	Name string
	PID  int
	// Exe is the executable, as /proc/<pid>/exe shows it.
	Exe string
	// Cgroup is the process's first cgroup path (which pod or service
	// runs it).
	Cgroup string
}

func (e Enforcer) String() string {
	return fmt.Sprintf("%s (pid %d, %s)", e.Name, e.PID, e.Exe)
}

// knownEnforcers maps executable names to the projects whose NetworkPolicy
// controllers they are.
var knownEnforcers = map[string]string{
	"calico-node":           "calico",
	"calico-felix":          "calico",
	"felix":                 "calico",
	"cilium-agent":          "cilium",
	"kube-router":           "kube-router",
	"antrea-agent":          "antrea",
	"kube-network-policies": "kube-network-policies",
	"weave-npc":             "weave-npc",
	"ovnkube":               "ovn-kubernetes",
}

// capNetAdmin is CAP_NET_ADMIN's bit: programming netfilter or eBPF needs it.
const capNetAdmin = 12

// FindEnforcers lists the policy agents running on the node. A process
// counts when its executable (/proc/<pid>/exe, which a process cannot
// change, unlike its name or arguments) is a known agent, it is in the
// host's network namespace (an agent in a namespace of its own filters
// nothing of the node's pods) and it holds CAP_NET_ADMIN. A kube-router
// started with --run-firewall=false enforces nothing and is left out.
// What the agent's executable really is cannot be proven from /proc: a
// privileged host-network pod could run a binary of that name. Processes
// that vanish or cannot be read are skipped; the error is for the listing
// only.
func FindEnforcers(fs probes.FS, host probes.Namespaces) ([]Enforcer, error) {
	pids, err := fs.PIDs()
	if err != nil {
		return nil, err
	}
	var out []Enforcer
	for _, pid := range pids {
		exe, err := fs.Exe(pid)
		if err != nil {
			continue // a kernel thread, gone, or not ours to read
		}
		name, ok := knownEnforcers[probes.ExeName(exe)]
		if !ok {
			continue
		}
		ns, err := fs.NamespacesOf(pid, probes.NSNet)
		if err != nil || !ns.Same(host, probes.NSNet) {
			continue
		}
		st, err := fs.Status(pid)
		if err != nil || !st.Caps.Effective.Has(capNetAdmin) {
			continue
		}
		if name == "kube-router" {
			args, err := fs.Cmdline(pid)
			if err != nil || !kubeRouterFirewall(args) {
				continue
			}
		}
		e := Enforcer{Name: name, PID: pid, Exe: exe}
		if cgs, err := fs.Cgroups(pid); err == nil && len(cgs) > 0 {
			e.Cgroup = cgs[0].Path
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Enforcer) int { return a.PID - b.PID })
	return out, nil
}

// kubeRouterFirewall reports whether kube-router's arguments leave its
// network policy controller on (--run-firewall, default true).
func kubeRouterFirewall(args []string) bool {
	on := true
	for i, a := range args {
		a = strings.TrimLeft(a, "-")
		switch {
		case a == "run-firewall":
			on = true
			if i+1 < len(args) && (args[i+1] == "false" || args[i+1] == "true") {
				on = args[i+1] == "true"
			}
		case strings.HasPrefix(a, "run-firewall="):
			on = strings.TrimPrefix(a, "run-firewall=") == "true"
		}
	}
	return on
}

// errNoCNI means no CNI configuration was found.
var errNoCNI = errors.New("no CNI network configuration")
