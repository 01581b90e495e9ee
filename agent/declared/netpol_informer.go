package declared

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// PolicyInformer watches the cluster's NetworkPolicies for the agent's
// network-policy check (list and watch on networking.k8s.io
// networkpolicies, every namespace).
type PolicyInformer struct {
	informer cache.SharedIndexInformer
}

// NewPolicyInformer watches NetworkPolicies through cs; call Run. It is
// the informer client-go's factory would make (namespace index, no
// resync), without the factory, which links every API group.
func NewPolicyInformer(cs kube.Interface) *PolicyInformer {
	nps := cs.NetworkPolicies(metav1.NamespaceAll)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return nps.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return nps.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, cs), &networkingv1.NetworkPolicy{}, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	return &PolicyInformer{informer: inf}
}

// Run watches until ctx ends.
func (p *PolicyInformer) Run(ctx context.Context) {
	go p.informer.Run(ctx.Done())
	cache.WaitForCacheSync(ctx.Done(), p.informer.HasSynced)
}

// Policies are the NetworkPolicies known now; nil until the first listing
// has synced (the check is then not judged, rather than judged on none).
func (p *PolicyInformer) Policies() []*networkingv1.NetworkPolicy {
	if !p.informer.HasSynced() {
		return nil
	}
	out := []*networkingv1.NetworkPolicy{}
	for _, o := range p.informer.GetStore().List() {
		if np, ok := o.(*networkingv1.NetworkPolicy); ok {
			out = append(out, np)
		}
	}
	return out
}
