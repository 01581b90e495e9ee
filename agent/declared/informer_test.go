package declared

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/rtaudit/rtaudit/agent/internal/kube/kubefake"
)

func pod(ns, name, uid, node string, ann map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid), Annotations: ann},
		Spec:       corev1.PodSpec{NodeName: node},
	}
}

func TestInformer(t *testing.T) {
	cs := fake.NewClientset(
		pod("a", "web", "u1", "n1", nil),
		pod("kube-system", "etcd-n1", "mirror-uid", "n1", map[string]string{mirrorAnnotation: "static-uid"}),
	)
	in, err := NewInformer(kubefake.New(cs), "n1")
	if err != nil {
		t.Fatal(err)
	}
	if in.Synced() {
		t.Fatal("synced before Run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in.Run(ctx)
	if !in.Synced() || !in.Healthy() {
		t.Fatalf("after Run: synced %v healthy %v", in.Synced(), in.Healthy())
	}
	if p, ok := in.Lookup("u1", "a", "web"); !ok || p.Name != "web" {
		t.Errorf("by UID: %v %v", p, ok)
	}
	if p, ok := in.Lookup("static-uid", "kube-system", "etcd-n1"); !ok || p.Name != "etcd-n1" {
		t.Errorf("static pod by its mirror's annotation: %v %v", p, ok)
	}
	if _, ok := in.Lookup("other-uid", "a", "web"); ok {
		t.Error("a pod recreated under the same name matched its predecessor")
	}
	// A pod created after the listing is found at once: through the watch
	// or, before the watch delivers it, live.
	if _, err := cs.CoreV1().Pods("b").Create(ctx, pod("b", "new", "u2", "n1", nil), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if p, ok := in.Lookup("u2", "b", "new"); !ok || p.Name != "new" {
		t.Errorf("new pod: %v %v", p, ok)
	}
	if _, ok := in.Lookup("u3", "b", "ghost"); ok {
		t.Error("a pod nobody created was found")
	}
	if n := len(in.Pods()); n < 2 {
		t.Errorf("Pods() = %d pods", n)
	}
}

// TestInformerNamespaceLabels: the namespaces' labels come from the same
// API as the pods, watched: a label set later is seen.
func TestInformerNamespaceLabels(t *testing.T) {
	cs := fake.NewClientset(
		pod("a", "web", "u1", "n1", nil),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	)
	in, err := NewInformer(kubefake.New(cs), "n1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := in.NamespaceLabels("a"); ok {
		t.Fatal("labels known before Run")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in.Run(ctx)
	var src Source = in
	labeler, ok := src.(NamespaceLabeler)
	if !ok {
		t.Fatal("the informer does not answer namespace labels")
	}
	poll := func(name, want string) {
		t.Helper()
		for ctx.Err() == nil {
			if l, ok := labeler.NamespaceLabels(name); ok && l["pod-security.kubernetes.io/enforce"] == want {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("namespace %s: enforce label never %q", name, want)
	}
	poll("a", "restricted")
	poll("b", "")
	if _, ok := labeler.NamespaceLabels("ghost"); ok {
		t.Error("an unknown namespace has labels")
	}
	ns, _ := cs.CoreV1().Namespaces().Get(ctx, "b", metav1.GetOptions{})
	ns.Labels = map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	poll("b", "baseline")
}

// TestIndexNamespaceLabels: LoadKubeAPI's index answers the labels of the
// namespaces it read, and nothing for the others.
func TestIndexNamespaceLabels(t *testing.T) {
	ix := NewIndex("kube-api", []*corev1.Pod{pod("a", "web", "u1", "n1", nil)})
	if _, ok := ix.NamespaceLabels("a"); ok {
		t.Fatal("labels before SetNamespaces")
	}
	cs := fake.NewClientset(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "y"}}})
	nss, err := getNamespaces(context.Background(), kubefake.New(cs), []*corev1.Pod{pod("a", "web", "u1", "n1", nil), pod("gone", "p", "u2", "n1", nil)})
	if err == nil || len(nss) != 1 {
		t.Fatalf("namespaces %v, err %v: want a, and an error for the missing one", nss, err)
	}
	ix.SetNamespaces(nss)
	if l, ok := ix.NamespaceLabels("a"); !ok || l["x"] != "y" {
		t.Errorf("labels of a: %v %v", l, ok)
	}
	if _, ok := ix.NamespaceLabels("gone"); ok {
		t.Error("labels of an unread namespace")
	}
}

// TestManifestNamespaces: Namespace objects among the manifests give their
// labels; a file with only namespaces still needs a pod.
func TestManifestNamespaces(t *testing.T) {
	docs := `apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.30}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: other}}
- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: demo}, spec: {containers: [{name: app, image: busybox}]}}
`
	ix, err := LoadManifests("-", strings.NewReader(docs), "")
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := ix.NamespaceLabels("demo"); !ok || l["pod-security.kubernetes.io/enforce"] != "restricted" || l["pod-security.kubernetes.io/enforce-version"] != "v1.30" {
		t.Errorf("demo: %v %v", l, ok)
	}
	if l, ok := ix.NamespaceLabels("other"); !ok || len(l) != 0 {
		t.Errorf("other: %v %v, want known without labels", l, ok)
	}
	if _, ok := ix.NamespaceLabels("absent"); ok {
		t.Error("a namespace no manifest names has labels")
	}
	if _, err := LoadManifests("-", strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n"), ""); err == nil {
		t.Error("namespaces alone: want the no-pod error")
	}
	if _, err := LoadManifests("-", strings.NewReader("apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n---\n"+strings.SplitN(docs, "---\n", 2)[1]), ""); err == nil {
		t.Error("a namespace without a name: want an error")
	}
}
