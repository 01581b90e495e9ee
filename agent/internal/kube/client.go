package kube

import (
	"context"
	"errors"
	"net/http"

	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"
)

// The verbs, shaped as client-go's typed clients have them.
type (
	Getter[T any] interface {
		Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	}
	Lister[L any] interface {
		List(ctx context.Context, opts metav1.ListOptions) (L, error)
	}
	Watcher interface {
		Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
	}
	Creator[T any] interface {
		Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	}
	Updater[T any] interface {
		Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	}
	Deleter interface {
		Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
	}
)

// PodClient is what rtaudit does with pods: the agent lists, watches and
// gets them; the kubectl plugin also creates, deletes and reads the log of
// its own.
type PodClient interface {
	Getter[*corev1.Pod]
	Lister[*corev1.PodList]
	Watcher
	Creator[*corev1.Pod]
	Deleter
	GetLogs(name string, opts *corev1.PodLogOptions) *rest.Request
}

// NamespaceClient reads namespaces (their Pod Security Admission labels).
type NamespaceClient interface {
	Getter[*corev1.Namespace]
	Lister[*corev1.NamespaceList]
	Watcher
}

// NodeClient checks that a node exists.
type NodeClient interface{ Getter[*corev1.Node] }

// EventClient posts Events.
type EventClient interface{ Creator[*corev1.Event] }

// NetworkPolicyClient lists and watches NetworkPolicies.
type NetworkPolicyClient interface {
	Lister[*networkingv1.NetworkPolicyList]
	Watcher
}

// ReportClient and ClusterReportClient write OpenReports.
type (
	ReportClient interface {
		Getter[*v1alpha1.Report]
		Lister[*v1alpha1.ReportList]
		Creator[*v1alpha1.Report]
		Updater[*v1alpha1.Report]
		Deleter
	}
	ClusterReportClient interface {
		Getter[*v1alpha1.ClusterReport]
		Lister[*v1alpha1.ClusterReportList]
		Creator[*v1alpha1.ClusterReport]
		Updater[*v1alpha1.ClusterReport]
		Deleter
	}
)

// errBurst is kubernetes.NewForConfigAndClient's error, word for word.
var errBurst = errors.New("burst is required to be greater than 0 when RateLimiter is not set and QPS is set to greater than 0")

// Interface is the core and networking API as rtaudit uses it.
type Interface interface {
	Pods(namespace string) PodClient
	Namespaces() NamespaceClient
	Nodes() NodeClient
	Events(namespace string) EventClient
	NetworkPolicies(namespace string) NetworkPolicyClient
}

// Clientset implements Interface, the OpenReports clients and discovery
// over one REST client per group version.
type Clientset struct {
	core, networking, openreports rest.Interface
}

var _ Interface = (*Clientset)(nil)

// NewForConfig makes a Clientset as kubernetes.NewForConfig makes the
// typed clientset: the default user agent when cfg sets none, one HTTP
// client shared by the groups, and one rate limiter shared by them when
// cfg sets a QPS (else each group gets client-go's default, 5 QPS, burst
// 10).
func NewForConfig(cfg *rest.Config) (*Clientset, error) {
	c := *cfg
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	hc, err := rest.HTTPClientFor(&c)
	if err != nil {
		return nil, err
	}
	return NewForConfigAndClient(&c, hc)
}

// NewForConfigAndClient is NewForConfig with a given HTTP client.
func NewForConfigAndClient(cfg *rest.Config, hc *http.Client) (*Clientset, error) {
	c := *cfg
	if c.RateLimiter == nil && c.QPS > 0 {
		if c.Burst <= 0 {
			return nil, errBurst
		}
		c.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(c.QPS, c.Burst)
	}
	var cs Clientset
	var err error
	if cs.core, err = groupClient(&c, hc, "/api", corev1.SchemeGroupVersion); err != nil {
		return nil, err
	}
	if cs.networking, err = groupClient(&c, hc, "/apis", networkingv1.SchemeGroupVersion); err != nil {
		return nil, err
	}
	if cs.openreports, err = groupClient(&c, hc, "/apis", v1alpha1.SchemeGroupVersion); err != nil {
		return nil, err
	}
	return &cs, nil
}

func groupClient(cfg *rest.Config, hc *http.Client, apiPath string, gv schema.GroupVersion) (rest.Interface, error) {
	c := *cfg
	c.GroupVersion = &gv
	c.APIPath = apiPath
	c.NegotiatedSerializer = codecs.WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientForConfigAndClient(&c, hc)
}

// Pods is the pods of namespace ("" for all).
func (c *Clientset) Pods(namespace string) PodClient {
	return &pods{newResource[*corev1.Pod, *corev1.PodList](c.core, "pods", namespace, true)}
}

// Namespaces are the namespaces.
func (c *Clientset) Namespaces() NamespaceClient {
	return newResource[*corev1.Namespace, *corev1.NamespaceList](c.core, "namespaces", "", true)
}

// Nodes are the nodes.
func (c *Clientset) Nodes() NodeClient {
	return newResource[*corev1.Node, *corev1.NodeList](c.core, "nodes", "", true)
}

// Events are the core/v1 Events of namespace.
func (c *Clientset) Events(namespace string) EventClient {
	return newResource[*corev1.Event, *corev1.EventList](c.core, "events", namespace, true)
}

// NetworkPolicies are the NetworkPolicies of namespace ("" for all).
func (c *Clientset) NetworkPolicies(namespace string) NetworkPolicyClient {
	return newResource[*networkingv1.NetworkPolicy, *networkingv1.NetworkPolicyList](c.networking, "networkpolicies", namespace, true)
}

// Reports are the OpenReports Reports of namespace ("" for all). Custom
// resources speak JSON only.
func (c *Clientset) Reports(namespace string) ReportClient {
	return newResource[*v1alpha1.Report, *v1alpha1.ReportList](c.openreports, "reports", namespace, false)
}

// ClusterReports are the OpenReports ClusterReports.
func (c *Clientset) ClusterReports() ClusterReportClient {
	return newResource[*v1alpha1.ClusterReport, *v1alpha1.ClusterReportList](c.openreports, "clusterreports", "", false)
}

// newResource is a Resource whose objects are new(*T) and new(*L).
func newResource[PT interface {
	*T
	runtime.Object
}, PL interface {
	*L
	runtime.Object
}, T, L any](client rest.Interface, resource, namespace string, protobuf bool) *Resource[PT, PL] {
	return &Resource[PT, PL]{
		client: client, resource: resource, namespace: namespace, protobuf: protobuf,
		newObject: func() PT { return PT(new(T)) },
		newList:   func() PL { return PL(new(L)) },
	}
}

// pods add the log subresource to Resource.
type pods struct {
	*Resource[*corev1.Pod, *corev1.PodList]
}

// GetLogs is the request of the pod's log, as the typed client builds it
// (JSON for the options, the log as plain text).
func (p *pods) GetLogs(name string, opts *corev1.PodLogOptions) *rest.Request {
	return p.client.Get().Namespace(p.namespace).Name(name).Resource("pods").SubResource("log").VersionedParams(opts, parameterCodec)
}
