package declared

import (
	"context"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// PolicyInformer watches the cluster's NetworkPolicies for the agent's
// network-policy check (list and watch on networking.k8s.io
// networkpolicies, every namespace).
type PolicyInformer struct {
	factory  informers.SharedInformerFactory
	informer cache.SharedIndexInformer
}

// NewPolicyInformer watches NetworkPolicies through cs; call Run.
func NewPolicyInformer(cs kubernetes.Interface) *PolicyInformer {
	f := informers.NewSharedInformerFactory(cs, 0)
	return &PolicyInformer{factory: f, informer: f.Networking().V1().NetworkPolicies().Informer()}
}

// Run watches until ctx ends.
func (p *PolicyInformer) Run(ctx context.Context) {
	p.factory.Start(ctx.Done())
	p.factory.WaitForCacheSync(ctx.Done())
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
