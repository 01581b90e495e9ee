package declared

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestPositions: every pod records the file and the line its object starts
// at, and (block style) its containers' entries, in multi-document YAML,
// kubectl Lists (small and split item by item) and JSON.
func TestPositions(t *testing.T) {
	multi := `# leading comment
---
apiVersion: v1
kind: Service
metadata: {name: s}
---   # a separator with a comment

apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  initContainers:
  - name: init
    image: x
  containers:
  - args:
    - sleep
    env:
    - name: app
      value: "not a container"
    image: x
    name: app
  - image: z
    name: "sidecar" # quoted, commented
  volumes:
  - name: sidecar
---
kind: Pod
metadata: {name: flow}
spec:
  containers: [{name: app, image: x}]
`
	list := `apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: a
  spec:
    containers:
    - image: x
      name: main
- apiVersion: v1
  kind: Pod
  metadata:
    name: b
  spec:
    containers:
      - name: main
        image: x
kind: List
metadata: {}
`
	json := `{
  "apiVersion": "v1",
  "kind": "PodList",
  "items": [
    {
      "kind": "Pod",
      "metadata": {"name": "j1"},
      "spec": {"containers": [{"name": "main", "image": "x"}]}
    },
    {"kind": "Pod", "metadata": {"name": "j2"}, "spec": {"containers": [{"name": "main", "image": "x"}]}}
  ]
}
`
	for _, tc := range []struct {
		name, in string
		want     map[string]Position
	}{
		{"multi-document", multi, map[string]Position{
			"prod/web":     {Line: 8, Containers: []ContainerLine{{"init", 15}, {"app", 18}, {"sidecar", 25}}},
			"default/flow": {Line: 30},
		}},
		{"list", list, map[string]Position{
			"default/a": {Line: 3, Containers: []ContainerLine{{"main", 9}}},
			"default/b": {Line: 11, Containers: []ContainerLine{{"main", 17}}},
		}},
		{"json", json, map[string]Position{
			"default/j1": {Line: 5},
			"default/j2": {Line: 10},
		}},
	} {
		ix, err := LoadManifests("-", strings.NewReader(tc.in), "")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for ref, want := range tc.want {
			ns, name, _ := strings.Cut(ref, "/")
			got, ok := ix.Position(ns, name)
			want.File = "-"
			if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s at %+v, want %+v", tc.name, ref, got, want)
			}
		}
	}
}

// TestPositionsInFiles: a directory's pods name their own file; a large
// List split item by item keeps the items' lines.
func TestPositionsInFiles(t *testing.T) {
	ix, err := LoadManifests("testdata", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ns, name, file string
		line           int
	}{
		{"team", "a", "list.yaml", 4},
		{"default", "b", "list.yaml", 9},
		{"team", "c", "multi.yaml", 5},
		{"team", "d", "pod.json", 1},
	} {
		got, ok := ix.Position(tc.ns, tc.name)
		if !ok || got.File != filepath.Join("testdata", tc.file) || got.Line != tc.line {
			t.Errorf("%s/%s at %+v, want %s:%d", tc.ns, tc.name, got, tc.file, tc.line)
		}
	}

	in := bigList(20000, false)
	ix, err = LoadManifests("-", strings.NewReader(in), "n3")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(in, "\n")
	checked := 0
	for _, p := range ix.byName {
		at, ok := ix.Position(p.Namespace, p.Name)
		if !ok || at.Line < 1 || at.Line > len(lines) || !strings.HasPrefix(lines[at.Line-1], "- ") {
			t.Fatalf("%s/%s at %+v: not an item's first line", p.Namespace, p.Name, at)
		}
		for _, c := range at.Containers {
			if !strings.Contains(lines[c.Line-1], "- ") {
				t.Fatalf("%s/%s: container %s at line %d %q", p.Namespace, p.Name, c.Name, c.Line, lines[c.Line-1])
			}
		}
		if len(at.Containers) != 1 || at.ContainerLine("c") != at.Line+9 || at.ContainerLine("nope") != at.Line {
			t.Fatalf("%s/%s: containers %+v", p.Namespace, p.Name, at.Containers)
		}
		// The item's own text names the pod.
		if !strings.Contains(strings.Join(lines[at.Line-1:min(at.Line+20, len(lines))], "\n"), "name: "+p.Name+"\n") {
			t.Fatalf("%s: line %d does not start its item", p.Name, at.Line)
		}
		checked++
	}
	if checked != 2000 {
		t.Errorf("%d pods checked, want 2000", checked)
	}
}
