package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// sysctls: the pod's securityContext.sysctls → the sandbox's CRI config
// linux.sysctls → the sandbox's OCI spec linux.sysctl (runtimes set them
// on the pause container; every container shares its network and IPC
// namespaces) → the value in the container's namespaces (/proc/sys read
// after setns into the init's network, IPC and UTS namespaces). Reported:
// a declared sysctl missing or with another value at a layer; a sysctl a
// layer adds that nothing declares; and a sysctl in effect outside the
// kubelet's safe set (pkg/kubelet/sysctl/safe_sysctls.go, v1.37: the
// kubelet runs those only with --allowed-unsafe-sysctls; they are not
// isolated from other pods or the node).
//
// Not decidable: a namespaced sysctl nobody declared that a process of the
// pod changed itself (it needs CAP_NET_ADMIN in the pod's namespaces) or
// that the runtime set (containerd 2 sets ip_unprivileged_port_start and
// ping_group_range on every sandbox): a new namespace's defaults are the
// kernel's, not the host's, and differ between kernels, so only the
// declared and the layered ones are compared.
func init() {
	register(Check{
		ID:          Sysctls,
		Severity:    High,
		Rationale:   "A sysctl changes the kernel for the pod's namespaces, and an unsafe one for other pods or the node.",
		Remediation: "Declare the sysctls the pod needs in securityContext.sysctls, keep to the kubelet's safe set, and find what set the others (runtime config, a hook, a privileged process).",
		Evaluate:    evalSysctls,
	})
}

// SysctlView is a pod's sysctls, name → value, at each layer; a nil map
// is a layer not known. Err says why the kernel's values could not be
// read (no CAP_SYS_ADMIN to join the namespaces).
type SysctlView struct {
	CRI, OCI, Kernel map[string]string
	Err              string
}

// safeSysctls is the kubelet's safe set (v1.37; all namespaced on this
// project's kernels, 5.15 and later).
var safeSysctls = []string{
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem", "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat",
}

// runtimeSysctls are what containerd puts in every sandbox's OCI spec
// that is not on the host network and sets neither itself
// (enable_unprivileged_ports and enable_unprivileged_icmp, on by default
// since containerd 2.0: internal/cri/server/podsandbox
// sandbox_run_linux.go). It adds them to the CRI config's own map when the
// pod has sysctls, so its verbose status shows them at the cri layer too.
var runtimeSysctls = map[string]string{"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}

// SafeSysctl reports whether the kubelet allows a sysctl by default.
func SafeSysctl(name string) bool { return slices.Contains(safeSysctls, dotted(name)) }

// dotted is a sysctl name in dot form ("net/ipv4/conf/eth0.1/rp_filter"
// → "net.ipv4.conf.eth0/1.rp_filter", as the kubelet converts it).
func dotted(name string) string {
	if !strings.Contains(name, "/") {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, name)
}

// lookup finds name in m, whatever form either uses.
func lookup(m map[string]string, name string) (string, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if dotted(k) == dotted(name) {
			return v, true
		}
	}
	return "", false
}

func evalSysctls(s *Subject) []Finding {
	v := s.Sysctls
	if v == nil {
		return nil
	}
	var declared map[string]string
	if s.Declared != nil {
		declared = s.Declared.Sysctls
	} else {
		declared = v.CRI // judged against its own CRI config
	}
	judgeCRI := s.Declared != nil && s.DeclaredFrom != expect.OriginCRI
	var fs []Finding
	reported := map[string]bool{}
	add := func(layer Layer, pid int, name, want, got, msg string, sev Severity) {
		reported[dotted(name)] = true
		fs = append(fs, s.finding(Sysctls, sev, layer, pid, "sysctls["+name+"]", want, got, msg))
	}
	layers := []struct {
		layer Layer
		vals  map[string]string
		judge bool
		where string
	}{
		{LayerCRI, v.CRI, judgeCRI && v.CRI != nil, "the sandbox's CRI config"},
		{LayerOCI, v.OCI, v.OCI != nil, "the sandbox's OCI spec"},
	}
	for _, name := range sortedKeys(declared) {
		want := probes.NormalizeSysctl(declared[name])
		for _, l := range layers {
			if !l.judge || reported[dotted(name)] {
				continue
			}
			if got, ok := lookup(l.vals, name); !ok || probes.NormalizeSysctl(got) != want {
				shown := "unset"
				if ok {
					shown = probes.NormalizeSysctl(got)
				}
				add(l.layer, 0, name, want, shown, fmt.Sprintf("%s has sysctl %s %s where %s declares %q", l.where, name, quoted(shown, ok), s.source(), want), Medium)
			}
		}
		if got, ok := lookup(v.Kernel, name); ok && !reported[dotted(name)] && got != want {
			init := s.init()
			pid := 0
			if init != nil {
				pid = init.PID
			}
			add(LayerProcess, pid, name, want, got, fmt.Sprintf("the pod's namespaces have sysctl %s = %q where %s declares %q (changed after the sandbox started: a process with CAP_NET_ADMIN or CAP_SYS_ADMIN in them)", name, got, s.source(), want), Medium)
		}
	}
	// Sysctls a layer adds.
	for _, l := range layers {
		if !l.judge {
			continue
		}
		for _, name := range sortedKeys(l.vals) {
			if _, ok := lookup(declared, name); ok || reported[dotted(name)] {
				continue
			}
			if runtimeSysctls[name] == probes.NormalizeSysctl(l.vals[name]) {
				continue // the runtime's documented default
			}
			sev := Medium
			if !SafeSysctl(name) {
				sev = High
			}
			add(l.layer, 0, name, "unset", probes.NormalizeSysctl(l.vals[name]), fmt.Sprintf("%s sets sysctl %s = %q, which %s does not declare%s", l.where, name, probes.NormalizeSysctl(l.vals[name]), s.source(), unsafeNote(name)), sev)
		}
	}
	// Declared unsafe sysctls, in effect.
	for _, name := range sortedKeys(declared) {
		if SafeSysctl(name) || reported[dotted(name)] {
			continue
		}
		add(LayerCRI, 0, name, "a safe sysctl", probes.NormalizeSysctl(declared[name]), fmt.Sprintf("the pod sets sysctl %s = %q%s", name, probes.NormalizeSysctl(declared[name]), unsafeNote(name)), Low)
	}
	return fs
}

func unsafeNote(name string) string {
	if SafeSysctl(name) {
		return ""
	}
	return ", outside the kubelet's safe set (allowed only with --allowed-unsafe-sysctls: it is not isolated from other pods or the node)"
}

func quoted(v string, ok bool) string {
	if !ok {
		return "unset"
	}
	return "= " + fmt.Sprintf("%q", v)
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
