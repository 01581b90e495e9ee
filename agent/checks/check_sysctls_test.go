package checks

import (
	"strings"
	"testing"
)

// withSysctls declares sysctls on the good subject and shows them at every
// layer as declared; the fixtures then change one layer.
func withSysctls(decl map[string]string, mut func(v *SysctlView)) func(*testing.T, *Subject) {
	return func(t *testing.T, s *Subject) {
		s.Declared.Sysctls = decl
		clone := func() map[string]string {
			m := map[string]string{}
			for k, v := range decl {
				m[k] = v
			}
			return m
		}
		v := &SysctlView{CRI: clone(), OCI: clone(), Kernel: clone()}
		if mut != nil {
			mut(v)
		}
		s.Sysctls = v
	}
}

var podSysctls = map[string]string{"net.ipv4.ip_local_port_range": "40000 40100", "kernel.shm_rmid_forced": "1"}

func init() {
	fixtures[Sysctls] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "no sysctls"},
			{name: "declared, as declared at every layer", mut: withSysctls(podSysctls, nil)},
			{name: "the kernel prints tabs", mut: withSysctls(map[string]string{"net.ipv4.tcp_rmem": "4096 87380 6291456"}, func(v *SysctlView) {
				v.Kernel["net.ipv4.tcp_rmem"] = "4096 87380 6291456"
				v.OCI["net.ipv4.tcp_rmem"] = "4096\t87380\t6291456"
			})},
			{name: "slash form in the spec, dot form below", mut: withSysctls(map[string]string{"net/ipv4/ip_local_port_range": "40000 40100"}, func(v *SysctlView) {
				v.CRI = map[string]string{"net.ipv4.ip_local_port_range": "40000 40100"}
			})},
			{name: "containerd 2's defaults in the sandbox's OCI spec", mut: withSysctls(nil, func(v *SysctlView) {
				v.OCI = map[string]string{"net.ipv4.ip_unprivileged_port_start": "0", "net.ipv4.ping_group_range": "0 2147483647"}
			})},
			{name: "containerd 2's defaults in the CRI config it reports, beside declared ones", mut: withSysctls(podSysctls, func(v *SysctlView) {
				v.CRI["net.ipv4.ip_unprivileged_port_start"], v.CRI["net.ipv4.ping_group_range"] = "0", "0 2147483647"
			})},
			{name: "kernel values unreadable (no CAP_SYS_ADMIN)", mut: withSysctls(podSysctls, func(v *SysctlView) { v.Kernel, v.Err = nil, "needs CAP_SYS_ADMIN" })},
		},
		fail: []fixture{
			{name: "the CRI config lost one", mut: withSysctls(podSysctls, func(v *SysctlView) { delete(v.CRI, "kernel.shm_rmid_forced") }), layer: LayerCRI, severity: Medium},
			{name: "the OCI spec has another value", mut: withSysctls(podSysctls, func(v *SysctlView) { v.OCI["net.ipv4.ip_local_port_range"] = "1024 65535" }), layer: LayerOCI, severity: Medium},
			{name: "changed in the pod's namespace after start", mut: withSysctls(podSysctls, func(v *SysctlView) { v.Kernel["kernel.shm_rmid_forced"] = "0" }), layer: LayerProcess, severity: Medium, pid: 4242},
			{name: "the runtime adds an unsafe one", mut: withSysctls(nil, func(v *SysctlView) { v.OCI = map[string]string{"net.core.somaxconn": "4096"} }), layer: LayerOCI, severity: High},
			{name: "the CRI config adds a safe one", mut: withSysctls(nil, func(v *SysctlView) { v.CRI = map[string]string{"net.ipv4.tcp_syncookies": "0"} }), layer: LayerCRI, severity: Medium},
			{name: "an unsafe sysctl declared and in effect", mut: withSysctls(map[string]string{"net.core.somaxconn": "4096"}, nil), layer: LayerCRI, severity: Low},
		},
	}
}

func TestSysctlsMessages(t *testing.T) {
	s := good(t)
	withSysctls(podSysctls, func(v *SysctlView) { v.Kernel["net.ipv4.ip_local_port_range"] = "1024 65535" })(t, s)
	fs := evalSysctls(s)
	if len(fs) != 1 || !strings.Contains(fs[0].Message, `"1024 65535"`) || fs[0].Field != "sysctls[net.ipv4.ip_local_port_range]" {
		t.Errorf("findings %+v", fs)
	}
	for _, tc := range []struct {
		name string
		safe bool
	}{{"net.ipv4.tcp_syncookies", true}, {"net/ipv4/tcp_syncookies", true}, {"net.core.somaxconn", false}, {"kernel.msgmax", false}} {
		if SafeSysctl(tc.name) != tc.safe {
			t.Errorf("SafeSysctl(%s) = %v", tc.name, !tc.safe)
		}
	}
}
