package declared

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// NamespaceLabeler is a Source that also knows namespaces' labels (the Pod
// Security Admission labels among them), from the same place as its pods.
type NamespaceLabeler interface {
	// NamespaceLabels returns the namespace's labels; false when the
	// source does not know the namespace.
	NamespaceLabels(name string) (map[string]string, bool)
}

// SetNamespaces records the namespaces whose labels the index answers for.
func (ix *Index) SetNamespaces(nss []*corev1.Namespace) {
	ix.namespaces = make(map[string]map[string]string, len(nss))
	for _, ns := range nss {
		labels := ns.Labels
		if labels == nil {
			labels = map[string]string{}
		}
		ix.namespaces[ns.Name] = labels
	}
}

// NamespaceLabels implements NamespaceLabeler.
func (ix *Index) NamespaceLabels(name string) (map[string]string, bool) {
	labels, ok := ix.namespaces[name]
	return labels, ok
}

// getNamespaces reads the namespaces of pods, one GET each. A namespace
// that cannot be read is left out (its pods' enforce level is then
// unknown); the first error is returned beside what was read.
func getNamespaces(ctx context.Context, cs kube.Interface, pods []*corev1.Pod) ([]*corev1.Namespace, error) {
	seen := map[string]bool{}
	var out []*corev1.Namespace
	var first error
	for _, p := range pods {
		if seen[p.Namespace] {
			continue
		}
		seen[p.Namespace] = true
		ns, err := cs.Namespaces().Get(ctx, p.Namespace, metav1.GetOptions{})
		if err != nil {
			if first == nil {
				first = fmt.Errorf("kube-api: reading namespace %s: %w", p.Namespace, err)
			}
			continue
		}
		out = append(out, ns)
	}
	return out, first
}

// addNamespace records a manifest's Namespace object: only its name and
// labels are read (the rest of it declares nothing rtaudit judges).
func (f *nodeFilter) addNamespace(raw []byte) error {
	var ns struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &ns); err != nil {
		return fmt.Errorf("namespace: %w", err)
	}
	if ns.Metadata.Name == "" {
		return errors.New("namespace without a name")
	}
	if f != nil {
		f.namespaces = append(f.namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Metadata.Name, Labels: ns.Metadata.Labels}})
	}
	return nil
}
