package plugin

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

// TestPodKeepsTheDaemonSetsPrivileges: the plugin's pod runs with exactly
// the agent DaemonSet's least privilege — pod-level (service account and
// token, hostPID, host network off, volumes) and per container (security
// context, mounts, environment) — and differs only in what it runs, where
// and for how long.
func TestPodKeepsTheDaemonSetsPrivileges(t *testing.T) {
	ds, err := DaemonSet()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := ds.Spec.Template.Spec
	p, err := Pod(PodOptions{Node: "n1", Args: []string{"scan", "-o", "json"}})
	if err != nil {
		t.Fatal(err)
	}
	s := p.Spec
	if s.ServiceAccountName != tmpl.ServiceAccountName || *s.AutomountServiceAccountToken != *tmpl.AutomountServiceAccountToken ||
		s.HostPID != tmpl.HostPID || !s.HostPID || s.HostNetwork || s.HostIPC || !cmp.Equal(s.SecurityContext, tmpl.SecurityContext) {
		t.Errorf("pod-level fields differ from the DaemonSet's: %+v", s)
	}
	if d := cmp.Diff(tmpl.Volumes, s.Volumes); d != "" {
		t.Errorf("volumes differ (-daemonset +pod):\n%s", d)
	}
	if p.Namespace != ds.Namespace || s.NodeName != "n1" || s.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("namespace %q node %q restart %q", p.Namespace, s.NodeName, s.RestartPolicy)
	}
	sel := ds.Spec.Selector.MatchLabels
	matches := true
	for k, v := range sel {
		matches = matches && p.Labels[k] == v
	}
	if matches {
		t.Errorf("the pod's labels %v match the DaemonSet's selector %v: its controller would adopt or delete it", p.Labels, sel)
	}

	want := map[string]corev1.Container{}
	for _, c := range tmpl.Containers {
		want[c.Name] = c
	}
	got := map[string]corev1.Container{}
	for _, c := range slices.Concat(s.InitContainers, s.Containers) {
		got[c.Name] = c
	}
	if len(got) != len(want) || len(s.Containers) != 1 || s.Containers[0].Name != agentContainer {
		t.Fatalf("containers %v, want %v with %s the main one", keys(got), keys(want), agentContainer)
	}
	for name, w := range want {
		g := got[name]
		if d := cmp.Diff(w.SecurityContext, g.SecurityContext); d != "" {
			t.Errorf("%s: securityContext differs (-daemonset +pod):\n%s", name, d)
		}
		if d := cmp.Diff(w.VolumeMounts, g.VolumeMounts); d != "" {
			t.Errorf("%s: volumeMounts differ (-daemonset +pod):\n%s", name, d)
		}
		if d := cmp.Diff(w.Env, g.Env); d != "" {
			t.Errorf("%s: env differs (-daemonset +pod):\n%s", name, d)
		}
		if g.Image != w.Image || g.Image == "" {
			t.Errorf("%s: image %q, want the release image %q", name, g.Image, w.Image)
		}
		if d := cmp.Diff(w.Resources, g.Resources); d != "" {
			t.Errorf("%s: resources differ:\n%s", name, d)
		}
	}
	if sc := got[filterContainer]; sc.RestartPolicy == nil || *sc.RestartPolicy != corev1.ContainerRestartPolicyAlways || !slices.Equal(sc.Args, want[filterContainer].Args) {
		t.Errorf("cri-filter is not the DaemonSet's, as a sidecar: %+v", sc)
	}
	a := got[agentContainer]
	if a.Ports != nil || a.LivenessProbe != nil || a.ReadinessProbe != nil {
		t.Errorf("agent: ports or probes left: %+v", a)
	}
	args := strings.Join(a.Args, " ")
	if !strings.HasPrefix(args, "scan -o json ") || !strings.Contains(args, "--runtime-endpoint=unix:///run/rtaudit/cri.sock") ||
		!strings.Contains(args, "--proc-root=/proc") || !strings.Contains(args, "--in-cluster") {
		t.Errorf("agent args %q", args)
	}
}

// TestPodOptions: --image, --cri-socket and --host-network change only
// what they name.
func TestPodOptions(t *testing.T) {
	base, err := Pod(PodOptions{Node: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Pod(PodOptions{Node: "n1", Image: "reg/x:1", CRISocket: "/var/run/crio/crio.sock", HostNetwork: true, APIHost: "10.0.0.1", APIPort: "6443"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range slices.Concat(p.Spec.InitContainers, p.Spec.Containers) {
		if c.Image != "reg/x:1" {
			t.Errorf("%s: image %q", c.Name, c.Image)
		}
	}
	f := p.Spec.InitContainers[0]
	var hostPaths []string
	for _, v := range p.Spec.Volumes {
		if v.HostPath != nil {
			hostPaths = append(hostPaths, v.HostPath.Path)
		}
	}
	if !slices.Equal(hostPaths, []string{"/var/run/crio/crio.sock"}) || f.VolumeMounts[0].MountPath != "/host/var/run/crio/crio.sock" || f.Env[0].Value != "/var/run/crio/crio.sock" {
		t.Errorf("socket: volumes %v, mount %v, env %v", hostPaths, f.VolumeMounts, f.Env)
	}
	if mounts := p.Spec.Containers[0].VolumeMounts; slices.ContainsFunc(mounts, func(m corev1.VolumeMount) bool { return m.Name == stateVolume }) {
		t.Errorf("agent mounts %v: the runc state root stays with another runtime's socket", mounts)
	}
	if !slices.ContainsFunc(base.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == stateVolume }) {
		t.Errorf("base volumes %v lack the DaemonSet's runc state root", base.Spec.Volumes)
	}
	if !p.Spec.HostNetwork || base.Spec.HostNetwork {
		t.Errorf("hostNetwork %v (base %v)", p.Spec.HostNetwork, base.Spec.HostNetwork)
	}
	env := p.Spec.Containers[0].Env
	if !slices.ContainsFunc(env, func(e corev1.EnvVar) bool { return e.Name == "KUBERNETES_SERVICE_HOST" && e.Value == "10.0.0.1" }) {
		t.Errorf("env %v", env)
	}
	if _, err := Pod(PodOptions{Node: "n1", CRISocket: "relative.sock"}); err == nil {
		t.Error("a relative --cri-socket is accepted")
	}
}

func keys[V any](m map[string]V) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}
