package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const (
	// requireEnv turns every skip for a missing tool or file into a failure
	// (make test sets it).
	requireEnv = "RTAUDIT_REQUIRE_CLUSTER"
	// k8sCacheEnv is the directory of the cached Kubernetes build (kubectl),
	// as for test/cluster.
	k8sCacheEnv     = "RTAUDIT_K8S_CACHE"
	defaultK8sCache = "/var/cache/rtaudit/k8s-v1.37.2"
	// helmEnv is the helm binary; deploy.mk builds it into defaultHelm.
	helmEnv     = "RTAUDIT_HELM"
	defaultHelm = "/var/cache/rtaudit/helm-v4.3.2/helm"

	namespace = "rtaudit-system"
	image     = "ghcr.io/rtaudit/rtaudit:v0.1.0"
	metrics   = 9808
)

// Sockets are the CRI socket each kustomize overlay mounts; the base is
// containerd's.
// stateRoots are the runc-state roots the overlays mount: the runc shim's
// for containerd and k3s, crun's for CRI-O.
var stateRoots = map[string]string{"containerd": "/run/containerd/runc", "crio": "/run/crun", "k3s": "/run/containerd/runc"}

var sockets = map[string]string{
	"containerd": "/run/containerd/containerd.sock",
	"crio":       "/var/run/crio/crio.sock",
	"k3s":        "/run/k3s/containerd/containerd.sock",
}

// crdFiles are the files deploy/crds/kustomization.yaml must list.
var crdFiles = []string{
	"rtaudit.dev_waivers.yaml",
	"rtaudit.dev_clusterwaivers.yaml",
	"openreports.io_reports.yaml",
	"openreports.io_clusterreports.yaml",
}

// grants is everything the agent may do: group/resource → verbs. The
// ClusterRole must grant exactly this.
var grants = map[string][]string{
	"/pods":                               {"get", "list", "watch"},
	"/namespaces":                         {"get", "list", "watch"},
	"/events":                             {"create"},
	"openreports.io/reports":              {"create", "delete", "get", "list", "update"},
	"openreports.io/clusterreports":       {"create", "delete", "get", "list", "update"},
	"wgpolicyk8s.io/policyreports":        {"create", "delete", "get", "list", "update"},
	"wgpolicyk8s.io/clusterpolicyreports": {"create", "delete", "get", "list", "update"},
	"rtaudit.dev/waivers":                 {"get", "list", "watch"},
	"rtaudit.dev/clusterwaivers":          {"get", "list", "watch"},
}

// unavailable skips the test, or fails it under requireEnv.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1 forbids skipping)", msg, requireEnv)
	}
	t.Skip(msg)
}

func kubectl(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(k8sCacheEnv)
	if dir == "" {
		dir = defaultK8sCache
	}
	p := filepath.Join(dir, "kubectl")
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "no kubectl to render kustomize with: %v (make cluster-build builds it; %s names the cache)", err, k8sCacheEnv)
	}
	return p
}

func helm(t *testing.T) string {
	t.Helper()
	p := os.Getenv(helmEnv)
	if p == "" {
		p = defaultHelm
	}
	if _, err := os.Stat(p); err != nil {
		unavailable(t, "no helm to render the chart with: %v (make helm builds it; %s names the binary)", err, helmEnv)
	}
	return p
}

func run(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	out, err := runErr(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runErr(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// object is one rendered document: its kind and name, and the raw YAML to
// decode strictly into the typed API object.
type object struct {
	Kind, Name, Namespace string
	raw                   []byte
}

func parse(t *testing.T, rendered []byte) []object {
	t.Helper()
	var objs []object
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(rendered)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if meta.Kind == "" {
			continue // an empty document
		}
		objs = append(objs, object{meta.Kind, meta.Metadata.Name, meta.Metadata.Namespace, doc})
	}
}

// decode decodes as strictly as the API server: an unknown field, a
// duplicate or a field in the wrong case (readOnlyRootFileSystem, which
// encoding/json would accept) is an error, not silently dropped.
func decode[T any](t *testing.T, o object) *T {
	t.Helper()
	data, err := yaml.YAMLToJSON(o.raw)
	if err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
	}
	v := new(T)
	strictErrs, err := kjson.UnmarshalStrict(data, v)
	if err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
	}
	if len(strictErrs) > 0 {
		t.Fatalf("%s %s: %v", o.Kind, o.Name, errors.Join(strictErrs...))
	}
	return v
}

func only(t *testing.T, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.Kind == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s rendered, want 1", len(found), kind)
	}
	return found[0]
}

// manifests is what every rendering must hold, beside CRDs.
type manifests struct {
	DaemonSet *appsv1.DaemonSet
	Service   *corev1.Service
}

// check holds a rendering to least privilege and returns its pieces.
func check(t *testing.T, objs []object, socket string) manifests {
	t.Helper()
	return checkGrants(t, objs, socket, grants)
}

// checkGrants is check with the ClusterRole granting exactly want.
func checkGrants(t *testing.T, objs []object, socket string, want map[string][]string) manifests {
	t.Helper()
	allowed := map[string]bool{"Namespace": true, "ServiceAccount": true, "ClusterRole": true, "ClusterRoleBinding": true,
		"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
		"DaemonSet": true, "Service": true, "ServiceMonitor": true, "CustomResourceDefinition": true}
	for _, o := range objs {
		if !allowed[o.Kind] {
			t.Errorf("unexpected %s %s in the rendering", o.Kind, o.Name)
		}
		if o.Namespace != "" && o.Namespace != namespace {
			t.Errorf("%s %s in namespace %s, want %s", o.Kind, o.Name, o.Namespace, namespace)
		}
	}
	ds := decode[appsv1.DaemonSet](t, only(t, objs, "DaemonSet"))
	sa := decode[corev1.ServiceAccount](t, only(t, objs, "ServiceAccount"))
	checkDaemonSet(t, ds, sa.Name, socket)
	checkRBAC(t, objs, sa, want)
	checkAdmission(t, objs, sa)
	svc := decode[corev1.Service](t, only(t, objs, "Service"))
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != metrics || svc.Spec.Ports[0].TargetPort != intstr.FromString("metrics") {
		t.Errorf("metrics Service ports %+v, want %d → the pod's metrics port", svc.Spec.Ports, metrics)
	}
	for k, v := range svc.Spec.Selector {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not select the agent pods (labels %v)", k, v, ds.Spec.Template.Labels)
		}
	}
	return manifests{DaemonSet: ds, Service: svc}
}

func ptr[T any](v T) *T { return &v }

func checkDaemonSet(t *testing.T, ds *appsv1.DaemonSet, serviceAccount, socket string) {
	t.Helper()
	pod := ds.Spec.Template.Spec
	if !pod.HostPID || pod.HostNetwork || pod.HostIPC {
		t.Errorf("hostPID %v hostNetwork %v hostIPC %v, want only hostPID", pod.HostPID, pod.HostNetwork, pod.HostIPC)
	}
	if pod.ServiceAccountName != serviceAccount || pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("service account %q automount %v, want %q mounted into the agent alone (automount off)", pod.ServiceAccountName, pod.AutomountServiceAccountToken, serviceAccount)
	}
	if pod.SecurityContext != nil && !cmp.Equal(*pod.SecurityContext, corev1.PodSecurityContext{}) {
		t.Errorf("pod securityContext %+v: everything belongs in the container's", *pod.SecurityContext)
	}
	if pod.PriorityClassName != "system-node-critical" {
		t.Errorf("priorityClassName %q, want system-node-critical", pod.PriorityClassName)
	}
	if diff := cmp.Diff([]corev1.Toleration{{Operator: corev1.TolerationOpExists}}, pod.Tolerations); diff != "" {
		t.Errorf("tolerations (-want +got), want every taint tolerated:\n%s", diff)
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds != 30 {
		t.Errorf("terminationGracePeriodSeconds %v, want 30", pod.TerminationGracePeriodSeconds)
	}
	wantStrategy := appsv1.DaemonSetUpdateStrategy{
		Type:          appsv1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: ptr(intstr.FromString("10%"))},
	}
	if diff := cmp.Diff(wantStrategy, ds.Spec.UpdateStrategy); diff != "" {
		t.Errorf("updateStrategy (-want +got):\n%s", diff)
	}
	if len(pod.InitContainers) != 0 || len(pod.EphemeralContainers) != 0 || len(pod.Containers) != 2 {
		t.Fatalf("%d init, %d ephemeral, %d containers; want the agent and cri-filter", len(pod.InitContainers), len(pod.EphemeralContainers), len(pod.Containers))
	}
	agent, filter := pod.Containers[0], pod.Containers[1]
	if agent.Name != "agent" || filter.Name != "cri-filter" {
		t.Fatalf("containers %q, %q; want agent, cri-filter", agent.Name, filter.Name)
	}
	for _, c := range pod.Containers {
		if c.Image != image {
			t.Errorf("%s: image %q, want %q", c.Name, c.Image, image)
		}
		if len(c.Command) != 0 {
			t.Errorf("%s: command %q overrides the image's entrypoint", c.Name, c.Command)
		}
	}
	checkVolumes(t, pod.Volumes, socket)
	checkAgent(t, agent, stateRootOf(pod))
	checkFilter(t, filter, socket)
}

// leastContext is the securityContext of both containers: uid 0 for the
// root-owned sockets, and only the capabilities in add.
func leastContext(add ...corev1.Capability) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{
		RunAsUser:                ptr[int64](0),
		RunAsGroup:               ptr[int64](0),
		Privileged:               ptr(false),
		AllowPrivilegeEscalation: ptr(false),
		ReadOnlyRootFilesystem:   ptr(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}, Add: add},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	return sc
}

// checkVolumes: one host path, the CRI socket; an in-memory emptyDir for
// the filter's socket; the API token projected for the agent.
func checkVolumes(t *testing.T, vols []corev1.Volume, socket string) {
	t.Helper()
	if len(vols) != 3 && len(vols) != 4 {
		t.Fatalf("%d volumes, want cri-socket, cri-filter, kube-api-access and runc-state (optional)", len(vols))
	}
	wantSocket := corev1.Volume{Name: "cri-socket", VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: socket, Type: ptr(corev1.HostPathSocket)},
	}}
	if diff := cmp.Diff(wantSocket, vols[0]); diff != "" {
		t.Errorf("volume 0 (-want +got):\n%s", diff)
	}
	if v := vols[1]; v.Name != "cri-filter" || v.EmptyDir == nil || v.EmptyDir.Medium != corev1.StorageMediumMemory {
		t.Errorf("volume 1 %+v, want the cri-filter in-memory emptyDir", v)
	}
	if v := vols[2]; v.Name != "kube-api-access" || v.Projected == nil || len(v.Projected.Sources) != 3 || v.Projected.Sources[0].ServiceAccountToken == nil {
		t.Errorf("volume 2 %+v, want the projected service-account token", v)
	}
	if len(vols) == 4 {
		// Never created on the host: type Directory, an absolute path.
		v := vols[3]
		if v.Name != "runc-state" || v.HostPath == nil || v.HostPath.Type == nil || *v.HostPath.Type != corev1.HostPathDirectory || !strings.HasPrefix(v.HostPath.Path, "/") {
			t.Errorf("volume 3 %+v, want the runc-state host directory (type Directory)", v)
		}
	}
	for _, v := range vols {
		if v.HostPath != nil && v.Name != "cri-socket" && v.Name != "runc-state" {
			t.Errorf("volume %s is a host path", v.Name)
		}
	}
}

// stateRootOf is the host path of the runc-state volume, "" without one.
func stateRootOf(pod corev1.PodSpec) string {
	for _, v := range pod.Volumes {
		if v.Name == "runc-state" && v.HostPath != nil {
			return v.HostPath.Path
		}
	}
	return ""
}

// checkAgent: CAP_SYS_PTRACE alone, no runtime socket, the API token, the
// filter's socket, the runc state root read-only at its host path (when
// mounted), metrics and probes.
func checkAgent(t *testing.T, c corev1.Container, stateRoot string) {
	t.Helper()
	if diff := cmp.Diff(leastContext("SYS_PTRACE"), c.SecurityContext); diff != "" {
		t.Errorf("agent securityContext (-want +got):\n%s", diff)
	}
	wantMounts := []corev1.VolumeMount{
		{Name: "cri-filter", MountPath: "/run/rtaudit"},
		{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
	}
	if stateRoot != "" {
		wantMounts = append(wantMounts, corev1.VolumeMount{Name: "runc-state", MountPath: stateRoot, ReadOnly: true})
	}
	if diff := cmp.Diff(wantMounts, c.VolumeMounts); diff != "" {
		t.Errorf("agent volumeMounts (-want +got):\n%s", diff)
	}
	wantEnv := []corev1.EnvVar{
		{Name: "NODE_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
	}
	if diff := cmp.Diff(wantEnv, c.Env); diff != "" {
		t.Errorf("agent env (-want +got):\n%s", diff)
	}
	if len(c.Args) == 0 || c.Args[0] != "agent" {
		t.Errorf("args %q do not start with the agent command", c.Args)
	}
	for _, a := range []string{"--runtime-endpoint=unix:///run/rtaudit/cri.sock", "--proc-root=/proc", fmt.Sprintf("--metrics-addr=:%d", metrics)} {
		if !slices.Contains(c.Args, a) {
			t.Errorf("agent args %q lack %s", c.Args, a)
		}
	}
	wantPorts := []corev1.ContainerPort{{Name: "metrics", ContainerPort: metrics, Protocol: corev1.ProtocolTCP}}
	if diff := cmp.Diff(wantPorts, c.Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"liveness", c.LivenessProbe, "/healthz"}, {"readiness", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", p.name)
			continue
		}
		if g := p.probe.HTTPGet; g.Path != p.path || g.Port != intstr.FromString("metrics") {
			t.Errorf("%s probe GET %s on port %s, want %s on port metrics", p.name, g.Path, g.Port.String(), p.path)
		}
	}
	if c.StartupProbe != nil || c.Lifecycle != nil {
		t.Errorf("unexpected startup probe or lifecycle hooks")
	}
	checkResources(t, c)
}

// checkFilter: no capability, the runtime's socket read-only at
// /host/<path>, the shared socket directory, no token, no port.
func checkFilter(t *testing.T, c corev1.Container, socket string) {
	t.Helper()
	if diff := cmp.Diff(leastContext(), c.SecurityContext); diff != "" {
		t.Errorf("cri-filter securityContext (-want +got):\n%s", diff)
	}
	wantMounts := []corev1.VolumeMount{
		{Name: "cri-socket", MountPath: "/host" + socket, ReadOnly: true},
		{Name: "cri-filter", MountPath: "/run/rtaudit"},
	}
	if diff := cmp.Diff(wantMounts, c.VolumeMounts); diff != "" {
		t.Errorf("cri-filter volumeMounts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]corev1.EnvVar{{Name: "CRI_SOCKET", Value: socket}}, c.Env); diff != "" {
		t.Errorf("cri-filter env (-want +got):\n%s", diff)
	}
	wantArgs := []string{"cri-filter", "--upstream=/host$(CRI_SOCKET)", "--listen=/run/rtaudit/cri.sock"}
	if diff := cmp.Diff(wantArgs, c.Args); diff != "" {
		t.Errorf("cri-filter args (-want +got):\n%s", diff)
	}
	if len(c.Ports) != 0 {
		t.Errorf("cri-filter ports %+v: it serves nothing on the network", c.Ports)
	}
	checkResources(t, c)
}

func checkResources(t *testing.T, c corev1.Container) {
	t.Helper()
	req, lim := c.Resources.Requests, c.Resources.Limits
	if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
		t.Errorf("%s: resources %+v: want CPU and memory requests and a memory limit", c.Name, c.Resources)
	}
	if lim.Memory().Cmp(resource.MustParse("1Gi")) > 0 {
		t.Errorf("%s: memory limit %s is not modest", c.Name, lim.Memory())
	}
}

// checkAdmission: the node-bound report policy is bound (Deny) and
// matches the agent's service account.
func checkAdmission(t *testing.T, objs []object, sa *corev1.ServiceAccount) {
	t.Helper()
	vap := decode[admissionv1.ValidatingAdmissionPolicy](t, only(t, objs, "ValidatingAdmissionPolicy"))
	binding := decode[admissionv1.ValidatingAdmissionPolicyBinding](t, only(t, objs, "ValidatingAdmissionPolicyBinding"))
	if binding.Spec.PolicyName != vap.Name || !slices.Equal(binding.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny}) {
		t.Errorf("binding %+v does not deny by policy %s", binding.Spec, vap.Name)
	}
	user := fmt.Sprintf("request.userInfo.username == 'system:serviceaccount:%s:%s'", namespace, sa.Name)
	if len(vap.Spec.MatchConditions) != 1 || vap.Spec.MatchConditions[0].Expression != user {
		t.Errorf("policy match conditions %+v, want %s", vap.Spec.MatchConditions, user)
	}
	if vap.Spec.FailurePolicy == nil || *vap.Spec.FailurePolicy != admissionv1.Fail || len(vap.Spec.Validations) != 3 {
		t.Errorf("policy %+v: want failurePolicy Fail and the three validations", vap.Spec)
	}
}

// checkRBAC: one ClusterRole granting exactly grants (no wildcard, no
// secrets, no subresource), bound to the agent's ServiceAccount only.
func checkRBAC(t *testing.T, objs []object, sa *corev1.ServiceAccount, grants map[string][]string) {
	t.Helper()
	for _, o := range objs {
		if o.Kind == "Role" || o.Kind == "RoleBinding" {
			t.Errorf("unexpected %s %s", o.Kind, o.Name)
		}
	}
	role := decode[rbacv1.ClusterRole](t, only(t, objs, "ClusterRole"))
	if role.AggregationRule != nil {
		t.Errorf("ClusterRole %s aggregates other roles", role.Name)
	}
	got := map[string][]string{}
	for _, r := range role.Rules {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
			t.Errorf("rule %+v: non-resource URLs or resource names", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				key := g + "/" + res
				for _, v := range r.Verbs {
					if g == "*" || res == "*" || v == "*" || res == "secrets" || strings.Contains(res, "/") {
						t.Errorf("rule %+v grants %s %s (wildcard, secrets or a subresource)", r, v, key)
					}
					if !slices.Contains(got[key], v) {
						got[key] = append(got[key], v)
					}
				}
			}
		}
	}
	for k := range got {
		sort.Strings(got[k])
	}
	want := map[string][]string{}
	for k, v := range grants {
		want[k] = slices.Sorted(slices.Values(v))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ClusterRole %s grants (-want +got):\n%s", role.Name, diff)
	}
	binding := decode[rbacv1.ClusterRoleBinding](t, only(t, objs, "ClusterRoleBinding"))
	wantRef := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name}
	wantSubjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: namespace}}
	if diff := cmp.Diff(wantRef, binding.RoleRef); diff != "" {
		t.Errorf("ClusterRoleBinding roleRef (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSubjects, binding.Subjects); diff != "" {
		t.Errorf("ClusterRoleBinding subjects (-want +got):\n%s", diff)
	}
}

// listedCRDs reads deploy/crds/kustomization.yaml and reports which listed
// files are missing.
func listedCRDs(t *testing.T) (listed, missing []string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("crds", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join("crds", r)); err != nil {
			missing = append(missing, r)
		}
	}
	return k.Resources, missing
}

// crd is the part of a CustomResourceDefinition the agent's RBAC names.
type crd struct {
	Kind string `json:"kind"`
	Spec struct {
		Group string `json:"group"`
		Names struct {
			Plural string `json:"plural"`
		} `json:"names"`
	} `json:"spec"`
}

// TestCRDs: deploy/crds lists exactly the four CRD files, each defines the
// group/resource its name says, and the ClusterRole covers it.
func TestCRDs(t *testing.T) {
	listed, missing := listedCRDs(t)
	if diff := cmp.Diff(crdFiles, listed); diff != "" {
		t.Errorf("crds/kustomization.yaml resources (-want +got):\n%s", diff)
	}
	for _, f := range listed {
		if slices.Contains(missing, f) {
			continue
		}
		data, err := os.ReadFile(filepath.Join("crds", f))
		if err != nil {
			t.Fatal(err)
		}
		var c crd
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := strings.TrimSuffix(f, ".yaml")
		if got := c.Spec.Group + "_" + c.Spec.Names.Plural; c.Kind != "CustomResourceDefinition" || got != want {
			t.Errorf("%s: %s of %s, want a CustomResourceDefinition of %s", f, c.Kind, got, want)
		}
		if _, ok := grants[c.Spec.Group+"/"+c.Spec.Names.Plural]; !ok {
			t.Errorf("%s: the ClusterRole grants nothing on %s/%s", f, c.Spec.Group, c.Spec.Names.Plural)
		}
	}
	if len(missing) > 0 {
		unavailable(t, "CRD files listed in deploy/crds/kustomization.yaml are not there yet: %s; their checks are skipped", strings.Join(missing, ", "))
	}
}

// kustomizeTree copies the kustomize part of deploy/ to a temporary
// directory, dropping the CRD files that are not there yet (with a log
// line; the failure, if any, is TestCRDs').
func kustomizeTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"base", "crds", "overlays", "components"} {
		if err := os.CopyFS(filepath.Join(dir, d), os.DirFS(d)); err != nil {
			t.Fatal(err)
		}
	}
	top, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), top, 0o644); err != nil {
		t.Fatal(err)
	}
	listed, missing := listedCRDs(t)
	if len(missing) == 0 {
		return dir
	}
	t.Logf("rendering without the missing CRD files %s (TestCRDs reports them)", strings.Join(missing, ", "))
	var b strings.Builder
	b.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:")
	n := 0
	for _, f := range listed {
		if !slices.Contains(missing, f) {
			fmt.Fprintf(&b, "\n  - %s", f)
			n++
		}
	}
	if n == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	if err := os.WriteFile(filepath.Join(dir, "crds", "kustomization.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func crdCount(objs []object) int {
	n := 0
	for _, o := range objs {
		if o.Kind == "CustomResourceDefinition" {
			n++
		}
	}
	return n
}

// TestKustomize renders deploy/ (CRDs + base) and each overlay.
func TestKustomize(t *testing.T) {
	k := kubectl(t)
	dir := kustomizeTree(t)
	_, missing := listedCRDs(t)
	wantCRDs := len(crdFiles) - len(missing)
	cases := []struct{ path, socket, stateRoot string }{
		{".", sockets["containerd"], stateRoots["containerd"]},
		{"overlays/containerd", sockets["containerd"], stateRoots["containerd"]},
		{"overlays/crio", sockets["crio"], stateRoots["crio"]},
		{"overlays/k3s", sockets["k3s"], stateRoots["k3s"]},
	}
	var base *appsv1.DaemonSet
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			objs := parse(t, run(t, k, "kustomize", filepath.Join(dir, tc.path)))
			m := check(t, objs, tc.socket)
			ns := decode[corev1.Namespace](t, only(t, objs, "Namespace"))
			if ns.Name != namespace || ns.Labels["pod-security.kubernetes.io/enforce"] != "privileged" {
				t.Errorf("namespace %s labels %v: want %s allowing the privileged agent", ns.Name, ns.Labels, namespace)
			}
			if n := crdCount(objs); n != wantCRDs {
				t.Errorf("%d CRDs rendered, want %d", n, wantCRDs)
			}
			if got := stateRootOf(m.DaemonSet.Spec.Template.Spec); got != tc.stateRoot {
				t.Errorf("runc-state %q, want %q", got, tc.stateRoot)
			}
			if tc.path == "." {
				base = m.DaemonSet
				return
			}
			// An overlay changes the socket and the runc state root, nothing
			// else.
			if base == nil {
				t.Fatal("the base did not render")
			}
			want := base.DeepCopy()
			want.Spec.Template.Spec.Volumes[0].HostPath.Path = tc.socket
			want.Spec.Template.Spec.Containers[1].VolumeMounts[0].MountPath = "/host" + tc.socket
			want.Spec.Template.Spec.Containers[1].Env[0].Value = tc.socket
			want.Spec.Template.Spec.Volumes[3].HostPath.Path = tc.stateRoot
			want.Spec.Template.Spec.Containers[0].VolumeMounts[2].MountPath = tc.stateRoot
			if diff := cmp.Diff(want, m.DaemonSet); diff != "" {
				t.Errorf("the overlay changes more than the socket and state root (-base with them +overlay):\n%s", diff)
			}
		})
	}
}

func helmTemplate(t *testing.T, h string, args ...string) ([]byte, error) {
	t.Helper()
	return runErr(h, append([]string{"template", "rtaudit", filepath.Join("helm", "rtaudit"), "--namespace", namespace}, args...)...)
}

// TestHelm renders the chart with its defaults and with each setting, and
// holds its DaemonSet to the kustomize base's pod spec.
func TestHelm(t *testing.T) {
	h := helm(t)
	_, missing := listedCRDs(t)
	var chartCRDs int
	for _, f := range crdFiles {
		if !slices.Contains(missing, f) {
			chartCRDs++
		}
	}

	t.Run("defaults", func(t *testing.T) {
		out, err := helmTemplate(t, h)
		if err != nil {
			t.Fatal(err)
		}
		objs := parse(t, out)
		m := check(t, objs, sockets["containerd"])
		if n := crdCount(objs); n != chartCRDs {
			t.Errorf("%d CRDs rendered, want %d (those of deploy/crds)", n, chartCRDs)
		}
		for _, o := range objs {
			if o.Kind == "CustomResourceDefinition" && !bytes.Contains(o.raw, []byte("helm.sh/resource-policy: keep")) {
				t.Errorf("CRD %s is not kept on uninstall", o.Name)
			}
			if o.Kind == "ServiceMonitor" {
				t.Error("a ServiceMonitor by default")
			}
		}
		// The same pod as the kustomize base.
		if _, err := os.Stat(kubectlPath()); err != nil {
			unavailable(t, "no kubectl to compare the chart with the kustomize base: %v", err)
		}
		kobjs := parse(t, run(t, kubectlPath(), "kustomize", "base"))
		kds := decode[appsv1.DaemonSet](t, only(t, kobjs, "DaemonSet"))
		if diff := cmp.Diff(kds.Spec.Template.Spec, m.DaemonSet.Spec.Template.Spec); diff != "" {
			t.Errorf("Helm's pod spec differs from kustomize's (-kustomize +helm):\n%s", diff)
		}
		if diff := cmp.Diff(kds.Spec.UpdateStrategy, m.DaemonSet.Spec.UpdateStrategy); diff != "" {
			t.Errorf("Helm's updateStrategy differs from kustomize's (-kustomize +helm):\n%s", diff)
		}
		if kds.Name != m.DaemonSet.Name {
			t.Errorf("DaemonSet %s (helm) vs %s (kustomize)", m.DaemonSet.Name, kds.Name)
		}
		kRole := decode[rbacv1.ClusterRole](t, only(t, kobjs, "ClusterRole"))
		hRole := decode[rbacv1.ClusterRole](t, only(t, objs, "ClusterRole"))
		if diff := cmp.Diff(kRole.Rules, hRole.Rules); diff != "" {
			t.Errorf("Helm's ClusterRole rules differ from kustomize's (-kustomize +helm):\n%s", diff)
		}
	})

	for name, socket := range sockets {
		t.Run("socket "+name, func(t *testing.T) {
			out, err := helmTemplate(t, h, "--set", "runtime.socketPath="+socket)
			if err != nil {
				t.Fatal(err)
			}
			check(t, parse(t, out), socket)
		})
	}

	t.Run("state root", func(t *testing.T) {
		for _, root := range []string{"/run/crun", ""} {
			out, err := helmTemplate(t, h, "--set", "runtime.stateRoot="+root)
			if err != nil {
				t.Fatal(err)
			}
			m := check(t, parse(t, out), sockets["containerd"])
			if got := stateRootOf(m.DaemonSet.Spec.Template.Spec); got != root {
				t.Errorf("runtime.stateRoot=%q: runc-state %q", root, got)
			}
		}
		if _, err := helmTemplate(t, h, "--set", "runtime.stateRoot=run/runc"); err == nil || !strings.Contains(err.Error(), "must be an absolute host path") {
			t.Errorf("a relative runtime.stateRoot: %v, want refused", err)
		}
	})

	t.Run("settings", func(t *testing.T) {
		out, err := helmTemplate(t, h, "--set", "serviceMonitor.enabled=true", "--set", "crds.install=false",
			"--set", "reports=wgpolicy", "--set", "resync=5m", "--set", "extraArgs={--events}",
			"--set", "image.tag=v9.9.9", "--set", "image.repository=registry.example/rtaudit")
		if err != nil {
			t.Fatal(err)
		}
		objs := parse(t, out)
		if n := crdCount(objs); n != 0 {
			t.Errorf("%d CRDs with crds.install=false", n)
		}
		sm := only(t, objs, "ServiceMonitor")
		if !bytes.Contains(sm.raw, []byte("port: metrics")) {
			t.Errorf("ServiceMonitor does not scrape the metrics port:\n%s", sm.raw)
		}
		ds := decode[appsv1.DaemonSet](t, only(t, objs, "DaemonSet"))
		c := ds.Spec.Template.Spec.Containers[0]
		for _, a := range []string{"--reports=wgpolicy", "--resync=5m", "--events"} {
			if !slices.Contains(c.Args, a) {
				t.Errorf("args %q lack %s", c.Args, a)
			}
		}
		if c.Image != "registry.example/rtaudit:v9.9.9" {
			t.Errorf("image %s", c.Image)
		}
	})

	t.Run("refuses", func(t *testing.T) {
		for _, set := range []string{"reports=bogus", "runtime.socketPath=run/containerd.sock", "runtime.socketPath=/run/../etc/x"} {
			if _, err := helmTemplate(t, h, "--set", set); err == nil {
				t.Errorf("--set %s rendered", set)
			}
		}
	})
}

func kubectlPath() string {
	dir := os.Getenv(k8sCacheEnv)
	if dir == "" {
		dir = defaultK8sCache
	}
	return filepath.Join(dir, "kubectl")
}
