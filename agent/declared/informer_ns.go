package declared

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// namespaceWatch keeps the namespaces' labels (Pod Security Admission's
// enforce level) beside the informer's pods. It never holds the pods
// back: until it has synced, or without the right to list namespaces,
// their labels are unknown and the pods are still judged.
type namespaceWatch struct {
	informer cache.SharedIndexInformer
}

func newNamespaceWatch(cs kube.Interface) *namespaceWatch {
	nss := cs.Namespaces()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return nss.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return nss.Watch(ctx, o)
		},
	}
	// Only the labels are kept: a namespace's spec and status are no use.
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, cs), &corev1.Namespace{}, 0, cache.Indexers{})
	_ = inf.SetTransform(func(obj any) (any, error) {
		if ns, ok := obj.(*corev1.Namespace); ok {
			return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns.Name, Labels: ns.Labels, ResourceVersion: ns.ResourceVersion}}, nil
		}
		return obj, nil
	})
	return &namespaceWatch{informer: inf}
}

func (w *namespaceWatch) run(ctx context.Context) { go w.informer.Run(ctx.Done()) }

// labels returns the namespace's labels; false until the watch has synced
// or when it does not know the namespace.
func (w *namespaceWatch) labels(name string) (map[string]string, bool) {
	if w == nil || !w.informer.HasSynced() {
		return nil, false
	}
	obj, ok, _ := w.informer.GetStore().GetByKey(name)
	if !ok {
		return nil, false
	}
	labels := obj.(*corev1.Namespace).Labels
	if labels == nil {
		labels = map[string]string{}
	}
	return labels, true
}

// NamespaceLabels implements NamespaceLabeler.
func (in *Informer) NamespaceLabels(name string) (map[string]string, bool) {
	return in.namespaces.labels(name)
}
