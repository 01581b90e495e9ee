package declared

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadManifests: whatever bytes arrive on stdin (--pods -), reading
// them never panics, and a refusal is one line (the CLI prints it as is).
// Seeds: the manifests of testdata, and shapes the reader treats apart
// (kubectl's List, JSON streams, node filtering, strict fields).
func FuzzLoadManifests(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "")
		f.Add(data, "node-a")
	}
	for _, s := range []string{
		"kind: PodList\nitems:\n- kind: Pod\n  metadata: {name: x}\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    nodeName: node-b\n",
		`{"kind":"Pod","metadata":{"name":"j"}}{"kind":"Pod","metadata":{"name":"k"}}`,
		`{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"l"},"spec":{"nodeName":"node-a"}}]}`,
		"kind: Pod\nmetadata: {name: s}\nspec:\n  securityContex: {}\n",
		"---\n---\nkind: Pod\n",
		"kind: Pod\nmetadata: {name: &a x, labels: *a}\n",
		"\xef\xbb\xbfkind: Pod\nmetadata: {name: bom}\n",
		"items: [",
		"",
	} {
		f.Add([]byte(s), "node-a")
	}
	f.Fuzz(func(t *testing.T, data []byte, node string) {
		ix, err := LoadManifests("-", bytes.NewReader(data), node)
		if err != nil {
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error of more than one line: %q", msg)
			}
			return
		}
		if ix == nil || ix.Len() == 0 {
			t.Errorf("no error and no pod: %v", ix)
		}
	})
}
