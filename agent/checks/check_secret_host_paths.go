package checks

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// secret-host-paths: hostPath volumes (volumeMounts joined with volumes;
// the CRI config's mounts for an undeclared container) and the binds of
// the host's filesystem in /proc/<pid>/mountinfo (through
// Subject.HostRoot) → the host paths that hold other pods' secrets: the
// kubelet's pod volumes (/var/lib/kubelet/pods/*/volumes, tmpfs mounts of
// every secret on the node), the kubelet's own directory (its credentials,
// pki), /etc/kubernetes (the control plane's certificates and
// kubeconfigs), /var/lib/etcd (every secret of the cluster, unencrypted
// unless encryption at rest is on) and any directory above them (/,
// /var, /var/lib).
//
// Declared or not: a declared hostPath is admission policy, yet it still
// hands every secret on the node to the container, which is what this
// check reports (high; host-mounts reports the undeclared ones too). The
// kubelet's own binds of the pod's directory (/var/lib/kubelet/pods/<uid>/
// etc-hosts, containers/, volumes/) are the pod's and are not reported.
func init() {
	register(Check{
		ID:          SecretHostPaths,
		Severity:    High,
		Rationale:   "A hostPath reaching /var/lib/kubelet, /etc/kubernetes, /var/lib/etcd or the host's root gives the container every secret mounted on the node, the kubelet's and the control plane's credentials.",
		Remediation: "Mount only the host directory the workload needs (never an ancestor of /var/lib/kubelet/pods), or move the workload to a node without other pods' secrets; keep hostPath out of Pod Security baseline namespaces.",
		Evaluate:    evalSecretHostPaths,
	})
}

// secretDirs are the host directories that hold other pods' or the
// cluster's secrets.
var secretDirs = []string{"/var/lib/kubelet", "/etc/kubernetes", "/var/lib/etcd"}

// secretReach names what a host path reaches, "" when nothing: an
// ancestor of (or) a secret directory, or a path inside one, except the
// kubelet's per-pod directories (a pod's own binds) that are not its
// volumes' parent.
func secretReach(hostPath string) string {
	if hostPath == "" || !path.IsAbs(hostPath) {
		return ""
	}
	p := path.Clean(hostPath)
	for _, d := range secretDirs {
		switch {
		case p == d || p == "/" || strings.HasPrefix(d, p+"/"):
			return d
		case strings.HasPrefix(p, d+"/"):
			if d == "/var/lib/kubelet" && strings.HasPrefix(p, "/var/lib/kubelet/pods/") {
				// pods/<uid>/…: another pod's volumes only at
				// pods/<uid> or pods/<uid>/volumes and above.
				rest := strings.Split(strings.TrimPrefix(p, "/var/lib/kubelet/pods/"), "/")
				if len(rest) == 1 || len(rest) == 2 && rest[1] == "volumes" {
					return p
				}
				return ""
			}
			return d
		}
	}
	return ""
}

func evalSecretHostPaths(s *Subject) []Finding {
	b := s.baseline()
	if b == nil {
		return nil
	}
	var out []Finding
	done := map[string]bool{} // container paths reported
	add := func(pid int, field, at, hostPath, reach string, ro bool, how string) {
		if done[at] {
			return
		}
		done[at] = true
		mode := "read-write"
		if ro {
			mode = "read-only"
		}
		msg := fmt.Sprintf("%s: host path %s is mounted %s at %s and reaches %s, where the node keeps other pods' or the cluster's secrets", how, hostPath, mode, at, reach)
		out = append(out, s.finding(SecretHostPaths, High, LayerProcess, pid, field, "no host path reaching "+reach, hostPath+" "+mode, msg))
	}
	for _, m := range b.Mounts {
		if r := secretReach(m.HostPath); r != "" {
			how := "a hostPath volume of " + s.source()
			if s.Declared == nil {
				how = "a mount of the CRI config"
			}
			add(s.InitPID, "mounts["+m.ContainerPath+"]", m.ContainerPath, m.HostPath, r, m.ReadOnly, how)
		}
	}
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		vis := s.visibleMountsOf(p.Mounts)
		for _, mp := range slices.Sorted(maps.Keys(vis)) {
			m := vis[mp]
			if strings.Contains(m.Root, "/kubernetes.io~") {
				continue // a volume of the pod
			}
			hp, ok := hostPathOf(s.HostRoot, m)
			if !ok {
				continue
			}
			if r := secretReach(hp); r != "" {
				add(p.PID, "mountinfo:"+mp, mp, hp, r, m.ReadOnly, where(LayerProcess, p))
			}
		}
	}
	return out
}
