package declared

import (
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
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/agent/expect"
)

// Limits on manifests: a YAML document is parsed whole (a YAML parser's
// tree costs tens of times the text), except the items of a List or
// PodList as kubectl writes it, which are split and parsed one by one; a
// JSON document is decoded item by item. Pods of other nodes are dropped as
// they are read.
const (
	// MaxYAMLDocument is the largest YAML document parsed whole.
	MaxYAMLDocument = 16 << 20
	// MaxDocument is the largest document read at all.
	MaxDocument = 512 << 20
)

// LoadManifests reads pods from path: a file, a directory (its *.yaml,
// *.yml and *.json files, not recursive) or "-" for stdin. Objects of other
// kinds are skipped; finding no pod at all is an error. With node set, the
// pods bound to other nodes are dropped while reading (the containers of
// this node can only be theirs); if every pod is bound elsewhere the error
// names the nodes found, for a wrong --node-name.
func LoadManifests(path string, stdin io.Reader, node string) (*Index, error) {
	var pods []*corev1.Pod
	pos := map[string]Position{}
	f := &nodeFilter{node: node, others: map[string]int{}}
	// One reader for every file: its 64 KiB buffer, allocated per file,
	// was a quarter of a scan's allocations with a manifest per pod.
	docs := newDocReader(nil)
	add := func(name string, r io.Reader) error {
		file := name
		if name == "stdin" {
			file = "-"
		}
		f.file = name
		docs.reset(io.LimitReader(r, MaxDocument+1))
		err := parseStream(docs, f, func(p *corev1.Pod, at Position) {
			pods = append(pods, p)
			at.File = file
			pos[key(p.Namespace, p.Name)] = at
		})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
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
	if len(pods) == 0 && len(f.others) > 0 {
		return nil, fmt.Errorf("%s: no Pod of node %q (found pods of %s): set --node-name", path, node, f.summary())
	}
	if len(pods) == 0 {
		return nil, fmt.Errorf("%s: no Pod found (want a Pod, PodList or List)", path)
	}
	ix := NewIndex(expect.OriginManifest, pods)
	ix.pos = pos
	if len(f.namespaces) > 0 {
		ix.SetNamespaces(f.namespaces)
	}
	ix.policies, ix.policyErr = f.policies, f.policyErr
	return ix, nil
}

// nodeFilter keeps the pods of one node (all when node is empty) and
// counts the others by node.
type nodeFilter struct {
	node   string
	others map[string]int
	// namespaces are the Namespace objects met (their labels: the Pod
	// Security Admission enforce level).
	namespaces []*corev1.Namespace
	// policies are the NetworkPolicy objects met, read in the same pass
	// as the pods (a second parse of the manifests was a twentieth of a
	// scan's CPU at 110 pods); policyErr is the first one that did not
	// decode, which leaves the policies unknown but does not fail the
	// pods' loading.
	policies  []*networkingv1.NetworkPolicy
	policyErr error
	file      string // the file being read, and
	doc       int    // the document, for policyErr
}

// keep decides from a pod's spec.nodeName alone, before decoding the rest.
// An unbound pod (a static pod's manifest) is kept.
func (f *nodeFilter) keep(raw []byte) bool {
	if f == nil || f.node == "" {
		return true
	}
	var p struct {
		Spec struct {
			NodeName string `json:"nodeName"`
		} `json:"spec"`
	}
	if json.Unmarshal(raw, &p) != nil || p.Spec.NodeName == "" || p.Spec.NodeName == f.node {
		return true // a malformed pod is kept, to fail its strict decoding
	}
	f.others[p.Spec.NodeName]++
	return false
}

// keepYAML decides from the text of a pod item as kubectl writes it
// (spec.nodeName is the only key at that depth named so), before paying
// for a YAML parse; an item it cannot tell about is kept for keep.
func (f *nodeFilter) keepYAML(item []byte) bool {
	if f == nil || f.node == "" {
		return true
	}
	const key = "\n    nodeName: "
	i := bytes.Index(item, []byte(key))
	if i < 0 {
		return true
	}
	rest := item[i+len(key):]
	if j := bytes.IndexByte(rest, '\n'); j >= 0 {
		rest = rest[:j]
	}
	node := string(bytes.Trim(bytes.TrimSpace(rest), `"'`))
	if node == "" || node == f.node {
		return true
	}
	f.others[node]++
	return false
}

func (f *nodeFilter) summary() string {
	nodes := make([]string, 0, len(f.others))
	for n := range f.others {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	if len(nodes) > 5 {
		nodes = append(nodes[:5], fmt.Sprintf("and %d more", len(nodes)-5))
	}
	return strings.Join(nodes, ", ")
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

// parseStream splits multi-document YAML (JSON is valid YAML) read by docs, decodes
// every Pod, including the items of List and PodList, and calls add with
// each and where it starts.
func parseStream(docs *docReader, f *nodeFilter, add func(*corev1.Pod, Position)) error {
	for n := 1; ; n++ {
		doc, start, err := docs.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		if len(doc) > MaxDocument {
			return fmt.Errorf("document %d: larger than %d MiB", n, MaxDocument>>20)
		}
		f.doc = n
		got, err := parseDocument(doc, f)
		if err != nil {
			return fmt.Errorf("document %d: %w", n, err)
		}
		locate(doc, start, got, add)
	}
}

// locate finds where each pod of doc (which starts at line start) is, in
// order, counting lines once.
func locate(doc []byte, start int, got []located, add func(*corev1.Pod, Position)) {
	isJSON := len(bytes.TrimSpace(doc)) > 0 && bytes.TrimSpace(doc)[0] == '{'
	var items []int // YAML list items, computed when needed
	from, lastOff, lastLine := 0, 0, start
	for _, l := range got {
		off := l.off
		switch {
		case off >= 0:
		case isJSON:
			if i := bytes.Index(doc[from:], l.raw); i >= 0 && len(l.raw) > 0 {
				off, from = from+i, from+i+len(l.raw)
			}
		case l.item < 0:
			off = firstContentLine(doc)
		default:
			if items == nil {
				items = yamlItemOffsets(doc)
			}
			if l.item < len(items) {
				off = items[l.item]
			}
		}
		at := Position{Line: start}
		if off >= lastOff {
			lastLine += lineAt(doc[lastOff:], off-lastOff)
			lastOff = off
			at.Line = lastLine
			if !isJSON {
				end := len(doc)
				if i := bytes.Index(doc[off+1:], []byte("\n- ")); i >= 0 && l.item >= 0 {
					end = off + 1 + i + 1
				}
				cl := containerLines(doc[off:end], containerNames(l.pod))
				for i := range cl {
					cl[i].Line += at.Line
				}
				at.Containers = cl
			}
		}
		add(l.pod, at)
	}
}

func containerNames(p *corev1.Pod) []string {
	var names []string
	for _, c := range p.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range p.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range p.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// parseDocument decodes one document: JSON as it is, a kubectl-style YAML
// list item by item, other YAML whole (up to MaxYAMLDocument).
func parseDocument(doc []byte, f *nodeFilter) ([]located, error) {
	trimmed := bytes.TrimSpace(doc)
	switch {
	case len(trimmed) == 0:
		return nil, nil
	case trimmed[0] == '{':
		return decodeObject(trimmed, f)
	}
	var pods []located
	n := 0
	split, err := yamlListItems(doc, func(item []byte, off int) error {
		n++
		if !f.keepYAML(item) {
			return nil
		}
		raw, err := yaml.YAMLToJSON(item)
		if err == nil {
			var got []located
			if got, err = decodeObject(raw, f); err == nil {
				for _, l := range got {
					l.item, l.off = n-1, off
					pods = append(pods, l)
				}
				return nil
			}
		}
		return fmt.Errorf("item %d: %w", n-1, err)
	})
	if split {
		return pods, err
	}
	if len(doc) > MaxYAMLDocument {
		return nil, fmt.Errorf("a YAML document of %d MiB is more than rtaudit parses whole (%d MiB): give it as JSON (kubectl get pods -o json) or as a list", len(doc)>>20, MaxYAMLDocument>>20)
	}
	raw, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	got, err := decodeObject(raw, f)
	for i := range got {
		got[i].raw = nil // JSON made from the YAML: it locates nothing in doc
	}
	return got, err
}

// yamlListItems calls fn with each item of a large List or PodList
// written as kubectl writes it (top-level "kind: List" or "kind: PodList"
// and an "items:" sequence whose entries start with "- " in column 0), one
// YAML document per item, without copying the list. Small documents and any
// other shape are not split (ok false, fn never called).
func yamlListItems(doc []byte, fn func(item []byte, off int) error) (ok bool, err error) {
	if len(doc) < 1<<20 || !isKubectlList(doc) {
		return false, nil
	}
	start := bytes.Index(doc, []byte("\nitems:\n"))
	if bytes.HasPrefix(doc, []byte("items:\n")) {
		start = -1
	} else if start < 0 {
		return false, nil
	}
	rest := doc[start+len("\nitems:\n"):]
	var item []byte // reused: one item at a time
	itemOff := 0    // the item's "- " line in doc
	for len(rest) > 0 {
		end := bytes.IndexByte(rest, '\n') + 1
		if end == 0 {
			end = len(rest)
		}
		l := rest[:end]
		rest = rest[end:]
		switch {
		case bytes.HasPrefix(l, []byte("- ")):
			if err := flush(item, itemOff, fn); err != nil {
				return true, err
			}
			item = append(append(item[:0], "  "...), l[2:]...)
			itemOff = len(doc) - len(rest) - len(l)
		case bytes.HasPrefix(l, []byte("  ")) && len(item) > 0:
			item = append(item, l...)
		case len(bytes.TrimSpace(l)) == 0 || bytes.HasPrefix(l, []byte("#")):
		default: // the list's own keys after items: (kind:, metadata:)
			if err := flush(item, itemOff, fn); err != nil {
				return true, err
			}
			item = item[:0]
		}
	}
	return true, flush(item, itemOff, fn)
}

func flush(item []byte, off int, fn func([]byte, int) error) error {
	if len(item) == 0 {
		return nil
	}
	return fn(item, off)
}

// isKubectlList reports whether doc has a top-level kind of List or
// PodList (kubectl writes it after the items).
func isKubectlList(doc []byte) bool {
	for _, k := range []string{"kind: List\n", "kind: PodList\n"} {
		if bytes.HasPrefix(doc, []byte(k)) || bytes.Contains(doc, []byte("\n"+k)) {
			return true
		}
	}
	return false
}

func decodeObject(raw []byte, f *nodeFilter) ([]located, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	switch tm.Kind {
	case "Pod":
		if !f.keep(raw) {
			return nil, nil
		}
		var p corev1.Pod
		if err := strictPod(raw, &p); err != nil {
			return nil, err
		}
		return []located{{pod: &p, raw: raw, item: -1, off: -1}}, nil
	case "List", "PodList":
		var pods []located
		for i, item := range tm.Items {
			got, err := decodeObject(item, f)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			for _, l := range got {
				l.item = i
				pods = append(pods, l)
			}
		}
		return pods, nil
	case "":
		return nil, errors.New("object has no kind")
	case "Namespace":
		return nil, f.addNamespace(raw)
	case "NetworkPolicy", "NetworkPolicyList":
		f.addPolicies(raw)
		return nil, nil
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
