package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestObjectsFitTheCRDs: every field a Writer sets is in the schema of the
// CRD deploy/crds installs. A field the schema lacks would be pruned by the
// API server, and the object would never compare equal to what the Writer
// builds: one update per audit, for ever.
func TestObjectsFitTheCRDs(t *testing.T) {
	b := build(input{report: fixture(), pods: pods(), node: node, nodeLabel: node, withSource: true, now: t0})
	for _, tc := range []struct {
		file    string
		cluster bool
	}{{"openreports.io_reports.yaml", false}, {"openreports.io_clusterreports.yaml", true}} {
		data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "crds", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		var crd struct {
			Spec struct {
				Versions []struct {
					Name   string
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					}
				}
			}
		}
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var schema map[string]any
		for _, v := range crd.Spec.Versions {
			if v.Name == "v1alpha1" {
				schema = v.Schema.OpenAPIV3Schema
			}
		}
		if schema == nil {
			t.Fatalf("%s: no v1alpha1 schema", tc.file)
		}
		n := 0
		for k, obj := range b.objects {
			if k.cluster != tc.cluster {
				continue
			}
			n++
			raw, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			delete(m, "metadata") // ObjectMeta, not in the CRD's schema
			for _, p := range unknownFields(m, schema, "") {
				t.Errorf("%s: %s sets %s, which the CRD schema prunes", tc.file, k, p)
			}
		}
		if n == 0 {
			t.Errorf("%s: no object to check", tc.file)
		}
	}
}

// unknownFields lists the paths of v that schema does not declare.
func unknownFields(v any, schema map[string]any, path string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		extra, _ := schema["additionalProperties"].(map[string]any)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub, ok := props[k].(map[string]any)
			if !ok {
				sub = extra
			}
			if sub == nil {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, unknownFields(v[k], sub, path+"."+k)...)
		}
	case []any:
		items, _ := schema["items"].(map[string]any)
		for _, e := range v {
			out = append(out, unknownFields(e, items, path+"[]")...)
		}
	}
	return out
}
