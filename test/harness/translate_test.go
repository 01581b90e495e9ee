package harness

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func mustPod(t *testing.T, yaml string) *corev1.Pod {
	t.Helper()
	p, err := ParsePod([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return defaultPod(p)
}

var rootImage = ImageUser{UID: new(int64)}

func TestContainerSecurityContext(t *testing.T) {
	pod := mustPod(t, `
metadata: {name: p, namespace: ns, uid: u1}
spec:
  shareProcessNamespace: true
  securityContext:
    runAsUser: 1000
    runAsGroup: 2000
    runAsNonRoot: true
    fsGroup: 3000
    supplementalGroups: [4000, 5000]
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: c
    image: i
    securityContext:
      runAsUser: 1500
      allowPrivilegeEscalation: false
      capabilities: {add: [net_admin, CAP_CHOWN], drop: [ALL]}
      readOnlyRootFilesystem: true
      procMount: Unmasked
`)
	got, err := ContainerSecurityContext(pod, &pod.Spec.Containers[0], rootImage, Node{})
	if err != nil {
		t.Fatal(err)
	}
	want := &runtimeapi.LinuxContainerSecurityContext{
		// Names pass through verbatim: the kubelet does not normalise them.
		Capabilities:       &runtimeapi.Capability{AddCapabilities: []string{"net_admin", "CAP_CHOWN"}, DropCapabilities: []string{"ALL"}},
		RunAsUser:          &runtimeapi.Int64Value{Value: 1500},
		RunAsGroup:         &runtimeapi.Int64Value{Value: 2000},
		ReadonlyRootfs:     true,
		Seccomp:            &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
		NamespaceOptions:   &runtimeapi.NamespaceOption{Network: runtimeapi.NamespaceMode_POD, Pid: runtimeapi.NamespaceMode_POD, Ipc: runtimeapi.NamespaceMode_POD, UsernsOptions: &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}},
		SupplementalGroups: []int64{3000, 4000, 5000},
		NoNewPrivs:         true,
		MaskedPaths:        []string{},
		ReadonlyPaths:      []string{},
	}
	if !proto.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestContainerSecurityContextDefaults(t *testing.T) {
	pod := mustPod(t, "metadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n")
	sc, err := ContainerSecurityContext(pod, &pod.Spec.Containers[0], rootImage, Node{})
	if err != nil {
		t.Fatal(err)
	}
	if sc.RunAsUser.GetValue() != 0 || sc.RunAsUser == nil {
		t.Errorf("RunAsUser = %v, want the image's 0", sc.RunAsUser)
	}
	if sc.NoNewPrivs || sc.Privileged || sc.ReadonlyRootfs || sc.Capabilities != nil {
		t.Errorf("unexpected privileges or restrictions: %v", sc)
	}
	if sc.Seccomp.ProfileType != runtimeapi.SecurityProfile_Unconfined {
		t.Errorf("seccomp = %v, want Unconfined without --seccomp-default", sc.Seccomp)
	}
	if len(sc.MaskedPaths) == 0 || !cmp.Equal(sc.ReadonlyPaths, defaultReadonlyPaths) {
		t.Errorf("masked %v readonly %v, want the defaults", sc.MaskedPaths, sc.ReadonlyPaths)
	}
	sc, _ = ContainerSecurityContext(pod, &pod.Spec.Containers[0], ImageUser{Username: "app"}, Node{SeccompDefault: true})
	if sc.RunAsUser != nil || sc.RunAsUsername != "app" {
		t.Errorf("image user name: RunAsUser %v RunAsUsername %q", sc.RunAsUser, sc.RunAsUsername)
	}
	if sc.Seccomp.ProfileType != runtimeapi.SecurityProfile_RuntimeDefault {
		t.Errorf("seccomp = %v, want RuntimeDefault with --seccomp-default", sc.Seccomp)
	}
}

func TestSeccompProfile(t *testing.T) {
	name := "prof.json"
	pod := mustPod(t, "metadata: {name: p}\nspec:\n  containers: [{name: c, image: i}]\n")
	pod.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: &name}
	got, err := seccompProfile(pod, &pod.Spec.Containers[0], Node{SeccompProfileRoot: "/sec"})
	if err != nil || got.LocalhostRef != "/sec/prof.json" || got.ProfileType != runtimeapi.SecurityProfile_Localhost {
		t.Errorf("localhost: %v, %v", got, err)
	}
	pod.Spec.SecurityContext.SeccompProfile.LocalhostProfile = nil
	if _, err := seccompProfile(pod, &pod.Spec.Containers[0], Node{}); err == nil {
		t.Error("localhost without a profile name: no error")
	}
}

func TestVerifyRunAsNonRoot(t *testing.T) {
	yes, uid0, uid5 := true, int64(0), int64(5)
	cases := []struct {
		name string
		sc   corev1.SecurityContext
		img  ImageUser
		err  string
	}{
		{"unset", corev1.SecurityContext{}, rootImage, ""},
		{"explicit root", corev1.SecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid0}, rootImage, "breaks non-root"},
		{"explicit non-root", corev1.SecurityContext{RunAsNonRoot: &yes, RunAsUser: &uid5}, rootImage, ""},
		{"image root", corev1.SecurityContext{RunAsNonRoot: &yes}, rootImage, "image will run as root"},
		{"image name", corev1.SecurityContext{RunAsNonRoot: &yes}, ImageUser{Username: "app"}, "non-numeric user"},
		{"image non-root", corev1.SecurityContext{RunAsNonRoot: &yes}, ImageUser{UID: &uid5}, ""},
	}
	for _, tc := range cases {
		err := verifyRunAsNonRoot(&tc.sc, tc.img)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestEffectiveSecurityContextInheritance(t *testing.T) {
	// allowPrivilegeEscalation, capabilities, privileged and
	// readOnlyRootFilesystem have no pod-level field; runAs* are inherited.
	pod := mustPod(t, `
metadata: {name: p}
spec:
  securityContext: {runAsUser: 7, runAsNonRoot: true}
  containers: [{name: c, image: i, securityContext: {runAsGroup: 8}}]
`)
	eff := effectiveSecurityContext(pod, &pod.Spec.Containers[0])
	if *eff.RunAsUser != 7 || *eff.RunAsGroup != 8 || !*eff.RunAsNonRoot || eff.AllowPrivilegeEscalation != nil {
		t.Errorf("merged: %+v", eff)
	}
}

func TestSandboxConfig(t *testing.T) {
	pod := mustPod(t, `
metadata: {name: web, namespace: prod, uid: u1, labels: {app: web}, annotations: {a: b}}
spec:
  hostPID: true
  securityContext: {runAsUser: 1000, fsGroup: 3000, sysctls: [{name: net.core.somaxconn, value: "1024"}]}
  initContainers: [{name: i, image: i, securityContext: {privileged: true}}]
  containers: [{name: c, image: i, ports: [{containerPort: 80}]}]
`)
	sb, err := SandboxConfig(pod, Node{CgroupParent: "/lab", PodLogsDir: "/logs"})
	if err != nil {
		t.Fatal(err)
	}
	if sb.Hostname != "web" || sb.LogDirectory != "/logs/prod_web_u1" || sb.Linux.CgroupParent != "/lab/podu1" {
		t.Errorf("hostname %q logdir %q cgroup %q", sb.Hostname, sb.LogDirectory, sb.Linux.CgroupParent)
	}
	wantLabels := map[string]string{"app": "web", LabelPodName: "web", LabelPodNamespace: "prod", LabelPodUID: "u1"}
	if diff := cmp.Diff(wantLabels, sb.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	lsc := sb.Linux.SecurityContext
	if !lsc.Privileged {
		t.Error("a privileged init container must make the sandbox privileged")
	}
	if lsc.NamespaceOptions.Pid != runtimeapi.NamespaceMode_NODE || lsc.RunAsUser.GetValue() != 1000 || !cmp.Equal(lsc.SupplementalGroups, []int64{3000}) {
		t.Errorf("sandbox security context: %v", lsc)
	}
	if lsc.Seccomp.ProfileType != runtimeapi.SecurityProfile_RuntimeDefault {
		t.Error("the sandbox always runs under runtime/default")
	}
	if sb.Linux.Sysctls["net.core.somaxconn"] != "1024" || len(sb.PortMappings) != 1 {
		t.Errorf("sysctls %v ports %v", sb.Linux.Sysctls, sb.PortMappings)
	}
	pod.Spec.HostNetwork = true
	if sb, _ := SandboxConfig(pod, Node{}); sb.Hostname != "" {
		t.Errorf("hostNetwork pod got hostname %q", sb.Hostname)
	}
	no := false
	pod.Spec.HostUsers = &no
	pod.Spec.HostNetwork, pod.Spec.HostPID = false, false
	if _, err := SandboxConfig(pod, Node{}); !errors.Is(err, ErrNoUserNamespaces) {
		t.Errorf("hostUsers: false on a node without user namespaces: %v, want %v", err, ErrNoUserNamespaces)
	}
}

func TestMistranslationsChangeTheConfig(t *testing.T) {
	pod := mustPod(t, `
metadata: {name: p, uid: u}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: i
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
`)
	for _, field := range MistranslationFields() {
		sb, err := SandboxConfig(pod, Node{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := ContainerConfig(pod, &pod.Spec.Containers[0], "img", rootImage, Node{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sb0, c0 := proto.Clone(sb), proto.Clone(c)
		m, err := LookupMistranslation(field)
		if err != nil {
			t.Fatal(err)
		}
		if sandboxLevel[field] {
			m.apply(sb, nil)
		}
		m.apply(sb, c)
		if proto.Equal(c0, c) && proto.Equal(sb0, sb) {
			t.Errorf("%s: mistranslation changed nothing", field)
		}
		if m.Description == "" {
			t.Errorf("%s: no description", field)
		}
	}
	if _, err := LookupMistranslation("nope"); err == nil || !strings.Contains(err.Error(), "runAsUser") {
		t.Errorf("unknown field: %v", err)
	}
}

func TestParsePodErrors(t *testing.T) {
	for name, in := range map[string]string{
		"bad yaml":      "metadata: [",
		"wrong kind":    "kind: Service\nmetadata: {name: x}",
		"no name":       "kind: Pod\nspec: {}",
		"unknown field": "kind: Pod\nmetadata: {name: x}\nspec: {bogus: 1}",
	} {
		if _, err := ParsePod([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x"}
	for in, want := range map[string]string{"$(A)": "x", "$$(A)": "$(A)", "$(B)": "$(B)", "a$": "a$", "$(A": "$(A"} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestContainerConfigLabelsAndEnv(t *testing.T) {
	pod := mustPod(t, `
metadata: {name: p, namespace: n, uid: u}
spec:
  containers:
  - name: c
    image: rtaudit.local/busybox:test
    command: [echo, "$(GREETING)"]
    env: [{name: GREETING, value: hi}]
`)
	cfg, err := ContainerConfig(pod, &pod.Spec.Containers[0], "sha256:abc", rootImage, Node{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Labels[LabelContainerName] != "c" || cfg.Labels[LabelPodUID] != "u" || cfg.Image.Image != "sha256:abc" || cfg.Image.UserSpecifiedImage != "rtaudit.local/busybox:test" {
		t.Errorf("config: %v", cfg)
	}
	if !cmp.Equal(cfg.Command, []string{"echo", "hi"}) {
		t.Errorf("command %v", cfg.Command)
	}
	if cfg.Linux.Resources.OomScoreAdj != 1000 {
		t.Errorf("best-effort oom_score_adj = %d", cfg.Linux.Resources.OomScoreAdj)
	}
}
