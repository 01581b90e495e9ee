package checks

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-mounts: the volumes the pod declares (volumeMounts joined with
// hostPath volumes; readOnly) → CRI mounts[] (host_path, container_path,
// readonly) → OCI mounts[] (bind source, destination, "ro"/"rro" option:
// containerd internal/cri/opts withMounts) → /proc/<pid>/mountinfo.
//
// Drift, at the first layer that shows it, keyed by container path:
//   - a mount that hands the node to the container and that no hostPath
//     volume of the same kind declares at that path: a container runtime
//     socket (critical whatever its mode: connect(2) ignores a read-only
//     mount), the host's root filesystem or one of its control directories
//     (/etc, /var/lib/kubelet, …; critical read-write, high read-only). In
//     mountinfo a socket is recognised by the name of the file bound (Root),
//     the host's filesystem by Subject.HostRoot (skipped when unknown);
//   - a sysfs mounted read-write in a container that is not privileged
//     (runc mounts it ro; a process with every capability and /sys rw is
//     privileged's finding, not this one; one below a volume declared
//     readOnly is readonly-volumes', which names the volume): high;
//   - a mount declared readOnly that is read-write: high for a hostPath,
//     medium for another volume.
//
// A declared hostPath of the same kind is not drift: whether a pod may
// have it is admission policy (Pod Security baseline forbids hostPath),
// not a difference between layers, so nothing is reported. Nothing is
// judged when no expectation is known (an undeclared container whose
// runtime does not expose its CRI config).
func init() {
	register(Check{
		ID:          HostMounts,
		Severity:    Critical,
		Rationale:   "A runtime socket, the host's root filesystem or a writable /sys in a container is control of the node.",
		Remediation: "Remove the mount or declare it as a hostPath volume under admission policy; find what added it (runtime config, CRI override, hook) or remounted it.",
		Evaluate:    evalHostMounts,
	})
}

const hostMountsCheck = HostMounts

// runtimeSockets are the file names of the CRI and Docker sockets.
var runtimeSockets = []string{"containerd.sock", "crio.sock", "docker.sock", "cri-dockerd.sock", "dockershim.sock", "podman.sock"}

// nodeDirs are host directories whose bind mount hands over the node.
var nodeDirs = []string{
	"/", "/boot", "/etc", "/etc/kubernetes", "/proc", "/root", "/run", "/sys", "/var/run",
	"/run/containerd", "/run/crio", "/run/docker", "/var/run/containerd", "/var/run/crio", "/var/run/docker",
	"/var/lib/containerd", "/var/lib/containers", "/var/lib/docker", "/var/lib/etcd", "/var/lib/kubelet",
}

// hostKind names what a host path is when it is sensitive, "" otherwise.
func hostKind(hostPath string) string {
	if hostPath == "" {
		return ""
	}
	p := path.Clean(hostPath)
	if slices.Contains(runtimeSockets, path.Base(p)) {
		return "runtime socket " + path.Base(p)
	}
	if slices.Contains(nodeDirs, p) {
		return "host path " + p
	}
	return ""
}

func isSocketKind(kind string) bool { return strings.HasPrefix(kind, "runtime socket ") }

// mountKind names what a process's mount is when it is sensitive: a
// socket by the name of the file bound (never inside a kubelet-managed
// volume, where a socket is another container's), a directory of the
// host's root filesystem through HostRoot.
func mountKind(s *Subject, m probes.Mount) string {
	if m.MountPoint == "/" || strings.Contains(m.Root, "/kubernetes.io~") {
		return ""
	}
	if slices.Contains(runtimeSockets, path.Base(m.Root)) {
		return "runtime socket " + path.Base(m.Root)
	}
	if hp, ok := hostPathOf(s.HostRoot, m); ok && slices.Contains(nodeDirs, hp) {
		return "host path " + hp
	}
	return ""
}

// hostMountJudge holds what every layer is judged against.
type hostMountJudge struct {
	s          *Subject
	declared   *expect.Expectation
	privileged bool
	done       map[string]bool // container paths already reported at a higher layer
	fs         []Finding
}

func evalHostMounts(s *Subject) []Finding {
	b := s.baseline()
	if b == nil {
		return nil
	}
	j := &hostMountJudge{s: s, declared: b, privileged: b.Privileged, done: map[string]bool{}}
	if c := s.criView(); c != nil {
		j.privileged = c.Privileged // a privileged CRI config is privileged's finding
		for _, m := range c.Mounts {
			j.judge(LayerCRI, nil, "mounts["+m.ContainerPath+"]", m.ContainerPath, hostKind(m.HostPath), m.ReadOnly, m.HostPath)
		}
		j.close()
	}
	if s.OCI != nil {
		bnd, _, _ := ociCaps(s.OCI)
		for _, m := range s.OCI.Mounts {
			ro := mountOptionsReadOnly(m.Options)
			dst := path.Clean(m.Destination)
			if m.Type == "sysfs" {
				if !ro && !j.privileged && bnd&s.Defaults.All() != s.Defaults.All() {
					j.sysfs(LayerOCI, nil, "mounts["+dst+"]", dst)
				}
				continue
			}
			kind := ""
			if isBind(m) {
				kind = hostKind(m.Source)
			}
			j.judge(LayerOCI, nil, "mounts["+dst+"]", dst, kind, ro, m.Source)
		}
		j.close()
	}
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		vis := s.visibleMountsOf(p.Mounts)
		for _, mp := range slices.Sorted(maps.Keys(vis)) {
			m := vis[mp]
			if m.FSType == "sysfs" {
				if !m.ReadOnly && !j.privileged && p.Caps.Bounding&s.Defaults.All() != s.Defaults.All() {
					j.sysfs(LayerProcess, p, "mountinfo:"+mp, mp)
				}
				continue
			}
			j.judge(LayerProcess, p, "mountinfo:"+mp, mp, mountKind(s, m), m.ReadOnly, m.Root)
		}
	}
	return j.fs
}

func isBind(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

// judge one mount at a container path; kind is its sensitive kind ("" if
// none), what names its source in messages.
func (j *hostMountJudge) judge(layer Layer, p *probes.Process, field, at, kind string, ro bool, what string) {
	if j.done[at] {
		return
	}
	decl, declared := j.declared.MountAt(at)
	if kind != "" && !(declared && decl.HostPath != "" && hostKind(decl.HostPath) == kind) {
		sev := Critical
		mode := "read-write"
		if ro {
			mode = "read-only"
			if !isSocketKind(kind) {
				sev = High
			}
		}
		msg := fmt.Sprintf("%s mounts the %s %s at %s (source %s), which no hostPath volume of %s declares there", where(layer, p), kind, mode, at, what, j.s.source())
		j.add(layer, p, sev, field, "no "+kind, kind+" "+mode, msg)
		return
	}
	if declared && decl.ReadOnly && !ro {
		sev := Medium
		if decl.HostPath != "" {
			sev = High
		}
		msg := fmt.Sprintf("%s has %s read-write where %s declares it readOnly", where(layer, p), at, j.s.source())
		j.add(layer, p, sev, field, "ro", "rw", msg)
	}
}

func (j *hostMountJudge) sysfs(layer Layer, p *probes.Process, field, at string) {
	if d, ok := j.declared.MountAt(at); ok && d.HostPath != "" && !d.ReadOnly {
		return // a declared read-write hostPath /sys
	}
	if belowReadonlyVolume(j.declared.Mounts, at) {
		return // a submount of a read-only volume: readonly-volumes names it with the volume
	}
	msg := fmt.Sprintf("%s has sysfs read-write at %s in a container %s does not declare privileged", where(layer, p), at, j.s.source())
	j.add(layer, p, High, field, "ro", "rw", msg)
}

func (j *hostMountJudge) add(layer Layer, p *probes.Process, sev Severity, field, want, got, msg string) {
	pid := 0
	if p != nil {
		pid = p.PID
	}
	j.fs = append(j.fs, j.s.finding(hostMountsCheck, sev, layer, pid, field, want, got, msg))
}

// close marks the container paths reported so far: lower layers inherit
// those drifts and are not judged again for them.
func (j *hostMountJudge) close() {
	for _, f := range j.fs {
		_, at, _ := strings.Cut(f.Field, "[")
		j.done[strings.TrimSuffix(at, "]")] = true
	}
}
