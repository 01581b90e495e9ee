package checks

import (
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/probes"
)

// secretPod is goodPod with a secret variable, an envFrom secret and a
// secret volume.
func secretPod() *corev1.Pod {
	p := goodPod()
	c := &p.Spec.Containers[0]
	c.Env = []corev1.EnvVar{{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}}}
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db"}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "creds", MountPath: "/etc/creds"})
	return p
}

// withSecrets redeclares s from secretPod, with the secret volume's
// tmpfs in the process's mount table.
func withSecrets(t *testing.T, s *Subject) {
	redeclare(t, s, secretPod())
	p := s.Processes[0]
	p.Mounts = append(append([]probes.Mount(nil), p.Mounts...), probes.Mount{
		ID: 86, ParentID: 73, Root: "/", MountPoint: "/etc/creds", FSType: "tmpfs", Source: "tmpfs", ReadOnly: true,
		Options: []string{"ro"}, SuperOptions: []string{"rw"},
	})
}

// sidecarReader is a process of another container of the pod, same UID.
var sidecarReader = Reader{PID: 5000, Comm: "sh", Namespace: "prod", Pod: "web", Container: "debug", Why: "same UID in a shared pid namespace"}

func init() {
	fixtures[SecretEnv] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "no secret variable"},
			{name: "secret variable nobody else can read", mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				s.Exposure = &Exposure{SecretEnv: map[int][]string{4242: {"DB_PASSWORD"}}}
			}},
			{name: "a reader, but the variable is not in the environment", mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				s.Exposure = &Exposure{EnvReaders: map[int][]Reader{4242: {sidecarReader}}}
			}},
		},
		fail: []fixture{
			{name: "shared process namespace, same UID", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				s.Exposure = &Exposure{SecretEnv: map[int][]string{4242: {"DB_PASSWORD"}}, EnvReaders: map[int][]Reader{4242: {sidecarReader}}}
			}},
			{name: "envFrom secret and a hostPID reader", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api"}}}}
				redeclare(t, s, p)
				s.Exposure = &Exposure{EnvReaders: map[int][]Reader{4242: {{PID: 1, Comm: "agent", Namespace: "ops", Pod: "agent", Container: "a", Why: "host pid namespace with CAP_SYS_PTRACE"}}}}
			}},
		},
	}
	fixtures[SecretVolumes] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "projected token on the kubelet's read-only tmpfs"},
			{name: "secret volume on a read-only tmpfs", mut: withSecrets},
			{name: "mount path not in the mount table", mut: func(t *testing.T, s *Subject) {
				redeclare(t, s, secretPod())
			}},
		},
		fail: []fixture{
			{name: "secret volume on the node's disk", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				ms := s.Processes[0].Mounts
				ms[len(ms)-1].FSType, ms[len(ms)-1].Source = "ext4", "/dev/vda"
			}},
			{name: "secret volume read-write", layer: LayerProcess, severity: Medium, pid: 4242, mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				ms := s.Processes[0].Mounts
				ms[len(ms)-1].ReadOnly = false
			}},
		},
	}
	fixtures[ServiceAccountToken] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "nothing read"},
			{name: "bound projected token expires", mut: func(t *testing.T, s *Subject) {
				s.Exposure = &Exposure{Tokens: map[string]probes.Token{"/var/run/secrets/kubernetes.io/serviceaccount": {JWT: true, Expires: true, Exp: 1893456000}}}
			}},
			{name: "a secret volume whose token file is no JWT", mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				s.Exposure = &Exposure{Tokens: map[string]probes.Token{"/etc/creds": {}}}
			}},
		},
		fail: []fixture{
			{name: "legacy token secret mounted", layer: LayerProcess, severity: High, mut: func(t *testing.T, s *Subject) {
				withSecrets(t, s)
				s.Exposure = &Exposure{Tokens: map[string]probes.Token{"/etc/creds": {JWT: true}}}
			}},
		},
	}
	fixtures[SecretHostPaths] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "the kubelet's own binds of the pod's directory"},
			{name: "a declared hostPath elsewhere", mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
				p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "logs", MountPath: "/logs"})
				redeclare(t, s, p)
			}},
		},
		fail: []fixture{
			{name: "declared hostPath /var/lib/kubelet/pods", layer: LayerProcess, severity: High, mut: func(t *testing.T, s *Subject) {
				p := goodPod()
				p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "pods", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/lib/kubelet/pods"}}})
				p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "pods", MountPath: "/pods", ReadOnly: true})
				redeclare(t, s, p)
			}},
			{name: "undeclared bind of /var in the mount table", layer: LayerProcess, severity: High, pid: 4242, mut: func(t *testing.T, s *Subject) {
				p := s.Processes[0]
				p.Mounts = append(append([]probes.Mount(nil), p.Mounts...), probes.Mount{
					ID: 90, ParentID: 73, Root: "/var", MountPoint: "/mnt/var", FSType: "ext4", Source: "/dev/vda", ReadOnly: true,
					Options: []string{"ro"}, SuperOptions: []string{"rw"},
				})
			}},
		},
	}
	listener := func(port uint16) HeldListener {
		return HeldListener{PID: 4242, Comm: "app", Listener: probes.Listener{Proto: "tcp", Addr: netip.IPv4Unspecified(), Port: port, Inode: 99}}
	}
	hostNetPod := func(t *testing.T, s *Subject) {
		p := goodPod()
		p.Spec.HostNetwork = true
		p.Spec.Containers[0].Ports = []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 8080}}
		redeclare(t, s, p)
	}
	fixtures[HostPort] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "no listener in the host's network namespace"},
			{name: "hostNetwork: listening on the declared port", mut: func(t *testing.T, s *Subject) {
				hostNetPod(t, s)
				s.Exposure = &Exposure{HostListeners: []HeldListener{listener(8080)}}
			}},
		},
		fail: []fixture{
			{name: "hostNetwork: an undeclared listener", layer: LayerProcess, severity: Medium, pid: 4242, mut: func(t *testing.T, s *Subject) {
				hostNetPod(t, s)
				s.Exposure = &Exposure{HostListeners: []HeldListener{listener(8080), listener(2375)}}
			}},
		},
	}
}

func TestSecretReach(t *testing.T) {
	for p, want := range map[string]string{
		"/":                                  "/var/lib/kubelet",
		"/var":                               "/var/lib/kubelet",
		"/var/lib/":                          "/var/lib/kubelet",
		"/var/lib/kubelet":                   "/var/lib/kubelet",
		"/var/lib/kubelet/pki":               "/var/lib/kubelet",
		"/var/lib/kubelet/pods":              "/var/lib/kubelet",
		"/var/lib/kubelet/pods/u2":           "/var/lib/kubelet/pods/u2",
		"/var/lib/kubelet/pods/u2/volumes":   "/var/lib/kubelet/pods/u2/volumes",
		"/var/lib/kubelet/pods/u1/etc-hosts": "",
		"/var/lib/kubelet/pods/u1/volumes/kubernetes.io~secret/x": "",
		"/etc":                "/etc/kubernetes",
		"/etc/kubernetes/pki": "/etc/kubernetes",
		"/var/lib/etcd":       "/var/lib/etcd",
		"/var/log":            "",
		"/etc/ssl":            "",
		"relative/var":        "",
		"":                    "",
	} {
		if got := secretReach(p); got != want {
			t.Errorf("secretReach(%q) = %q, want %q", p, got, want)
		}
	}
}

func init() {
	isolated := func(probes ...NetworkProbe) func(t *testing.T, s *Subject) {
		return func(t *testing.T, s *Subject) {
			s.Exposure = &Exposure{Network: &NetworkEvidence{Ingress: []string{"prod/deny-all"}, CNI: "lab [bridge, portmap] from runtime status", Probes: probes}}
		}
	}
	denied := func(control, outcome string) NetworkProbe {
		return NetworkProbe{Direction: "ingress", Policies: []string{"prod/deny-all"}, From: "prod/client", To: "prod/web", Addr: "10.88.0.5:8080", Control: control, Outcome: outcome}
	}
	fixtures[NetworkPolicy] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "no policy isolates the pod"},
			{name: "an agent runs on the node", mut: func(t *testing.T, s *Subject) {
				isolated()(t, s)
				s.Exposure.Network.Enforcers = []string{"kube-router (pid 77, /usr/local/bin/kube-router)"}
			}},
			{name: "no known agent, but the denied connect was refused", mut: isolated(denied("connected", "refused"))},
			{name: "an agent, and the denied connect timed out", mut: func(t *testing.T, s *Subject) {
				isolated(denied("connected", "timeout"))(t, s)
				s.Exposure.Network.Enforcers = []string{"cilium"}
			}},
		},
		fail: []fixture{
			{name: "isolated, nothing on the node enforces", layer: LayerProcess, severity: High, mut: isolated()},
			{name: "the denied connect connected", layer: LayerProcess, severity: Critical, mut: isolated(denied("connected", "connected"))},
			{name: "control failed: inconclusive", layer: LayerProcess, severity: Info, mut: func(t *testing.T, s *Subject) {
				isolated(denied("timeout", "timeout"))(t, s)
				s.Exposure.Network.Enforcers = []string{"calico"}
			}},
		},
	}
}

func init() {
	enc := func(e EncryptionEvidence) func(t *testing.T, s *Subject) {
		return func(t *testing.T, s *Subject) {
			e.PID = 4242
			s.Exposure = &Exposure{Encryption: &e}
		}
	}
	fixtures[EncryptionAtRest] = struct{ pass, fail []fixture }{
		pass: []fixture{
			{name: "not an API server"},
			{name: "aescbc first for secrets", mut: enc(EncryptionEvidence{Config: "/etc/k/enc.yaml", Covered: true, First: "aescbc"})},
			{name: "and the sampled secret is encrypted", mut: enc(EncryptionEvidence{Config: "/etc/k/enc.yaml", Covered: true, First: "kms", Sampled: "/registry/secrets/a/b", SampleEncrypted: true})},
		},
		fail: []fixture{
			{name: "no config", layer: LayerProcess, severity: High, pid: 4242, mut: enc(EncryptionEvidence{})},
			{name: "identity first", layer: LayerProcess, severity: High, pid: 4242, mut: enc(EncryptionEvidence{Config: "/etc/k/enc.yaml", Covered: true, First: "identity"})},
			{name: "secrets not covered", layer: LayerProcess, severity: High, pid: 4242, mut: enc(EncryptionEvidence{Config: "/etc/k/enc.yaml"})},
			{name: "a plaintext secret in etcd", layer: LayerProcess, severity: Critical, pid: 4242, mut: enc(EncryptionEvidence{Sampled: "/registry/secrets/a/b"})},
			{name: "config unreadable", layer: LayerProcess, severity: Info, pid: 4242, mut: enc(EncryptionEvidence{Config: "/etc/k/enc.yaml", ConfigError: "no such file"})},
		},
	}
}
