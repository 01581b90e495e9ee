package declared

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/agent/expect"
)

// LoadManifests reads pods from path: a file, a directory (its *.yaml,
// *.yml and *.json files, not recursive) or "-" for stdin. Objects of other
// kinds are skipped; finding no pod at all is an error.
func LoadManifests(path string, stdin io.Reader) (*Index, error) {
	var pods []*corev1.Pod
	add := func(name string, r io.Reader) error {
		got, err := parseStream(r)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		pods = append(pods, got...)
		return nil
	}
	switch {
	case path == "-":
		if err := add("stdin", stdin); err != nil {
			return nil, err
		}
	default:
		files, err := manifestFiles(path)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := readFile(f, add); err != nil {
				return nil, err
			}
		}
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%s: no Pod found (want a Pod, PodList or List)", path)
	}
	return NewIndex(expect.OriginManifest, pods), nil
}

func readFile(name string, add func(string, io.Reader) error) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return add(name, f)
}

func manifestFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".yaml", ".yml", ".json":
			if !e.IsDir() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// typeMeta is enough of an object to tell a Pod from a list.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// parseStream splits multi-document YAML (JSON is valid YAML) and decodes
// every Pod, including the items of List and PodList.
func parseStream(r io.Reader) ([]*corev1.Pod, error) {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var pods []*corev1.Pod
	for n := 1; ; n++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return pods, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		raw, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		got, err := decodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		pods = append(pods, got...)
	}
}

func decodeObject(raw []byte) ([]*corev1.Pod, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	switch tm.Kind {
	case "Pod":
		var p corev1.Pod
		if err := strictPod(raw, &p); err != nil {
			return nil, err
		}
		return []*corev1.Pod{&p}, nil
	case "List", "PodList":
		var pods []*corev1.Pod
		for i, item := range tm.Items {
			got, err := decodeObject(item)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			pods = append(pods, got...)
		}
		return pods, nil
	case "":
		return nil, errors.New("object has no kind")
	default:
		return nil, nil // another kind of object: not a pod, nothing declared here
	}
}

// strictPod decodes a Pod and rejects unknown fields, so a misspelt
// securityContext key is an error rather than a silently wrong expectation.
func strictPod(raw []byte, p *corev1.Pod) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return fmt.Errorf("pod: %w", err)
	}
	if p.Name == "" {
		return errors.New("pod has no metadata.name")
	}
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	return nil
}
