package waiver

import (
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// TestCRDsMatchSpec decodes each hand-written CRD and holds its schema to
// the Go types: every JSON field of Spec (recursively) is in the schema
// with the same type, and nothing else is; required fields are those
// without omitempty; the checks enum is the registered checks.
func TestCRDsMatchSpec(t *testing.T) {
	for _, tc := range []struct {
		file, kind, plural, scope string
		omit                      []string // Spec fields this kind has not
	}{
		{"rtaudit.dev_waivers.yaml", KindWaiver, "waivers", "Namespaced", []string{"namespaces"}},
		{"rtaudit.dev_clusterwaivers.yaml", KindClusterWaiver, "clusterwaivers", "Cluster", nil},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			data, err := os.ReadFile("../../deploy/crds/" + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var crd map[string]any
			if err := yaml.UnmarshalStrict(data, &crd); err != nil {
				t.Fatal(err)
			}
			get := func(path string) any { t.Helper(); return lookup(t, crd, path) }
			for path, want := range map[string]any{
				"apiVersion":          "apiextensions.k8s.io/v1",
				"kind":                "CustomResourceDefinition",
				"metadata.name":       tc.plural + "." + Group,
				"spec.group":          Group,
				"spec.scope":          tc.scope,
				"spec.names.kind":     tc.kind,
				"spec.names.listKind": tc.kind + "List",
				"spec.names.plural":   tc.plural,
			} {
				if got := get(path); got != want {
					t.Errorf("%s = %v, want %v", path, got, want)
				}
			}
			versions := get("spec.versions").([]any)
			if len(versions) != 1 {
				t.Fatalf("%d versions, want 1", len(versions))
			}
			v := versions[0].(map[string]any)
			if v["name"] != Version || v["served"] != true || v["storage"] != true {
				t.Errorf("version %v %v %v, want %s served and stored", v["name"], v["served"], v["storage"], Version)
			}
			var columns []string
			for _, c := range lookup(t, v, "additionalPrinterColumns").([]any) {
				columns = append(columns, c.(map[string]any)["jsonPath"].(string))
			}
			for _, want := range []string{".spec.checks", ".spec.reason", ".spec.expires"} {
				if !slices.Contains(columns, want) {
					t.Errorf("no printer column for %s", want)
				}
			}
			root := lookup(t, v, "schema.openAPIV3Schema").(map[string]any)
			if got := lookup(t, root, "required"); !reflect.DeepEqual(got, []any{"spec"}) {
				t.Errorf("required = %v, want [spec]", got)
			}
			spec := lookup(t, root, "properties.spec").(map[string]any)
			compareSchema(t, "spec", reflect.TypeFor[Spec](), spec, tc.omit)

			var enum []string
			for _, e := range lookup(t, spec, "properties.checks.items.enum").([]any) {
				enum = append(enum, e.(string))
			}
			var ids []string
			for _, c := range checks.All() {
				ids = append(ids, string(c.ID))
			}
			if d := cmp.Diff(ids, enum); d != "" {
				t.Errorf("spec.checks enum is not the registered checks (-registered +enum):\n%s", d)
			}
		})
	}
}

// compareSchema compares an OpenAPI v3 schema with Go type typ.
func compareSchema(t *testing.T, path string, typ reflect.Type, schema map[string]any, omit []string) {
	t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	want := schemaType(typ)
	if got := schema["type"]; got != want {
		t.Errorf("%s: schema type %v, Go type %s wants %s", path, got, typ, want)
		return
	}
	switch {
	case typ == reflect.TypeFor[metav1.Time]():
		if schema["format"] != "date-time" {
			t.Errorf("%s: format %v, want date-time", path, schema["format"])
		}
	case typ.Kind() == reflect.Slice:
		items, _ := schema["items"].(map[string]any)
		if items == nil {
			t.Errorf("%s: array without items", path)
			return
		}
		compareSchema(t, path+"[]", typ.Elem(), items, nil)
	case typ.Kind() == reflect.Map:
		ap, _ := schema["additionalProperties"].(map[string]any)
		if ap == nil {
			t.Errorf("%s: map without additionalProperties", path)
			return
		}
		compareSchema(t, path+".*", typ.Elem(), ap, nil)
	case typ.Kind() == reflect.Struct:
		props, _ := schema["properties"].(map[string]any)
		var goRequired, goFields []string
		for f := range typ.Fields() {
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if slices.Contains(omit, name) {
				continue
			}
			goFields = append(goFields, name)
			if !strings.Contains(opts, "omitempty") {
				goRequired = append(goRequired, name)
			}
			sub, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: in the Go type, not in the CRD schema", path, name)
				continue
			}
			compareSchema(t, path+"."+name, f.Type, sub, nil)
		}
		for name := range props {
			if !slices.Contains(goFields, name) {
				t.Errorf("%s.%s: in the CRD schema, not in the Go type", path, name)
			}
		}
		var required []string
		for _, r := range asSlice(schema["required"]) {
			required = append(required, r.(string))
		}
		sort.Strings(goRequired)
		sort.Strings(required)
		if d := cmp.Diff(goRequired, required); d != "" {
			t.Errorf("%s: required fields (-Go without omitempty +CRD):\n%s", path, d)
		}
	}
}

func schemaType(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[metav1.Time]():
		return "string"
	case t.Kind() == reflect.Struct, t.Kind() == reflect.Map:
		return "object"
	case t.Kind() == reflect.Slice:
		return "array"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Bool:
		return "boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "integer"
	}
	return "unsupported Go type " + t.String()
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func lookup(t *testing.T, m map[string]any, path string) any {
	t.Helper()
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %s is not an object", path, k)
		}
		if v, ok = mm[k]; !ok {
			t.Fatalf("%s: no %s", path, k)
		}
	}
	return v
}
