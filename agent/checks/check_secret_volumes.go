package checks

import (
	"fmt"

	"github.com/rtaudit/rtaudit/probes"
)

// secret-volumes: the pod spec's secret and projected volumes mounted by
// the container (volumeMounts joined with volumes) → /proc/<pid>/mountinfo
// at the mount path. The kubelet writes their data to a tmpfs of its own
// (so secrets never reach the node's disk) and mounts them read-only
// whatever the volumeMount says (the volume plugins' ReadOnly attribute).
//
// Drift, per mount namespace of the container's processes: the mount at
// the path is not a tmpfs (the secret sits on a disk: high), or it is
// read-write (the container can alter what it is given and the kubelet
// would serve that to no one else, but the mount is not what the kubelet
// makes: medium). A mount path with no mount at all (a subPath the
// runtime bound elsewhere, an image path shadowing it) is not judged.
func init() {
	register(Check{
		ID:          SecretVolumes,
		Severity:    High,
		Rationale:   "The kubelet keeps secret volumes on a read-only tmpfs: a secret on a disk-backed or writable mount outlives the pod on the node's disk or can be altered.",
		Remediation: "Find what replaced or remounted the secret volume (runtime config, a hook, a privileged process in the pod) and let the kubelet mount it.",
		Evaluate:    evalSecretVolumes,
	})
}

func evalSecretVolumes(s *Subject) []Finding {
	if s.Declared == nil || s.Declared.Secrets.Empty() {
		return nil
	}
	var out []Finding
	seen := map[uint64]bool{} // mount namespaces judged
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if mnt := p.Namespaces[probes.NSMnt]; mnt != 0 {
			if seen[mnt] {
				continue
			}
			seen[mnt] = true
		}
		vis := s.visibleMountsOf(p.Mounts)
		for _, v := range s.Declared.Secrets.Volumes {
			m, ok := vis[v.ContainerPath]
			if !ok {
				continue
			}
			field := "mountinfo:" + v.ContainerPath
			switch {
			case m.FSType != "tmpfs":
				msg := fmt.Sprintf("%s has the %s volume %s at %s on %s (source %s), not on the kubelet's tmpfs: its secret data sits on a disk", where(LayerProcess, p), v.Kind, v.Volume, v.ContainerPath, m.FSType, m.Source)
				out = append(out, s.finding(SecretVolumes, High, LayerProcess, p.PID, field, "tmpfs", m.FSType, msg))
			case !m.ReadOnly:
				msg := fmt.Sprintf("%s has the %s volume %s at %s read-write; the kubelet mounts secret data read-only", where(LayerProcess, p), v.Kind, v.Volume, v.ContainerPath)
				out = append(out, s.finding(SecretVolumes, Medium, LayerProcess, p.PID, field, "ro", "rw", msg))
			}
		}
	}
	return out
}
