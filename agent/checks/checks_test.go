package checks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// fixture changes the good subject.
type fixture struct {
	name string
	mut  func(t *testing.T, s *Subject)
	// For a fail fixture: the one finding of the check it must produce.
	layer    Layer
	severity Severity
	pid      int
}

// fixtures holds, for every check ID, subjects that pass (no finding of
// that check) and subjects that fail. TestEveryCheckHasFixtures makes sure
// no registered check lacks either.
var fixtures = map[ID]struct{ pass, fail []fixture }{
	NestedNamespaces: {
		pass: []fixture{
			{name: "every process in the container's namespaces"},
			{name: "a shared-pid sidecar's process: same namespaces", mut: func(t *testing.T, s *Subject) {
				s.Processes = append(s.Processes, proc(4300, "sidecar"))
			}},
		},
		fail: []fixture{
			{name: "unshare -r: a user namespace below the container's", mut: func(t *testing.T, s *Subject) {
				s.Processes = append(s.Processes, nestedUserNS(4300))
			}, layer: LayerProcess, severity: Low, pid: 4300},
		},
	},
	"run-as-user": {
		pass: []fixture{
			{name: "as declared"},
			{name: "unset: follows the image user the CRI config carries", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.SecurityContext.RunAsUser = nil
				redeclare(t, s, p)
			}},
			{name: "user namespace: host IDs map back to the declared one", mut: func(t *testing.T, s *Subject) {
				p := s.Processes[0]
				p.UID = probes.IDs{66536, 66536, 66536, 66536}
				p.GID = probes.IDs{68536, 68536, 68536, 68536}
				p.Groups = []uint32{67536, 69536}
				p.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 65536, Length: 65536}}
				p.GIDMap = p.UIDMap
			}},
		},
		fail: []fixture{
			{name: "a process under another user", layer: LayerProcess, severity: Medium, pid: 4243, mut: func(t *testing.T, s *Subject) {
				p := proc(4243, "sh")
				p.UID = probes.IDs{2000, 2000, 2000, 2000}
				s.Processes = append(s.Processes, p)
			}},
		},
	},
	"run-as-group": {
		pass: []fixture{{name: "as declared"}},
		fail: []fixture{
			{name: "CRI config asks for group 0", layer: LayerCRI, severity: High, mut: func(t *testing.T, s *Subject) {
				s.CRI.Linux.SecurityContext.RunAsGroup.Value = 0
			}},
		},
	},
	"supplemental-groups": {
		pass: []fixture{
			{name: "as declared"},
			{name: "Merge: image groups the runtime added", mut: func(t *testing.T, s *Subject) {
				s.OCI.Process.User.AdditionalGids = []uint32{10, 2000, 4000}
				s.Processes[0].Groups = []uint32{10, 2000, 4000}
			}},
		},
		fail: []fixture{
			{name: "Strict: the process has group 0", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.SecurityContext.SupplementalGroupsPolicy = ptr(corev1.SupplementalGroupsPolicyStrict)
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.SupplementalGroupsPolicy = runtimeapi.SupplementalGroupsPolicy_Strict
				s.Processes[0].Groups = []uint32{0, 2000, 4000}
			}},
			{name: "fsGroup missing from the OCI spec (less privilege)", layer: LayerOCI, severity: Info, mut: func(t *testing.T, s *Subject) {
				s.OCI.Process.User.AdditionalGids = []uint32{4000}
			}},
		},
	},
	"run-as-non-root": {
		pass: []fixture{{name: "as declared"}},
		fail: []fixture{
			{name: "OCI spec runs as root", layer: LayerOCI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				s.OCI.Process.User.UID = 0
			}},
		},
	},
	"capabilities": {
		pass: []fixture{
			{name: "as declared"},
			{name: "root process with the runtime's default set", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.SecurityContext.RunAsUser, p.Spec.SecurityContext.RunAsNonRoot = nil, nil
				p.Spec.Containers[0].SecurityContext.Capabilities = nil
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.RunAsUser.Value = 0
				s.CRI.Linux.SecurityContext.Capabilities = nil
				s.OCI.Process.User.UID = 0
				setOCICaps(s.OCI, capSet(defaults.Capabilities...))
				asRoot(s.Processes[0], 0xa80425fb)
				s.Processes[0].GID = probes.IDs{3000, 3000, 3000, 3000}
			}},
		},
		fail: []fixture{
			{name: "OCI bounding set gains SYS_ADMIN", layer: LayerOCI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				setOCICaps(s.OCI, capSet("SYS_ADMIN"))
			}},
		},
	},
	"no-new-privs": {
		pass: []fixture{
			{name: "as declared"},
			{name: "not asserted: a process may set it itself", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = nil
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.NoNewPrivs = false
				s.OCI.Process.NoNewPrivileges = false
			}},
		},
		fail: []fixture{
			{name: "process without no_new_privs", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].NoNewPrivs = false
			}},
		},
	},
	"privileged": {
		pass: []fixture{
			{name: "as declared"},
			{name: "add ALL is not privileged: /sys stays read-only", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Containers[0].SecurityContext.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"ALL"}}
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.Capabilities = &runtimeapi.Capability{AddCapabilities: []string{"ALL"}}
				setOCICaps(s.OCI, defaults.AllCaps)
				s.Processes[0].Caps.Bounding = defaults.AllCaps
			}},
		},
		fail: []fixture{
			{name: "CRI config privileged", layer: LayerCRI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				s.CRI.Linux.SecurityContext.Privileged = true
			}},
		},
	},
	"host-network": {
		pass: []fixture{{name: "as declared"}},
		fail: []fixture{
			{name: "a process in the host's network namespace", layer: LayerProcess, severity: Critical, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Namespaces[probes.NSNet] = hostNS[probes.NSNet]
			}},
		},
	},
	"host-pid": {
		pass: []fixture{
			{name: "as declared"},
			{name: "hostPID declared", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.HostPID = true
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.NamespaceOptions.Pid = runtimeapi.NamespaceMode_NODE
				s.OCI.Linux.Namespaces = slices.DeleteFunc(s.OCI.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.PIDNamespace })
				s.Processes[0].Namespaces[probes.NSPID] = hostNS[probes.NSPID]
			}},
		},
		fail: []fixture{
			{name: "OCI spec without a pid namespace", layer: LayerOCI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				s.OCI.Linux.Namespaces = slices.DeleteFunc(s.OCI.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.PIDNamespace })
			}},
		},
	},
	"host-ipc": {
		pass: []fixture{{name: "as declared"}},
		fail: []fixture{
			{name: "CRI-O: the sandbox options say host IPC", layer: LayerCRI, severity: High, mut: func(t *testing.T, s *Subject) {
				s.CRI = nil
				s.SandboxNamespaces = &runtimeapi.NamespaceOption{Ipc: runtimeapi.NamespaceMode_NODE}
			}},
		},
	},
	"host-users": {
		pass: []fixture{
			{name: "as declared"},
			{name: "hostUsers false honoured", mut: func(t *testing.T, s *Subject) { userns(t, s) }},
		},
		fail: []fixture{
			{name: "hostUsers false but the process is in the host's user namespace", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				userns(t, s)
				s.Processes[0].Namespaces[probes.NSUser] = hostNS[probes.NSUser]
			}},
			{name: "hostUsers false but the user namespace maps the host's root", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				userns(t, s)
				p := s.Processes[0]
				p.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 0, Length: 65536}}
				p.UID = probes.IDs{1000, 1000, 1000, 1000}
			}},
		},
	},
	"readonly-rootfs": {
		pass: []fixture{{name: "as declared"}},
		fail: []fixture{
			{name: "root remounted read-write", layer: LayerProcess, severity: Medium, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Root.ReadOnly = false
			}},
		},
	},
	"seccomp": {
		pass: []fixture{
			{name: "as declared"},
			{name: "Unconfined declared and applied", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.SecurityContext.SeccompProfile.Type = corev1.SeccompProfileTypeUnconfined
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.Seccomp.ProfileType = runtimeapi.SecurityProfile_Unconfined
				s.OCI.Linux.Seccomp = nil
				s.Processes[0].Seccomp = probes.SeccompDisabled
			}},
		},
		fail: []fixture{
			{name: "process without a filter", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Seccomp = probes.SeccompDisabled
			}},
		},
	},
	"proc-mount": {
		pass: []fixture{
			{name: "as declared (masked paths absent on this kernel have no mount)"},
			{name: "HostPaths: /proc/kcore does not exist", mut: func(t *testing.T, s *Subject) {
				s.HostPaths = map[string]bool{"/proc/kcore": false, "/proc/keys": true}
			}},
			{name: "Unmasked declared and applied", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.HostUsers = ptr(false)
				p.Spec.Containers[0].SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount)
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.MaskedPaths, s.CRI.Linux.SecurityContext.ReadonlyPaths = nil, nil
				s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil
				s.Processes[0].Mounts = unmasked(s.Processes[0].Mounts)
			}},
			{name: "the kubelet added thermal_throttle paths", mut: func(t *testing.T, s *Subject) {
				extra := "/sys/devices/system/cpu/cpu0/thermal_throttle"
				s.CRI.Linux.SecurityContext.MaskedPaths = append(s.CRI.Linux.SecurityContext.MaskedPaths, extra)
				s.OCI.Linux.MaskedPaths = append(s.OCI.Linux.MaskedPaths, extra)
			}},
		},
		fail: []fixture{
			{name: "CRI config without masked and readonly paths", layer: LayerCRI, severity: High, mut: func(t *testing.T, s *Subject) {
				s.CRI.Linux.SecurityContext.MaskedPaths, s.CRI.Linux.SecurityContext.ReadonlyPaths = nil, nil
			}},
			{name: "OCI spec lacks /proc/kcore", layer: LayerOCI, severity: High, mut: func(t *testing.T, s *Subject) {
				s.OCI.Linux.MaskedPaths = slices.DeleteFunc(s.OCI.Linux.MaskedPaths, func(p string) bool { return p == "/proc/kcore" })
			}},
			{name: "/proc/sys remounted read-write", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				p := s.Processes[0]
				for i := range p.Mounts {
					if p.Mounts[i].MountPoint == "/proc/sys" {
						p.Mounts[i].ReadOnly = false
					}
				}
			}},
			{name: "/proc/sys unmounted: it lies on the read-write /proc", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = slices.DeleteFunc(s.Processes[0].Mounts, func(m probes.Mount) bool { return m.MountPoint == "/proc/sys" })
			}},
			{name: "/proc/keys unmasked (umount)", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.HostPaths = map[string]bool{"/proc/keys": true}
				s.Processes[0].Mounts = slices.DeleteFunc(s.Processes[0].Mounts, func(m probes.Mount) bool { return m.MountPoint == "/proc/keys" })
			}},
			{name: "Unmasked declared, CRI lists sent (less privilege)", layer: LayerCRI, severity: Info, mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.HostUsers = ptr(false)
				p.Spec.Containers[0].SecurityContext.ProcMount = ptr(corev1.UnmaskedProcMount)
				redeclare(t, s, p)
			}},
		},
	},
	"host-mounts": {
		pass: []fixture{
			{name: "containerd's and the kubelet's standard mounts"},
			{name: "declared hostPath containerd.sock", mut: func(t *testing.T, s *Subject) {
				declareHostPath(t, s, "/run/containerd/containerd.sock", "/run/containerd/containerd.sock", false)
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, probes.Mount{ID: 120, ParentID: 73, Root: "/containerd/containerd.sock",
					MountPoint: "/run/containerd/containerd.sock", FSType: "tmpfs", Source: "tmpfs", SuperOptions: []string{"rw", "mode=755"}})
			}},
			{name: "declared hostPath / read-only", mut: func(t *testing.T, s *Subject) {
				declareHostPath(t, s, "/", "/host", true)
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, hostMount(120, "/", "/host", true))
			}},
			{name: "a sidecar's socket in an emptyDir", mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, probes.Mount{ID: 120, ParentID: 73,
					Root: "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/run/docker.sock", MountPoint: "/var/run/docker.sock", FSType: "ext4", Source: "/dev/vda"})
			}},
			{name: "the root of another disk (a persistent volume)", mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, probes.Mount{ID: 120, ParentID: 73, Root: "/", MountPoint: "/data", FSType: "ext4", Source: "/dev/vdb", SuperOptions: []string{"rw"}})
			}},
			{name: "host root unknown: not judged", mut: func(t *testing.T, s *Subject) {
				s.HostRoot = probes.Mount{}
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, hostMount(120, "/", "/host", false))
			}},
			{name: "privileged declared: /sys read-write", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
				redeclare(t, s, p)
				s.CRI.Linux.SecurityContext.Privileged = true
				s.OCI.Mounts[1].Options = []string{"nosuid"}
				s.Processes[0].Mounts[1].ReadOnly = false
			}},
		},
		fail: []fixture{
			{name: "CRI config binds docker.sock", layer: LayerCRI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: "/var/run/docker.sock", HostPath: "/var/run/docker.sock", Readonly: true})
			}},
			{name: "OCI spec binds containerd.sock", layer: LayerOCI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				s.OCI.Mounts = append(s.OCI.Mounts, specs.Mount{Destination: "/c.sock", Type: "bind", Source: "/run/containerd/containerd.sock", Options: []string{"rbind", "ro"}})
			}},
			{name: "a process sees the host's root read-write", layer: LayerProcess, severity: Critical, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, hostMount(120, "/", "/host", false))
			}},
			{name: "a process sees the host's /etc read-only", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, hostMount(120, "/etc", "/x", true))
			}},
			{name: "a process sees crio.sock (fixture 400's shape)", layer: LayerProcess, severity: Critical, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts = append(s.Processes[0].Mounts, probes.Mount{ID: 121, ParentID: 73, Root: "/crio/crio.sock",
					MountPoint: "/run/crio/crio.sock", FSType: "tmpfs", Source: "tmpfs", Options: []string{"rw"}, SuperOptions: []string{"rw", "mode=755"}})
			}},
			{name: "sysfs read-write in an unprivileged container", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				s.Processes[0].Mounts[1].ReadOnly = false
			}},
			{name: "declared hostPath readOnly, CRI read-write", layer: LayerCRI, severity: High, mut: func(t *testing.T, s *Subject) {
				declareHostPath(t, s, "/srv/data", "/data", true)
				s.CRI.Mounts[len(s.CRI.Mounts)-1].Readonly = false
			}},
			{name: "declared hostPath socket at another path", layer: LayerCRI, severity: Critical, mut: func(t *testing.T, s *Subject) {
				declareHostPath(t, s, "/srv/data", "/var/run/docker.sock", false)
				s.CRI.Mounts[len(s.CRI.Mounts)-1].HostPath = "/var/run/docker.sock"
			}},
			{name: "the service-account token remounted read-write", layer: LayerProcess, severity: Medium, pid: 4242, mut: func(t *testing.T, s *Subject) {
				for i, m := range s.Processes[0].Mounts {
					if m.MountPoint == "/var/run/secrets/kubernetes.io/serviceaccount" {
						s.Processes[0].Mounts[i].ReadOnly = false
					}
				}
			}},
		},
	},
	"undeclared-container": {
		pass: []fixture{
			{name: "declared"},
			{name: "no declared source configured", mut: func(t *testing.T, s *Subject) {
				s.DeclaredFrom, s.Declared = expect.OriginCRI, nil
			}},
		},
		fail: []fixture{
			{name: "the manifest does not know it", layer: LayerCRI, severity: High, mut: func(t *testing.T, s *Subject) {
				s.Declared = nil
			}},
		},
	},
}

// unmasked drops runc's masks and read-only binds from a mount table, as
// for a privileged or Unmasked container.
func unmasked(ms []probes.Mount) []probes.Mount {
	return slices.DeleteFunc(slices.Clone(ms), func(m probes.Mount) bool {
		return m.ParentID == 74 || m.MountPoint == "/sys/firmware"
	})
}

// hostMount is a mount of the host's root filesystem at root.
func hostMount(id int, root, point string, ro bool) probes.Mount {
	m := hostRoot
	m.ID, m.ParentID, m.Root, m.MountPoint, m.ReadOnly = id, 73, root, point, ro
	return m
}

// declareHostPath adds a hostPath volume mounted at point to the pod and
// its CRI and OCI mounts.
func declareHostPath(t *testing.T, s *Subject, hostPath, point string, ro bool) {
	p := goodPod()
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: hostPath}}})
	c := &p.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "host", MountPath: point, ReadOnly: ro})
	redeclare(t, s, p)
	s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: point, HostPath: hostPath, Readonly: ro})
	opts := []string{"rbind", "rprivate", "rw"}
	if ro {
		opts[2] = "ro"
	}
	s.OCI.Mounts = append(s.OCI.Mounts, specs.Mount{Destination: point, Type: "bind", Source: hostPath, Options: opts})
}

func setOCICaps(s *specs.Spec, set probes.CapSet) {
	names := set.Names()
	s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: names, Effective: names, Permitted: names}
}

// userns turns the subject into a hostUsers: false pod mapped at 65536.
func userns(t *testing.T, s *Subject) {
	p := goodPod()
	p.Spec.HostUsers = ptr(false)
	redeclare(t, s, p)
	s.CRI.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD}
	s.OCI.Linux.Namespaces = append(s.OCI.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	pr := s.Processes[0]
	pr.Namespaces[probes.NSUser] = 23
	pr.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 65536, Length: 65536}}
	pr.GIDMap = pr.UIDMap
	pr.UID = probes.IDs{66536, 66536, 66536, 66536}
	pr.GID = probes.IDs{68536, 68536, 68536, 68536}
	pr.Groups = []uint32{67536, 69536}
}

func TestGoodSubjectHasNoFindings(t *testing.T) {
	if fs := Evaluate(good(t)); len(fs) > 0 {
		t.Fatalf("findings on a consistent subject: %+v", fs)
	}
}

func TestEveryCheckHasFixtures(t *testing.T) {
	for _, c := range All() {
		fx, ok := fixtures[c.ID]
		if !ok || len(fx.pass) == 0 || len(fx.fail) == 0 {
			t.Errorf("check %q needs at least one pass and one fail fixture", c.ID)
		}
	}
	for id := range fixtures {
		if _, ok := Get(id); !ok {
			t.Errorf("fixtures for unregistered check %q", id)
		}
	}
}

func TestFixtures(t *testing.T) {
	for id, fx := range fixtures {
		c, ok := Get(id)
		if !ok {
			continue // reported by TestEveryCheckHasFixtures
		}
		for _, f := range fx.pass {
			t.Run(string(id)+"/pass/"+f.name, func(t *testing.T) {
				s := good(t)
				if f.mut != nil {
					f.mut(t, s)
				}
				if fs := c.Evaluate(s); len(fs) > 0 {
					t.Errorf("want no finding, got %+v", fs)
				}
			})
		}
		for _, f := range fx.fail {
			t.Run(string(id)+"/fail/"+f.name, func(t *testing.T) {
				s := good(t)
				f.mut(t, s)
				fs := c.Evaluate(s)
				if len(fs) != 1 {
					t.Fatalf("want 1 finding, got %d: %+v", len(fs), fs)
				}
				got := fs[0]
				if got.Check != id || got.Layer != f.layer || got.Severity != f.severity || got.PID != f.pid {
					t.Errorf("got %s/%s/%s pid %d, want %s/%s/%s pid %d (%s)", got.Check, got.Layer, got.Severity, got.PID, id, f.layer, f.severity, f.pid, got.Message)
				}
				if got.Severity.Valid() == false || got.Field == "" || got.Message == "" || got.ContainerID != "c0ffee" || got.Pod != "web" {
					t.Errorf("incomplete finding %+v", got)
				}
				if c.Severity != got.Severity && severityRank[got.Severity] < severityRank[c.Severity] {
					t.Errorf("finding severity %s above the check's %s", got.Severity, c.Severity)
				}
			})
		}
	}
}

func TestRegistry(t *testing.T) {
	want := []string{"apparmor", "capabilities", "encryption-at-rest", "host-ipc", "host-mounts", "host-network", "host-pid", "host-port", "host-users",
		"id-mappings", "nested-namespaces", "network-policy", "no-new-privs", "privileged", "proc-mount", "pss-level", "readonly-rootfs",
		"readonly-volumes", "run-as-group", "run-as-non-root", "run-as-user", "seccomp", "secret-env", "secret-host-paths", "secret-volumes", "selinux",
		"service-account-token", "supplemental-groups", "sysctls", "undeclared-container", "unused-token"}
	var got []string
	for _, c := range All() {
		if err := validate(c); err != nil {
			t.Error(err)
		}
		got = append(got, string(c.ID))
	}
	if !slices.Equal(got, want) {
		t.Errorf("IDs are a contract: got %v, want %v", got, want)
	}
	for _, bad := range []Check{
		{ID: "", Severity: High, Rationale: "r", Remediation: "r", Evaluate: evalSeccomp},
		{ID: "x", Severity: "severe", Rationale: "r", Remediation: "r", Evaluate: evalSeccomp},
		{ID: "x", Severity: High, Evaluate: evalSeccomp},
		{ID: "x", Severity: High, Rationale: "r", Remediation: "r"},
	} {
		if validate(bad) == nil {
			t.Errorf("validate accepted %+v", bad)
		}
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registering a duplicate ID must panic")
			}
		}()
		register(Check{ID: "seccomp", Severity: High, Rationale: "r", Remediation: "r", Evaluate: evalSeccomp})
	}()
}

func TestFindingJSON(t *testing.T) {
	b, err := json.Marshal(Finding{Check: "c", Severity: Info, Layer: LayerOCI})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"actual", "check", "container", "containerID", "expected", "field", "layer", "message", "namespace", "pid", "pod", "severity"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
}

func TestEvaluateNil(t *testing.T) {
	if fs := Evaluate(nil); fs != nil {
		t.Errorf("%v", fs)
	}
	// A subject with nothing but identity must not panic.
	_ = Evaluate(&Subject{DeclaredFrom: expect.OriginCRI})
	_ = Evaluate(&Subject{DeclaredFrom: "manifest", Processes: []*probes.Process{nil, {PID: 1}}})
}

// want is a finding key for comparisons.
type want struct {
	check    ID
	layer    Layer
	severity Severity
	pid      int
	field    string
}

func keys(fs []Finding) []want {
	var out []want
	for _, f := range fs {
		out = append(out, want{f.Check, f.Layer, f.Severity, f.PID, f.Field})
	}
	return out
}

func expectFindings(t *testing.T, fs []Finding, w ...want) {
	t.Helper()
	got := keys(fs)
	if !slices.Equal(got, w) {
		t.Errorf("findings\n got %+v\nwant %+v", got, w)
		for _, f := range fs {
			t.Logf("  %s", f.Message)
		}
	}
}

func TestLayerAttribution(t *testing.T) {
	for _, tc := range []struct {
		name string
		mut  func(t *testing.T, s *Subject)
		want []want
	}{
		{"cri: the runtime received another user; processes not judged again", func(t *testing.T, s *Subject) {
			s.CRI.Linux.SecurityContext.RunAsUser.Value = 2000
			s.OCI.Process.User.UID = 2000
			s.Processes[0].UID = probes.IDs{2000, 2000, 2000, 2000}
		}, []want{{"run-as-user", LayerCRI, Medium, 0, "run_as_user"}}},
		{"oci: CRI right, the OCI spec wrong", func(t *testing.T, s *Subject) {
			s.OCI.Process.User.UID = 2000
			s.Processes[0].UID = probes.IDs{2000, 2000, 2000, 2000}
		}, []want{{"run-as-user", LayerOCI, Medium, 0, "process.user.uid"}}},
		{"process: only a live process differs", func(t *testing.T, s *Subject) {
			s.Processes[0].UID = probes.IDs{1000, 2000, 2000, 2000}
		}, []want{{"run-as-user", LayerProcess, Medium, 4242, "Uid"}}},
		{"CRI-O: no CRI config, straight to oci", func(t *testing.T, s *Subject) {
			s.CRI = nil
			s.OCI.Process.User.UID = 2000
		}, []want{{"run-as-user", LayerOCI, Medium, 0, "process.user.uid"}}},
		{"declaredFrom cri: no cri layer to judge, processes follow the OCI spec", func(t *testing.T, s *Subject) {
			s.DeclaredFrom, s.Declared = expect.OriginCRI, nil
			s.CRI.Linux.SecurityContext.RunAsUser.Value = 2000
			s.OCI.Process.User.UID = 2000
			s.Processes[0].UID = probes.IDs{2000, 2000, 2000, 2000}
		}, nil},
		{"unset runAsUser follows the image user at each layer", func(t *testing.T, s *Subject) {
			p := goodPod()
			p.Spec.SecurityContext.RunAsUser = nil
			redeclare(t, s, p)
			s.CRI.Linux.SecurityContext.RunAsUser = nil
			s.OCI.Process.User.UID = 1234
			s.Processes[0].UID = probes.IDs{1234, 1234, 1234, 1234}
			s.Processes = append(s.Processes, proc(4300, "sh")) // 1000: not what the OCI spec says
		}, []want{{"run-as-user", LayerProcess, Medium, 4300, "Uid"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good(t)
			tc.mut(t, s)
			expectFindings(t, Evaluate(s), tc.want...)
		})
	}
}

func TestExecRootShell(t *testing.T) {
	// kubectl exec -u 0 into a runAsUser: 1000 container: PID 1 is fine,
	// the shell is the finding.
	s := good(t)
	s.Processes = append(s.Processes, asRoot(proc(5000, "sh"), 0))
	expectFindings(t, Evaluate(s),
		want{"run-as-group", LayerProcess, High, 5000, "Gid"},
		want{"run-as-non-root", LayerProcess, Critical, 5000, "Uid"},
	)

	// Without runAsNonRoot the same shell is a run-as-user finding.
	p := goodPod()
	p.Spec.SecurityContext.RunAsNonRoot = nil
	redeclare(t, s, p)
	expectFindings(t, Evaluate(s),
		want{"run-as-group", LayerProcess, High, 5000, "Gid"},
		want{"run-as-user", LayerProcess, Critical, 5000, "Uid"},
	)
}

func TestCapabilitiesRootAndNonRoot(t *testing.T) {
	// Declared: default set + NET_ADMIN, no runAsUser.
	setup := func(t *testing.T) (*Subject, probes.CapSet) {
		p := goodPod()
		p.Spec.SecurityContext.RunAsUser, p.Spec.SecurityContext.RunAsNonRoot = nil, nil
		p.Spec.Containers[0].SecurityContext.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}
		s := fromPod(t, p)
		s.CRI.Linux.SecurityContext.RunAsUser = nil
		s.CRI.Linux.SecurityContext.Capabilities = &runtimeapi.Capability{AddCapabilities: []string{"NET_ADMIN"}}
		set := capSet(defaults.Capabilities...) | capSet("NET_ADMIN")
		setOCICaps(s.OCI, set)
		s.Processes[0].Caps.Bounding = set
		return s, set
	}
	for _, tc := range []struct {
		name string
		mut  func(s *Subject, set probes.CapSet)
		want []want
	}{
		{"non-root: effective empty, bounding = set; the added NET_ADMIN is not in effect (info)", func(s *Subject, set probes.CapSet) {},
			[]want{{"capabilities", LayerProcess, Info, 4242, "CapEff"}}},
		{"root: effective = permitted = bounding = set", func(s *Subject, set probes.CapSet) {
			s.OCI.Process.User.UID = 0
			asRoot(s.Processes[0], set)
			s.Processes[0].GID = probes.IDs{3000, 3000, 3000, 3000}
		}, nil},
		{"non-root with effective capabilities (file caps): medium", func(s *Subject, set probes.CapSet) {
			s.Processes[0].Caps.Effective = capSet("NET_ADMIN")
			s.Processes[0].Caps.Permitted = capSet("NET_ADMIN")
		}, []want{{"capabilities", LayerProcess, Medium, 4242, "CapEff"}}},
		{"bounding gains SYS_ADMIN: critical", func(s *Subject, set probes.CapSet) {
			s.Processes[0].Caps.Bounding |= capSet("SYS_ADMIN")
		}, []want{{"capabilities", LayerProcess, Critical, 4242, "CapBnd"}}},
		{"ambient capability: high", func(s *Subject, set probes.CapSet) {
			s.Processes[0].Caps.Ambient = capSet("SYS_TIME")
			s.Processes[0].Caps.Bounding |= capSet("SYS_TIME")
			s.Processes[0].Caps.Effective = capSet("SYS_TIME")
			s.Processes[0].Caps.Permitted = capSet("SYS_TIME")
		}, []want{{"capabilities", LayerProcess, High, 4242, "CapEff"}}},
		{"inheritable set not empty (pre-CVE-2022-24769 runtime): medium", func(s *Subject, set probes.CapSet) {
			s.Processes[0].Caps.Inheritable = capSet("NET_ADMIN")
		}, []want{{"capabilities", LayerProcess, Medium, 4242, "CapInh"}}},
		{"root process dropped some: info", func(s *Subject, set probes.CapSet) {
			s.OCI.Process.User.UID = 0
			asRoot(s.Processes[0], set)
			s.Processes[0].GID = probes.IDs{3000, 3000, 3000, 3000}
			s.Processes[0].Caps.Effective = capSet("CHOWN")
		}, []want{{"capabilities", LayerProcess, Info, 4242, "CapEff"}}},
		{"a runtime that adds a capability is caught at the OCI layer, not taken as baseline", func(s *Subject, set probes.CapSet) {
			setOCICaps(s.OCI, set|capSet("SYS_PTRACE"))
			s.Processes[0].Caps.Bounding = set | capSet("SYS_PTRACE")
		}, []want{{"capabilities", LayerOCI, Critical, 0, "process.capabilities.bounding"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, set := setup(t)
			tc.mut(s, set)
			expectFindings(t, Evaluate(s), tc.want...)
		})
	}
}

func TestPrivilegedSuppressesDerived(t *testing.T) {
	// The runtime received privileged: the CRI-layer capabilities drift
	// it implies is not reported again.
	s := good(t)
	s.CRI.Linux.SecurityContext.Privileged = true
	expectFindings(t, Evaluate(s), want{"privileged", LayerCRI, Critical, 0, "privileged"})
	if fs := evalCapabilities(s); len(fs) != 1 || fs[0].Layer != LayerCRI {
		t.Errorf("the capabilities check itself must still see it: %+v", fs)
	}

	// A privileged process (every capability, /sys rw, no filter, no
	// no_new_privs) in a hardened container: one finding.
	s = good(t)
	p := s.Processes[0]
	asRoot(p, defaults.AllCaps)
	p.UID, p.GID = probes.IDs{1000, 1000, 1000, 1000}, probes.IDs{3000, 3000, 3000, 3000}
	p.Seccomp, p.NoNewPrivs = probes.SeccompDisabled, false
	p.Mounts[1].ReadOnly = false
	expectFindings(t, Evaluate(s), want{"privileged", LayerProcess, Critical, 4242, "CapBnd,/sys"})

	// Declared privileged, applied: nothing.
	pod := goodPod()
	pod.Spec.SecurityContext.SeccompProfile = nil
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(true), ReadOnlyRootFilesystem: ptr(true)}
	s = fromPod(t, pod)
	sc := s.CRI.Linux.SecurityContext
	sc.Privileged, sc.NoNewPrivs, sc.Capabilities = true, false, nil
	sc.Seccomp.ProfileType = runtimeapi.SecurityProfile_Unconfined
	setOCICaps(s.OCI, defaults.AllCaps)
	s.OCI.Process.NoNewPrivileges = false
	s.OCI.Linux.Seccomp = nil
	s.OCI.Mounts[1].Options = []string{"nosuid"}
	s.OCI.Linux.MaskedPaths, s.OCI.Linux.ReadonlyPaths = nil, nil // containerd oci.WithPrivileged
	s.Processes[0].Mounts = unmasked(s.Processes[0].Mounts)
	s.Processes[0].Caps.Bounding = defaults.AllCaps
	s.Processes[0].Mounts[1].ReadOnly = false
	s.Processes[0].Seccomp, s.Processes[0].NoNewPrivs = probes.SeccompDisabled, false
	expectFindings(t, Evaluate(s))

	// Under a kubelet with seccompDefault: true the audit was not told of:
	// the CRI config says RuntimeDefault and the runtime applies no filter
	// to a privileged container. Less privilege by declaration only: info.
	sc.Seccomp.ProfileType = runtimeapi.SecurityProfile_RuntimeDefault
	expectFindings(t, Evaluate(s), want{"seccomp", LayerCRI, Info, 0, "seccomp"})
}

func TestLessPrivilegeIsInfo(t *testing.T) {
	s := good(t)
	// Declared Unconfined, but the process filters itself.
	p := goodPod()
	p.Spec.SecurityContext.SeccompProfile = nil
	redeclare(t, s, p)
	s.CRI.Linux.SecurityContext.Seccomp.ProfileType = runtimeapi.SecurityProfile_Unconfined
	s.OCI.Linux.Seccomp = nil
	fs := Evaluate(s)
	expectFindings(t, fs, want{"seccomp", LayerProcess, Info, 4242, "Seccomp"})
	if !strings.Contains(fs[0].Message, "less privilege") {
		t.Errorf("message lacks the reason: %s", fs[0].Message)
	}
}

func TestSeccompDefaultAndCRILayer(t *testing.T) {
	// No profile declared, kubelet --seccomp-default: RuntimeDefault is
	// expected; the CRI config says Unconfined.
	p := goodPod()
	p.Spec.SecurityContext.SeccompProfile = nil
	s := good(t)
	s.Defaults.SeccompDefault = true
	redeclare(t, s, p)
	s.CRI.Linux.SecurityContext.Seccomp.ProfileType = runtimeapi.SecurityProfile_Unconfined
	expectFindings(t, Evaluate(s), want{"seccomp", LayerCRI, High, 0, "seccomp"})

	// Localhost: the CRI carries the kubelet's full path.
	p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr("audit.json")}
	redeclare(t, s, p)
	s.CRI.Linux.SecurityContext.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: "/var/lib/kubelet/seccomp/audit.json"}
	expectFindings(t, Evaluate(s))
	s.CRI.Linux.SecurityContext.Seccomp.LocalhostRef = "/var/lib/kubelet/seccomp/other.json"
	expectFindings(t, Evaluate(s), want{"seccomp", LayerCRI, Medium, 0, "seccomp"})
}

func TestUndeclaredJudgedAgainstCRI(t *testing.T) {
	s := good(t)
	s.Declared = nil
	s.Processes[0].Seccomp = probes.SeccompDisabled
	expectFindings(t, Evaluate(s),
		want{"seccomp", LayerProcess, High, 4242, "Seccomp"},
		want{"undeclared-container", LayerCRI, High, 0, "declaredFrom"},
	)
	// CRI-O: no CRI config either; the OCI spec is all there is.
	s.CRI = nil
	expectFindings(t, Evaluate(s),
		want{"seccomp", LayerProcess, High, 4242, "Seccomp"},
		want{"undeclared-container", LayerCRI, High, 0, "declaredFrom"},
	)
}

func TestSortStable(t *testing.T) {
	fs := []Finding{
		{Container: "b", Check: "a"},
		{Container: "a", Check: "z", PID: 2},
		{Container: "a", Check: "z", PID: 1, Field: "y"},
		{Container: "a", Check: "z", PID: 1, Field: "x"},
		{Container: "a", Check: "c"},
	}
	Sort(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.Container+string(f.Check)+string(rune('0'+f.PID))+f.Field)
	}
	want := []string{"ac0", "az1x", "az1y", "az2", "ba0"}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// TestUsernsMessagesNameHostIDs: in a user namespace, IDs are judged
// inside it, and messages name the host IDs behind them as well.
func TestUsernsMessagesNameHostIDs(t *testing.T) {
	s := good(t)
	userns(t, s)
	sh := asRoot(proc(5000, "sh"), 0)
	sh.UIDMap, sh.GIDMap = s.Processes[0].UIDMap, s.Processes[0].GIDMap
	sh.Namespaces = s.Processes[0].Namespaces
	sh.UID = probes.IDs{65536, 65536, 65536, 65536}
	sh.GID = probes.IDs{65536, 65536, 65536, 65536}
	sh.Groups = []uint32{67536, 69536}
	s.Processes = append(s.Processes, sh)
	fs := Evaluate(s)
	expectFindings(t, fs,
		want{"run-as-group", LayerProcess, High, 5000, "Gid"},
		want{"run-as-non-root", LayerProcess, Critical, 5000, "Uid"},
	)
	for _, f := range fs {
		if f.Actual != "0" && f.Actual != "non-root" {
			t.Errorf("%s: actual %q, want the in-namespace ID", f.Check, f.Actual)
		}
		if !strings.Contains(f.Message, "0 (host 65536)") {
			t.Errorf("%s: message %q does not name the host ID 65536", f.Check, f.Message)
		}
	}
	// The host's identity map adds nothing to messages.
	s = good(t)
	sh = asRoot(proc(5000, "sh"), 0)
	sh.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 0, Length: 4294967295}}
	s.Processes = append(s.Processes, sh)
	for _, f := range Evaluate(s) {
		if strings.Contains(f.Message, "host") {
			t.Errorf("%s: message %q names host IDs without a user namespace", f.Check, f.Message)
		}
	}
	if got := hostNote([]int64{0, 4000, 70000}, []probes.IDMapping{{Inside: 0, Outside: 65536, Length: 65536}}, ","); got != " (host 65536,69536,unmapped)" {
		t.Errorf("hostNote = %q", got)
	}
}

// A privileged ephemeral container (kubectl debug --profile=sysadmin) is
// privileged by declaration: an info finding that says so, no drift.
func TestPrivilegedEphemeralIsInfo(t *testing.T) {
	pod := goodPod()
	pod.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debugger", SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)},
	}}}
	exp, err := expect.FromPod(pod, "debugger", defaults)
	if err != nil {
		t.Fatal(err)
	}
	s := &Subject{Namespace: "prod", Pod: "web", Container: "debugger", DeclaredFrom: "kube-api", Declared: exp, Defaults: defaults}
	var got []Finding
	for _, f := range Evaluate(s) {
		if f.Check == "privileged" {
			got = append(got, f)
		}
	}
	if len(got) != 1 || got[0].Severity != Info || !strings.Contains(got[0].Message, "ephemeral") {
		t.Fatalf("privileged findings %+v, want one info finding naming the ephemeral container", got)
	}
	// The same declaration in a regular container says nothing.
	pod.Spec.Containers[0].SecurityContext.Privileged = ptr(true)
	if exp, err = expect.FromPod(pod, "app", defaults); err != nil {
		t.Fatal(err)
	}
	s.Container, s.Declared = "app", exp
	for _, f := range Evaluate(s) {
		if f.Check == "privileged" {
			t.Errorf("regular privileged container: unexpected %+v", f)
		}
	}
}

// The CRI config must carry exactly the declared groups, except that a pod
// with persistent volume claims may get the volumes' GIDs too.
func TestSupplementalGroupsAtCRI(t *testing.T) {
	for _, tc := range []struct {
		name     string
		pvc      bool
		declared []int64
		cri      []int64
		want     []want
	}{
		{"exact", false, []int64{4000}, []int64{2000, 4000}, nil},
		{"extra root group", false, []int64{4000}, []int64{0, 2000, 4000}, []want{{"supplemental-groups", LayerCRI, High, 0, "supplemental_groups"}}},
		{"none declared, root group sent", false, nil, []int64{0, 2000}, []want{{"supplemental-groups", LayerCRI, High, 0, "supplemental_groups"}}},
		{"a volume's GID with a PVC", true, []int64{4000}, []int64{2000, 4000, 5555}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := goodPod()
			p.Spec.SecurityContext.SupplementalGroups = tc.declared
			if tc.pvc {
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "data", VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}})
			}
			s := fromPod(t, p)
			s.CRI.Linux.SecurityContext.SupplementalGroups = tc.cri
			var got []Finding
			for _, f := range Evaluate(s) {
				if f.Check == "supplemental-groups" && f.Layer == LayerCRI {
					got = append(got, f)
				}
			}
			expectFindings(t, got, tc.want...)
		})
	}
}

func TestUndeclaredGroup(t *testing.T) {
	procs := []*probes.Process{{PID: 20, Comm: "sh"}, {PID: 21, Comm: "sleep"}}
	f := UndeclaredGroup(HiddenGroup{Namespaces: []string{"net:50", "pid:60"}, Processes: procs})
	if f.Check != UndeclaredContainer || f.Severity != High || f.PID != 20 || f.Container != "" ||
		!strings.Contains(f.Message, "sh(20), sleep(21) live in pid:60") {
		t.Errorf("anonymous group: %+v", f)
	}
	entered := &Owner{ID: "c1", Namespace: "ns", Pod: "p", Container: "app"}
	f = UndeclaredGroup(HiddenGroup{Namespaces: []string{"pid:60"}, Processes: procs, Entered: entered})
	if f.ContainerID != "c1" || f.Pod != "p" || !strings.Contains(f.Message, "nsenter") {
		t.Errorf("entered group: %+v", f)
	}
	task := &Owner{ID: "t1", Namespace: "containerd:default", Container: "t1"}
	f = UndeclaredGroup(HiddenGroup{Namespaces: []string{"host namespaces"}, Processes: procs[:1], Task: task})
	if f.ContainerID != "t1" || !strings.Contains(f.Message, `containerd namespace "default"`) {
		t.Errorf("task: %+v", f)
	}
}

// nestedUserNS is a uid-1000 process of the container that ran unshare -r:
// root with every capability in a user namespace of its own, whose
// uid_map maps its 0 to the host's (and container's) 1000.
func nestedUserNS(pid int) *probes.Process {
	p := proc(pid, "unshare")
	p.Namespaces[probes.NSUser] = 4026533999
	p.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 1000, Length: 1}}
	p.GIDMap = []probes.IDMapping{{Inside: 0, Outside: 3000, Length: 1}}
	all := probes.CapSet(0x1ffffffffff)
	p.Caps = probes.Capabilities{Effective: all, Permitted: all, Bounding: 0}
	p.NoNewPrivs = true
	return p
}

// TestNestedUserNamespaceIsNoDrift: a process in a user namespace nested
// below the container's is judged in the container's terms: its IDs are
// the container's 1000, its full capability sets count only inside its
// own namespace; only the nesting is reported, low.
func TestNestedUserNamespaceIsNoDrift(t *testing.T) {
	s := good(t)
	s.InitPID = 4242
	n := nestedUserNS(4300)
	n.Caps.Bounding = s.Processes[0].Caps.Bounding
	s.Processes = append(s.Processes, n)
	fs := Evaluate(s)
	expectFindings(t, fs, want{NestedNamespaces, LayerProcess, Low, 4300, "namespaces"})
	if len(fs) == 1 && !strings.Contains(fs[0].Message, "uid 1000") {
		t.Errorf("message %q does not give the container's uid 1000", fs[0].Message)
	}

	// A real escalation inside one is still caught: host root.
	esc := nestedUserNS(4400)
	esc.Namespaces[probes.NSUser] = 4026534000
	esc.UID = probes.IDs{0, 0, 0, 0}
	esc.UIDMap = []probes.IDMapping{{Inside: 0, Outside: 0, Length: 1}}
	esc.Caps.Bounding = s.Processes[0].Caps.Bounding
	s.Processes = append(s.Processes, esc)
	found := false
	for _, f := range Evaluate(s) {
		if f.PID == 4400 && (f.Check == RunAsUser || f.Check == RunAsNonRoot) && f.Severity == Critical && f.Actual == "0" {
			found = true
		}
	}
	if !found {
		t.Errorf("a host-root process in a nested user namespace is not a critical run-as-user finding: %+v", Evaluate(s))
	}

	// Its sets, bounding included, are its namespace's: full, as the
	// kernel makes them there (seen live: CapBnd 0x1ffffffffff).
	full := nestedUserNS(4500)
	full.Caps.Bounding = 0x1ffffffffff
	s.Processes = []*probes.Process{s.Processes[0], full}
	if fs := Evaluate(s); slices.ContainsFunc(fs, func(f Finding) bool { return f.Check == Capabilities }) {
		t.Errorf("a nested process's own full sets taken for drift: %+v", fs)
	}
}
