package waiver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// MaxFileSize caps a waiver file: waivers are a few hundred bytes each.
const MaxFileSize = 4 << 20

// Load reads the waivers of a file: YAML or JSON, one or more documents,
// each a Waiver, a ClusterWaiver or a List (WaiverList, ClusterWaiverList)
// of them. Decoding is strict (an unknown or duplicate field, another kind,
// an invalid waiver, two waivers of the same kind and name are errors) and
// a file without any waiver is an error. Errors are one line, naming the
// file and the document.
func Load(path string) ([]Waiver, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, want a file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: larger than %d MiB: not a waiver file", path, MaxFileSize>>20)
	}
	ws, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(ws) == 0 {
		return nil, fmt.Errorf("%s: no %s or %s found", path, KindWaiver, KindClusterWaiver)
	}
	return ws, nil
}

// Parse decodes and validates the waivers of data, as Load does, without
// the size cap and the "no waiver" error.
func Parse(data []byte) ([]Waiver, error) {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var ws []Waiver
	seen := map[string]bool{}
	for n := 1; ; n++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return ws, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		got, err := parseDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %s", n, oneLine(err))
		}
		for _, w := range got {
			id := w.Kind + " " + w.Key()
			if seen[id] {
				return nil, fmt.Errorf("document %d: %s defined twice", n, id)
			}
			seen[id] = true
		}
		ws = append(ws, got...)
	}
}

// oneLine joins the lines of a multi-line error (the YAML parser's).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func parseDocument(doc []byte) ([]Waiver, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil
	}
	raw, err := yaml.YAMLToJSONStrict(doc) // rejects duplicate keys
	if err != nil {
		return nil, err
	}
	var obj any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	switch obj.(type) {
	case nil:
		return nil, nil // an empty document ("---" then comments)
	case map[string]any:
	default:
		return nil, errors.New("not an object")
	}
	switch kind, _ := obj.(map[string]any)["kind"].(string); kind {
	case KindWaiver, KindClusterWaiver:
		w, err := decodeWaiver(raw, obj)
		if err != nil {
			return nil, err
		}
		return []Waiver{w}, nil
	case "List", "WaiverList", "ClusterWaiverList":
		var l list
		if err := strictDecode(raw, obj, &l); err != nil {
			return nil, err
		}
		ws := make([]Waiver, 0, len(l.Items))
		for i, item := range l.Items {
			var obj any
			if err := json.Unmarshal(item, &obj); err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			if k, _ := obj.(map[string]any)["kind"].(string); k != KindWaiver && k != KindClusterWaiver {
				return nil, fmt.Errorf("items[%d]: kind %q: want %s or %s", i, k, KindWaiver, KindClusterWaiver)
			}
			w, err := decodeWaiver(item, obj)
			if err != nil {
				return nil, fmt.Errorf("items[%d]: %w", i, err)
			}
			ws = append(ws, w)
		}
		return ws, nil
	case "":
		return nil, errors.New("object has no kind")
	default:
		return nil, fmt.Errorf("kind %q: want %s, %s or a List of them", kind, KindWaiver, KindClusterWaiver)
	}
}

// list is a List, WaiverList or ClusterWaiverList.
type list struct {
	APIVersion string            `json:"apiVersion,omitempty"`
	Kind       string            `json:"kind"`
	Metadata   map[string]any    `json:"metadata,omitempty"`
	Items      []json.RawMessage `json:"items"`
}

func decodeWaiver(raw []byte, obj any) (Waiver, error) {
	var w Waiver
	if err := strictDecode(raw, obj, &w); err != nil {
		return Waiver{}, err
	}
	if err := w.Validate(); err != nil {
		return Waiver{}, err
	}
	return w, nil
}

// strictDecode decodes raw into v, first rejecting any key of obj (raw,
// decoded generically) that is not a field of v's type, compared case
// sensitively (encoding/json alone would take "Reason" for "reason").
func strictDecode(raw []byte, obj any, v any) error {
	if err := unknownField(obj, reflect.TypeOf(v), ""); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

var unmarshaler = reflect.TypeFor[json.Unmarshaler]()

// unknownField returns an error naming the first key of v (in sorted
// order, with its path) that type t has no JSON field for, or the first
// value a type that decodes itself (metav1.Time) rejects, with its path.
// Other type mismatches are left to encoding/json.
func unknownField(v any, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshaler) {
		b, err := json.Marshal(v)
		if err == nil {
			err = reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b)
		}
		if err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: unknown field", join(path, k))
			}
			if err := unknownField(m[k], ft, join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		s, _ := v.([]any)
		for i, e := range s {
			if err := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, _ := v.(map[string]any)
		for k, e := range m {
			if err := unknownField(e, t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// jsonFields maps the JSON names of struct t's fields to their types, with
// embedded and inline structs flattened as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					if _, shadowed := out[k]; !shadowed {
						out[k] = v
					}
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
