package declared

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// LoadNetworkPolicies lists every NetworkPolicy of the cluster (a
// point-in-time listing, like LoadKubeAPI's pods).
func LoadNetworkPolicies(ctx context.Context, o KubeAPIOptions) ([]*networkingv1.NetworkPolicy, error) {
	cfg, err := restConfig(o)
	if err != nil {
		return nil, fmt.Errorf("kube-api: %w", err)
	}
	cs, err := kube.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kube-api: %w", err)
	}
	out := []*networkingv1.NetworkPolicy{}
	opts := metav1.ListOptions{}
	for {
		list, err := cs.NetworkPolicies(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("kube-api: listing network policies: %w", err)
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
		if list.Continue == "" {
			return out, nil
		}
		opts.Continue = list.Continue
	}
}

// NetworkPoliciesFromManifests reads the NetworkPolicy objects of the
// manifest files at path (a file or a directory, as --pods): documents of
// kind NetworkPolicy and the items of a List or NetworkPolicyList. Other
// objects are skipped; a NetworkPolicy that does not decode strictly is an
// error. A missing namespace is "default".
func NetworkPoliciesFromManifests(path string) ([]*networkingv1.NetworkPolicy, error) {
	files, err := manifestFiles(path)
	if err != nil {
		return nil, err
	}
	out := []*networkingv1.NetworkPolicy{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		got, err := networkPoliciesIn(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func networkPoliciesIn(r io.Reader) ([]*networkingv1.NetworkPolicy, error) {
	docs := utilyaml.NewYAMLReader(bufio.NewReader(io.LimitReader(r, MaxDocument+1)))
	var out []*networkingv1.NetworkPolicy
	for n := 1; ; n++ {
		doc, err := docs.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 || len(doc) > MaxYAMLDocument {
			continue // empty, or too large for a policy (the pod reader says so)
		}
		raw, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		got, err := networkPolicyObjects(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		out = append(out, got...)
	}
}

// addPolicies records the NetworkPolicy objects of raw (a NetworkPolicy or
// a NetworkPolicyList), or the first error among them.
func (f *nodeFilter) addPolicies(raw []byte) {
	if f == nil || f.policyErr != nil {
		return
	}
	got, err := networkPolicyObjects(raw)
	if err != nil {
		f.policyErr = fmt.Errorf("%s: document %d: %w", f.file, f.doc, err)
		return
	}
	f.policies = append(f.policies, got...)
}

// NetworkPolicies returns the NetworkPolicy objects of the manifests the
// index was loaded from (documents of kind NetworkPolicy and the items of
// a List or NetworkPolicyList, read in the same pass as the pods), as
// NetworkPoliciesFromManifests would: an empty, non-nil list when there
// is none, and an error when one does not decode strictly.
func (ix *Index) NetworkPolicies() ([]*networkingv1.NetworkPolicy, error) {
	if ix.policyErr != nil {
		return nil, ix.policyErr
	}
	return append([]*networkingv1.NetworkPolicy{}, ix.policies...), nil
}

func networkPolicyObjects(raw []byte) ([]*networkingv1.NetworkPolicy, error) {
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return nil, err
	}
	switch tm.Kind {
	case "List", "NetworkPolicyList":
		var out []*networkingv1.NetworkPolicy
		for i, item := range tm.Items {
			got, err := networkPolicyObjects(item)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			out = append(out, got...)
		}
		return out, nil
	case "NetworkPolicy":
		var p networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(raw, &p); err != nil {
			return nil, fmt.Errorf("NetworkPolicy: %w", err)
		}
		if p.Namespace == "" {
			p.Namespace = "default"
		}
		return []*networkingv1.NetworkPolicy{&p}, nil
	}
	return nil, nil
}
