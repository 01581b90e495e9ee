package declared

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadManifestsDirectory(t *testing.T) {
	ix, err := LoadManifests("testdata", nil, "")
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
	ix, err := LoadManifests("-", strings.NewReader("kind: PodList\nitems:\n- kind: Pod\n  metadata: {name: x}\n"), "")
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
		_, err := LoadManifests("-", strings.NewReader(tc.in), "")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("input %q: err = %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
	if _, err := LoadManifests("testdata/nope.yaml", nil, ""); err == nil {
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
`), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ix.Lookup("3c1e5d0d1f6a7b8c", "kube-system", "etcd-node1"); !ok {
		t.Error("the static pod's container (its UID is the mirror annotation) is not matched to the mirror pod")
	}
}

// bigList writes n pods spread over nodes n0..n9 as kubectl does, in YAML
// or JSON.
func bigList(n int, asJSON bool) string {
	var b strings.Builder
	if asJSON {
		b.WriteString(`{"apiVersion":"v1","kind":"List","items":[`)
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p%d","namespace":"ns","uid":"u%d"},"spec":{"nodeName":"n%d","containers":[{"name":"c","image":"i","securityContext":{"runAsUser":%d}}]}}`, i, i, i%10, 1000+i)
		}
		b.WriteString(`],"metadata":{"resourceVersion":""}}`)
		return b.String()
	}
	b.WriteString("apiVersion: v1\nitems:\n")
	for i := range n {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p%d\n    namespace: ns\n    uid: u%d\n  spec:\n    nodeName: n%d\n    containers:\n    - name: c\n      image: i\n      securityContext:\n        runAsUser: %d\n", i, i, i%10, 1000+i)
	}
	b.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	return b.String()
}

// TestLargeListsKeepThisNode: a list of many pods (kubectl get pods -A -o
// yaml|json) larger than a YAML document is parsed whole is read item by
// item, and only this node's pods are kept.
func TestLargeListsKeepThisNode(t *testing.T) {
	for _, asJSON := range []bool{false, true} {
		in := bigList(20000, asJSON)
		if !asJSON && len(in) < 1<<20 {
			t.Fatalf("the YAML list is %d bytes: too small to take the item-by-item path", len(in))
		}
		ix, err := LoadManifests("-", strings.NewReader(in), "n3")
		if err != nil {
			t.Fatalf("json %v: %v", asJSON, err)
		}
		if ix.Len() != 2000 {
			t.Errorf("json %v: %d pods kept, want the 2000 of node n3", asJSON, ix.Len())
		}
		p, ok := ix.Lookup("u13", "ns", "p13")
		if !ok || *p.Spec.Containers[0].SecurityContext.RunAsUser != 1013 {
			t.Errorf("json %v: pod p13 of n3 not read right: %v", asJSON, p)
		}
		if _, ok := ix.Lookup("u12", "ns", "p12"); ok {
			t.Errorf("json %v: a pod of node n2 was kept", asJSON)
		}
	}
	_, err := LoadManifests("-", strings.NewReader(bigList(100, true)), "elsewhere")
	if err == nil || !strings.Contains(err.Error(), `no Pod of node "elsewhere"`) || !strings.Contains(err.Error(), "n0") {
		t.Errorf("all pods elsewhere: %v, want an error naming the nodes found", err)
	}
}

// TestHugeYAMLDocumentRefused: a YAML document that is no list and over
// the limit is refused with one line, not parsed into gigabytes.
func TestHugeYAMLDocumentRefused(t *testing.T) {
	in := "kind: Pod\nmetadata:\n  name: x\n  annotations:\n    a: \"" + strings.Repeat("x", MaxYAMLDocument) + "\"\n"
	_, err := LoadManifests("-", strings.NewReader(in), "")
	if err == nil || !strings.Contains(err.Error(), "give it as JSON") || strings.Contains(err.Error(), "\n") {
		t.Errorf("huge YAML document: %v", err)
	}
}

func BenchmarkLargeList(b *testing.B) {
	for _, asJSON := range []bool{false, true} {
		in := bigList(20000, asJSON)
		b.Run(fmt.Sprintf("json=%v/%dMiB", asJSON, len(in)>>20), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LoadManifests("-", strings.NewReader(in), "n3"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkManifestDir loads a directory of one small manifest per pod,
// as make bench-scan writes them (110 pods).
func BenchmarkManifestDir(b *testing.B) {
	dir := b.TempDir()
	for i := range 110 {
		body := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n  namespace: bench\n  uid: u%d\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [sleep, inf]\n    securityContext:\n      runAsUser: %d\n      allowPrivilegeEscalation: false\n      capabilities: {drop: [ALL]}\n", i, i, 1000+i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%03d.yaml", i)), []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadManifests(dir, nil, ""); err != nil {
			b.Fatal(err)
		}
	}
}
