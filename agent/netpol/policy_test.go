package netpol

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func pod(ns, name string, l map[string]string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: l}}
}

func policy(t *testing.T, y string) *networkingv1.NetworkPolicy {
	t.Helper()
	var p networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(y), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func TestIsolatingAndVerdicts(t *testing.T) {
	denyAll := policy(t, `metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}}`)
	allowWeb := policy(t, `metadata: {name: allow-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 5432}]`)
	fromOps := policy(t, `metadata: {name: from-ops, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}}]
  - from: [{namespaceSelector: {matchLabels: {team: blue}}, podSelector: {matchLabels: {role: scraper}}}]
    ports: [{port: metrics}]`)
	egress := policy(t, `metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5000, endPort: 5500}]`)
	all := []*networkingv1.NetworkPolicy{denyAll, allowWeb, fromOps, egress}
	db := pod("shop", "db", map[string]string{"app": "db"})
	web := pod("shop", "web", map[string]string{"app": "web"})
	other := pod("shop", "other", nil)
	ops := pod("ops", "tool", map[string]string{"app": "web"})
	free := pod("free", "x", map[string]string{"role": "scraper"})
	hostnet := pod("shop", "hostnet", map[string]string{"app": "db"})
	hostnet.Spec.HostNetwork = true

	iso := Isolating(all, db)
	if !slices.Equal(iso.Ingress, []string{"shop/allow-web", "shop/deny-all", "shop/from-ops"}) || len(iso.Egress) != 0 {
		t.Errorf("db isolation %+v", iso)
	}
	if iso := Isolating(all, web); !slices.Equal(iso.Ingress, []string{"shop/deny-all"}) || !slices.Equal(iso.Egress, []string{"shop/web-egress"}) {
		t.Errorf("web isolation %+v", iso)
	}
	if Isolating(all, hostnet).Isolated() || Isolating(all, free).Isolated() {
		t.Error("a hostNetwork pod, or one no policy selects, is not isolated")
	}
	for _, tc := range []struct {
		name     string
		src, dst *corev1.Pod
		port     int32
		in, eg   Verdict
	}{
		{"web to db on the allowed port", web, db, 5432, Allowed, Allowed},
		{"web to db on another port", web, db, 80, Denied, Denied},
		{"other pod of the namespace", other, db, 5432, Denied, Allowed},
		{"from the ops namespace by name", ops, db, 80, Allowed, Allowed},
		{"a namespace whose labels are unknown: named port", free, db, 9100, Unknown, Allowed},
		{"to a pod no policy isolates", other, free, 80, Allowed, Allowed},
		{"egress of web within the port range", web, db, 5001, Denied, Allowed},
		{"egress of web to a pod the rule does not name", web, other, 5001, Denied, Denied},
	} {
		if got := IngressVerdict(all, tc.src, tc.dst, tc.port); got != tc.in {
			t.Errorf("%s: ingress %v, want %v", tc.name, got, tc.in)
		}
		if got := EgressVerdict(all, tc.src, tc.dst, tc.port); got != tc.eg {
			t.Errorf("%s: egress %v, want %v", tc.name, got, tc.eg)
		}
	}
}

func TestKubeRouterFirewall(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"kube-router"}, true},
		{[]string{"kube-router", "--run-firewall=true"}, true},
		{[]string{"kube-router", "--run-firewall=false"}, false},
		{[]string{"kube-router", "--run-firewall", "false"}, false},
		{[]string{"kube-router", "-run-firewall=false", "--run-firewall=true"}, true},
	} {
		if got := kubeRouterFirewall(tc.args); got != tc.want {
			t.Errorf("%q: %v", tc.args, got)
		}
	}
}

func TestCNIConfig(t *testing.T) {
	c, err := ParseCNIConfig([]byte(`{"cniVersion":"1.0.0","name":"lab","plugins":[{"type":"bridge","bridge":"cni0"},{"type":"portmap"}]}`), "/etc/cni/net.d/10-lab.conflist")
	if err != nil || c.Name != "lab" || !slices.Equal(c.Plugins, []string{"bridge", "portmap"}) || c.PolicyCapable() {
		t.Errorf("conflist: %+v %v", c, err)
	}
	c, err = ParseCNIConfig([]byte(`{"name":"k8s-pod-network","type":"calico"}`), "x.conf")
	if err != nil || !c.PolicyCapable() {
		t.Errorf("conf: %+v %v", c, err)
	}
	if _, err := ParseCNIConfig([]byte(`{"name":"x"}`), "x"); err == nil {
		t.Error("no plugin type accepted")
	}
	status := map[string]string{"cniconfig": `{"PluginDirs":["/opt/cni/bin"],"Networks":[{"Config":{"Name":"cni-loopback","Plugins":[{"Network":{"type":"loopback"}}]},"IFName":"lo"},{"Config":{"Name":"lab","Plugins":[{"Network":{"type":"bridge"}},{"Network":{"type":"portmap"}}]},"IFName":"eth0"}]}`}
	c, err = CNIFromRuntimeStatus(status)
	if err != nil || c.Name != "lab" || !slices.Equal(c.Plugins, []string{"bridge", "portmap"}) || c.Source != "runtime status" {
		t.Errorf("runtime status: %+v %v", c, err)
	}
	if _, err := CNIFromRuntimeStatus(map[string]string{}); err == nil {
		t.Error("no cniconfig accepted")
	}
}
