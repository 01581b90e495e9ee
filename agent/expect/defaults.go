package expect

import (
	"strconv"
	"strings"

	"github.com/moby/sys/capability"

	"github.com/rtaudit/rtaudit/probes"
)

// RuntimeDefaults is what a CRI runtime does to a container the pod spec says
// nothing about. Capabilities is the runtime's documented default set, never
// one read from a container's own OCI spec: a runtime that adds capabilities
// would otherwise set its own baseline and hide the drift.
type RuntimeDefaults struct {
	Name    string // "containerd", "cri-o"
	Version string
	// Capabilities is the default set for a root process, canonical names
	// ("CAP_CHOWN"). Override it for a deliberately customised runtime
	// (containerd base_runtime_spec, CRI-O default_capabilities).
	Capabilities []string
	// AllCaps is what "ALL" and privileged mean: every capability the
	// host kernel knows. The scan should set it from the host
	// (cap_last_cap); DefaultsFor fills in every capability
	// github.com/moby/sys/capability knows.
	AllCaps probes.CapSet
	// SeccompDefault is the kubelet's --seccomp-default: RuntimeDefault
	// instead of Unconfined when no seccompProfile is declared.
	SeccompDefault bool
}

// containerdCaps is containerd's default set (pkg/oci/spec.go
// defaultUnixCaps, the same in 1.x and 2.x, Docker's historical list):
// 14 capabilities, 0xa80425fb.
var containerdCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// crioCaps is CRI-O's default set since v1.18.0 (cri-o/cri-o#3119 dropped
// NET_RAW and SYS_CHROOT; internal/config/capabilities Default()):
// 9 capabilities, 0x5fb.
var crioCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL",
}

// crioCapsBefore118 is CRI-O's default set before v1.18.0.
var crioCapsBefore118 = append(append([]string{}, crioCaps...), "CAP_NET_RAW", "CAP_SYS_CHROOT")

// DefaultsFor returns the documented defaults of a runtime by the name and
// version its CRI Version call reports ("containerd" "v2.4.2", "cri-o"
// "1.34.0"). An unknown runtime gets containerd's set, which is also
// Docker's and the widest of the two.
func DefaultsFor(runtimeName, version string) RuntimeDefaults {
	d := RuntimeDefaults{Name: runtimeName, Version: version, AllCaps: KnownCaps()}
	d.Capabilities = containerdCaps
	if d.IsCRIO() {
		d.Capabilities = crioCaps
		if major, minor, ok := majorMinor(version); ok && major == 1 && minor < 18 {
			d.Capabilities = crioCapsBefore118
		}
	}
	d.Capabilities = append([]string(nil), d.Capabilities...)
	return d
}

// DefaultCaps is the default set as a bitmap; names it does not know are
// returned too (a typo in an override must not pass silently).
func (d RuntimeDefaults) DefaultCaps() (probes.CapSet, []string) {
	return probes.ParseCapNames(d.Capabilities)
}

// IsCRIO reports whether the runtime is CRI-O, by the name its CRI
// Version call gives ("cri-o"; "crio" in some builds).
func (d RuntimeDefaults) IsCRIO() bool {
	return strings.EqualFold(d.Name, "cri-o") || strings.EqualFold(d.Name, "crio")
}

// All is what "ALL" and privileged mean: AllCaps, or every capability
// github.com/moby/sys/capability knows when the scan left it zero.
func (d RuntimeDefaults) All() probes.CapSet {
	if d.AllCaps == 0 {
		return KnownCaps()
	}
	return d.AllCaps
}

// KnownCaps is every capability github.com/moby/sys/capability knows.
func KnownCaps() probes.CapSet {
	var s probes.CapSet
	for _, c := range capability.ListKnown() {
		if c >= 0 && c < 64 {
			s |= 1 << uint(c)
		}
	}
	return s
}

// majorMinor parses "v1.17.3", "1.34.0-dev" and the like.
func majorMinor(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(strings.TrimPrefix(strings.TrimSpace(v), "v"), ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	return major, minor, err1 == nil && err2 == nil
}
