package checks

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// hostVolume mounts the host's / at /host, read-only with recursion mode
// rec, the way each layer shows it: the CRI asks recursive_read_only when
// cri, the OCI spec says "rro" when oci; below it, in the kernel, a sysfs
// and a tmpfs, read-only when kernelRO (what "rro" gives).
func hostVolume(rec corev1.RecursiveReadOnlyMode, cri, oci, kernelRO bool) func(*testing.T, *Subject) {
	return func(t *testing.T, s *Subject) {
		s.Declared.Mounts = append(s.Declared.Mounts, expect.Mount{ContainerPath: "/host", HostPath: "/", ReadOnly: true, Recursive: rec})
		s.CRI.Mounts = append(s.CRI.Mounts, &runtimeapi.Mount{ContainerPath: "/host", HostPath: "/", Readonly: true, RecursiveReadOnly: cri})
		opt := "ro"
		if oci {
			opt = "rro"
		}
		s.OCI.Mounts = append(s.OCI.Mounts, specs.Mount{Destination: "/host", Type: "bind", Source: "/", Options: []string{"rbind", "rprivate", opt}})
		for _, p := range s.Processes {
			top := hostRoot
			top.ID, top.ParentID, top.MountPoint, top.ReadOnly, top.Options = 200, 73, "/host", true, []string{"ro"}
			sys := probes.Mount{ID: 201, ParentID: 200, Root: "/", MountPoint: "/host/sys", FSType: "sysfs", Source: "sysfs", ReadOnly: kernelRO, SuperOptions: []string{"rw"}}
			tmp := probes.Mount{ID: 202, ParentID: 200, Root: "/", MountPoint: "/host/run", FSType: "tmpfs", Source: "tmpfs", ReadOnly: kernelRO, SuperOptions: []string{"rw"}}
			p.Mounts = append(p.Mounts, top, sys, tmp)
		}
	}
}

// dataVolume is a read-only emptyDir at /data with a tmpfs below it.
func dataVolume(t *testing.T, s *Subject) {
	s.Declared.Mounts = append(s.Declared.Mounts, expect.Mount{ContainerPath: "/data", ReadOnly: true})
	for _, p := range s.Processes {
		p.Mounts = append(p.Mounts,
			probes.Mount{ID: 300, ParentID: 73, Root: "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/data", MountPoint: "/data", FSType: "ext4", Source: "/dev/vda", ReadOnly: true},
			probes.Mount{ID: 301, ParentID: 300, Root: "/", MountPoint: "/data/cache", FSType: "tmpfs", Source: "tmpfs"})
	}
}

func init() {
	fixtures[ReadonlyVolumes] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "as declared: a read-only token volume without submounts"},
			{name: "recursiveReadOnly: Enabled all the way down", mut: hostVolume(corev1.RecursiveReadOnlyEnabled, true, true, true)},
			{name: "IfPossible, and possible", mut: hostVolume(corev1.RecursiveReadOnlyIfPossible, true, true, true)},
			{name: "a read-write volume declared below the read-only one", mut: func(t *testing.T, s *Subject) {
				dataVolume(t, s)
				s.Declared.Mounts = append(s.Declared.Mounts, expect.Mount{ContainerPath: "/data/cache"})
			}},
			{name: "no mount table", mut: func(t *testing.T, s *Subject) {
				hostVolume("", false, false, false)(t, s)
				for _, p := range s.Processes {
					p.Mounts = nil
				}
			}},
		},
		fail: []fixture{
			{name: "readOnly alone: host / with a writable /sys below", mut: hostVolume("", false, false, false), layer: LayerCRI, severity: High},
			{name: "readOnly alone: an emptyDir with a writable tmpfs below", mut: dataVolume, layer: LayerCRI, severity: Medium},
			{name: "IfPossible on a runtime that cannot", mut: hostVolume(corev1.RecursiveReadOnlyIfPossible, false, false, false), layer: LayerCRI, severity: Info},
			{name: "Enabled, lost in the CRI config", mut: hostVolume(corev1.RecursiveReadOnlyEnabled, false, false, false), layer: LayerCRI, severity: High},
			{name: "Enabled, lost in the OCI spec (containerd 1.6 ignores the field)", mut: hostVolume(corev1.RecursiveReadOnlyEnabled, true, false, false), layer: LayerOCI, severity: High},
			{name: "Enabled all the way, a writable submount in the kernel", mut: hostVolume(corev1.RecursiveReadOnlyEnabled, true, true, false), layer: LayerProcess, severity: High, pid: 4242},
		},
	}
}

// TestReadonlyVolumesNamesEverySubmount: one finding per volume naming
// every writable submount and the remedy; host-mounts leaves the writable
// sysfs below the volume to it (one fact, one finding).
func TestReadonlyVolumesNamesEverySubmount(t *testing.T) {
	s := good(t)
	hostVolume("", false, false, false)(t, s)
	// secret-host-paths also reports host / (it reaches the kubelet's
	// secrets): another fact. host-mounts must say nothing of the sysfs.
	fs := slices.DeleteFunc(Evaluate(s), func(f Finding) bool { return f.Check == SecretHostPaths })
	if len(fs) != 1 || fs[0].Check != ReadonlyVolumes {
		t.Fatalf("findings %+v, want one readonly-volumes", fs)
	}
	for _, want := range []string{"/host/run (tmpfs)", "/host/sys (sysfs)", "recursiveReadOnly: Enabled"} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q lacks %q", fs[0].Message, want)
		}
	}
	// The same writable sysfs without a read-only volume above it is
	// host-mounts'.
	s = good(t)
	for _, p := range s.Processes {
		p.Mounts = append(p.Mounts, probes.Mount{ID: 201, ParentID: 73, Root: "/", MountPoint: "/hostsys", FSType: "sysfs", Source: "sysfs"})
	}
	if fs := Evaluate(s); len(fs) != 1 || fs[0].Check != HostMounts {
		t.Errorf("findings %+v, want one host-mounts", fs)
	}
}
