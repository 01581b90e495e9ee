package deploy

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
)

// netpolGrants is grants with the network-policies opt-in.
func netpolGrants() map[string][]string {
	g := maps.Clone(grants)
	g["networking.k8s.io/networkpolicies"] = []string{"get", "list", "watch"}
	return g
}

// sameButNetpolFlag: opted is base with --network-policies appended to the
// agent's arguments, and nothing else changed.
func sameButNetpolFlag(t *testing.T, base, opted *appsv1.DaemonSet) {
	t.Helper()
	want := base.DeepCopy()
	c := &want.Spec.Template.Spec.Containers[0]
	c.Args = append(c.Args, "--network-policies")
	if diff := cmp.Diff(want, opted); diff != "" {
		t.Errorf("the opt-in changes more than the flag (-base with the flag +opt-in):\n%s", diff)
	}
	if slices.Contains(base.Spec.Template.Spec.Containers[0].Args, "--network-policies") {
		t.Error("the default install passes --network-policies")
	}
}

// TestNetworkPoliciesComponent: deploy/ with the network-policies component
// grants get/list/watch on networkpolicies and passes --network-policies,
// and changes nothing else; without it (TestKustomize) neither.
func TestNetworkPoliciesComponent(t *testing.T) {
	k := kubectl(t)
	dir := kustomizeTree(t)
	user := t.TempDir() // outside the tree: kustomize refuses a root inside another
	rel, err := filepath.Rel(user, dir)
	if err != nil {
		t.Fatal(err)
	}
	for name, overlay := range map[string]string{"containerd": rel, "crio": filepath.Join(rel, "overlays", "crio")} {
		t.Run(name, func(t *testing.T) {
			kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [" + overlay + "]\ncomponents: [" + filepath.Join(rel, "components", "network-policies") + "]\n"
			if err := os.WriteFile(filepath.Join(user, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
				t.Fatal(err)
			}
			opted := checkGrants(t, parse(t, run(t, k, "kustomize", user)), sockets[name], netpolGrants())
			base := check(t, parse(t, run(t, k, "kustomize", filepath.Join(user, overlay))), sockets[name])
			sameButNetpolFlag(t, base.DaemonSet, opted.DaemonSet)
		})
	}
}

// TestHelmNetworkPolicies: networkPolicies.enabled=true grants and passes
// the same as the component; the default (TestHelm) neither.
func TestHelmNetworkPolicies(t *testing.T) {
	h := helm(t)
	out, err := helmTemplate(t, h, "--set", "networkPolicies.enabled=true")
	if err != nil {
		t.Fatal(err)
	}
	opted := checkGrants(t, parse(t, out), sockets["containerd"], netpolGrants())
	out, err = helmTemplate(t, h)
	if err != nil {
		t.Fatal(err)
	}
	base := check(t, parse(t, out), sockets["containerd"])
	sameButNetpolFlag(t, base.DaemonSet, opted.DaemonSet)
}
