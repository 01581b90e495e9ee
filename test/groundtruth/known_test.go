package groundtruth

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// knownDifference is a way the kernel state the kubelet produces differs
// from the launcher's for the same manifest, explained. Values are
// "<fstype> <ro|rw>" ("*" for any fstype; the host's filesystem decides)
// or "-" for no such mount. A known difference must show, exactly, on
// every pod it applies to, so the list cannot go stale.
type knownDifference struct {
	key               string
	kubelet, launcher string
	applies           func(pod *corev1.Pod) bool
	why               string
}

var knownDifferences = []knownDifference{
	{
		key: "mount./var/run/secrets/kubernetes.io/serviceaccount", kubelet: "tmpfs ro", launcher: "-",
		applies: always,
		why: "the API server's ServiceAccount admission adds the projected token volume (automountServiceAccountToken " +
			"defaults to true) and the kubelet mounts it read-only; the launcher gets the manifest without admission. " +
			"Both are right for what they were given. The launcher does not emulate admission on purpose: a token volume " +
			"it made up would be a mount the manifest (the audit's declaration in lab tests) does not declare.",
	},
}

func always(*corev1.Pod) bool { return true }

// matchValue tells whether a kernel value matches a known difference's
// pattern: "-" for absent, else fstype ("*" for any) and the ro/rw flag.
func matchValue(pattern, v string) bool {
	if pattern == "-" || v == "-" {
		return pattern == v
	}
	pf, pflags, _ := strings.Cut(pattern, " ")
	vf, vflags, _ := strings.Cut(v, " ")
	if pf != "*" && pf != vf {
		return false
	}
	return strings.Split(pflags, ",")[0] == strings.Split(vflags, ",")[0]
}
