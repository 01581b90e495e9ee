package declared

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// KubeAPIOptions selects the API server and the node whose pods to read.
type KubeAPIOptions struct {
	// Kubeconfig is a kubeconfig path; "" means the in-cluster config (a pod's
	// service account), then the usual KUBECONFIG / ~/.kube/config rules.
	Kubeconfig string
	Context    string // kubeconfig context, "" for the current one
	Node       string // only pods bound to this node
}

// LoadKubeAPI lists the pods bound to o.Node. The listing is a point-in-time
// index: a pod deleted while its containers still run is not in it, and the
// scan says so.
func LoadKubeAPI(ctx context.Context, o KubeAPIOptions) (*Index, error) {
	if o.Node == "" {
		return nil, fmt.Errorf("kube-api: no node name (set --node-name)")
	}
	cfg, err := restConfig(o)
	if err != nil {
		return nil, fmt.Errorf("kube-api: %w", err)
	}
	cs, err := kube.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kube-api: %w", err)
	}
	var pods []*corev1.Pod
	opts := metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", o.Node).String()}
	for {
		list, err := cs.Pods(metav1.NamespaceAll).List(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("kube-api: listing pods of node %s: %w", o.Node, err)
		}
		for i := range list.Items {
			pods = append(pods, &list.Items[i])
		}
		if list.Continue == "" {
			break
		}
		opts.Continue = list.Continue
	}
	ix := NewIndex(expect.OriginKubeAPI, pods)
	// The namespaces' labels (Pod Security Admission's enforce level):
	// without the right to read them, the pods are still judged.
	nss, _ := getNamespaces(ctx, cs, pods)
	ix.SetNamespaces(nss)
	return ix, nil
}

// RESTConfig is the API server config o names: the in-cluster config when
// no kubeconfig or context is given and the process runs in a pod, else the
// usual kubeconfig rules.
func RESTConfig(o KubeAPIOptions) (*rest.Config, error) { return restConfig(o) }

func restConfig(o KubeAPIOptions) (*rest.Config, error) {
	if o.Kubeconfig == "" && o.Context == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
}
