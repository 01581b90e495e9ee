package declared

import (
	"strings"
	"testing"
)

func TestLoadManifestsDirectory(t *testing.T) {
	ix, err := LoadManifests("testdata", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 4 {
		t.Fatalf("indexed %d pods, want 4 (a, b, c, d)", ix.Len())
	}
	for _, tc := range []struct {
		uid, ns, name string
		want          string
	}{
		{"11111111-1111-1111-1111-111111111111", "", "", "a"}, // by UID alone
		{"", "team", "a", "a"},
		{"other-uid", "team", "a", ""}, // same name, another pod: not a match
		{"x", "default", "b", "b"},     // manifest has no UID: name decides
		{"", "team", "c", "c"},
		{"", "team", "d", "d"},
		{"", "team", "missing", ""},
	} {
		p, ok := ix.Lookup(tc.uid, tc.ns, tc.name)
		got := ""
		if ok {
			got = p.Name
		}
		if got != tc.want {
			t.Errorf("Lookup(%q, %q, %q) = %q, want %q", tc.uid, tc.ns, tc.name, got, tc.want)
		}
	}
	p, _ := ix.Lookup("", "team", "c")
	if u := p.Spec.SecurityContext.RunAsUser; u == nil || *u != 1000 {
		t.Errorf("pod c runAsUser = %v, want 1000", u)
	}
}

func TestLoadManifestsStdin(t *testing.T) {
	ix, err := LoadManifests("-", strings.NewReader("kind: PodList\nitems:\n- kind: Pod\n  metadata: {name: x}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Lookup("", "default", "x"); !ok {
		t.Error("pod x from stdin not found")
	}
}

func TestLoadManifestsErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kind: Service\nmetadata: {name: s}\n", "no Pod found"},
		{"kind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUsr: 1}\n", `unknown field "runAsUsr"`},
		{"kind: Pod\nspec: {}\n", "no metadata.name"},
		{"metadata: {name: p}\n", "no kind"},
		{"kind: Pod\n  bad: [\n", "document 1"},
	} {
		_, err := LoadManifests("-", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("input %q: err = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
	if _, err := LoadManifests("testdata/nope.yaml", nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestMirrorPodMatchesStaticPodUID(t *testing.T) {
	ix, err := LoadManifests("-", strings.NewReader(`kind: Pod
metadata:
  name: etcd-node1
  namespace: kube-system
  uid: 9a0f-mirror
  annotations: {kubernetes.io/config.mirror: 3c1e5d0d1f6a7b8c}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Lookup("3c1e5d0d1f6a7b8c", "kube-system", "etcd-node1"); !ok {
		t.Error("the static pod's container (its UID is the mirror annotation) is not matched to the mirror pod")
	}
}
