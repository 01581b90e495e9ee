package declared

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/rtaudit/rtaudit/agent/internal/kube/kubefake"
)

func TestNetworkPoliciesFromManifests(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", `apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {containers: [{name: app, image: x}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec: {podSelector: {}}
`)
	write("b.json", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow","namespace":"shop"},"spec":{"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{}]}}]}`)
	got, err := NetworkPoliciesFromManifests(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Namespace+"/"+got[0].Name != "default/deny-all" || got[1].Namespace+"/"+got[1].Name != "shop/allow" || len(got[1].Spec.Ingress) != 1 {
		t.Fatalf("got %+v", got)
	}
	// The pods' loader reads the same policies in its one pass.
	ix, err := LoadManifests(dir, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if one, err := ix.NetworkPolicies(); err != nil || !equality.Semantic.DeepEqual(one, got) {
		t.Errorf("LoadManifests' policies = %+v, %v; want %+v", one, err, got)
	}
	write("c.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelectr: {}}\n")
	if _, err := NetworkPoliciesFromManifests(dir); err == nil {
		t.Error("a misspelt field accepted")
	}
	// A bad policy leaves the policies unknown, not the pods.
	if ix, err = LoadManifests(dir, nil, ""); err != nil {
		t.Fatalf("a bad policy failed the pods: %v", err)
	}
	if _, err := ix.NetworkPolicies(); err == nil || !strings.Contains(err.Error(), "c.yaml: document 1: NetworkPolicy: ") {
		t.Errorf("LoadManifests' policies with a misspelt field: %v", err)
	}
	if one, _ := NewIndex("", nil).NetworkPolicies(); one == nil || len(one) != 0 {
		t.Errorf("no policy: %v (want an empty, non-nil list: the policies are known)", one)
	}
	empty := t.TempDir()
	if got, err := NetworkPoliciesFromManifests(empty); err != nil || got == nil || len(got) != 0 {
		t.Errorf("no policy: %v %v (want an empty, non-nil list: the policies are known)", got, err)
	}
}

func TestPolicyInformer(t *testing.T) {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny", Namespace: "shop"}}
	cs := fake.NewClientset(np)
	p := NewPolicyInformer(kubefake.New(cs))
	if p.Policies() != nil {
		t.Error("policies known before the first sync")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Run(ctx)
	got := p.Policies()
	if len(got) != 1 || got[0].Name != "deny" {
		t.Fatalf("got %v", got)
	}
}
