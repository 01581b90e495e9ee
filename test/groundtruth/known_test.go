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
			"Both are right for what they were given.",
	},
	{
		key: "mount./dev/termination-log", kubelet: "* rw", launcher: "-",
		applies: always,
		why: "the kubelet bind-mounts a per-container file from its pod directory at terminationMessagePath " +
			"(default /dev/termination-log), read-write; the launcher does not implement termination messages.",
	},
	{
		key: "mount./etc/hosts", kubelet: "* rw", launcher: "* ro",
		applies: readOnlyRoot,
		why: "the kubelet sends its own managed hosts file as a read-write CRI mount (makeHostsMount, ReadOnly false) " +
			"for every pod with an IP; the launcher sends none, so containerd adds the sandbox's hosts file itself, " +
			"read-only when readOnlyRootFilesystem is set. The kubelet is right; the launcher should send the mount.",
	},
}

func always(*corev1.Pod) bool { return true }

func readOnlyRoot(pod *corev1.Pod) bool {
	for _, c := range pod.Spec.Containers {
		if sc := c.SecurityContext; sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
			return true
		}
	}
	return false
}

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
