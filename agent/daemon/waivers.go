package daemon

import (
	"context"
	"fmt"
	"log/slog"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// waivers are the waivers in force: those of the --waivers file and, when
// the API serves the rtaudit.dev CRDs, every Waiver and ClusterWaiver
// (watched). Invalid ones are skipped by waiver.Apply, which says so in
// the report.
type waivers struct {
	file      []waiver.Waiver
	informers []cache.SharedIndexInformer
	log       *slog.Logger
}

var waiverResources = []schema.GroupVersionResource{
	{Group: waiver.Group, Version: waiver.Version, Resource: "waivers"},
	{Group: waiver.Group, Version: waiver.Version, Resource: "clusterwaivers"},
}

// watchWaivers starts watching the waiver CRDs if the API serves them.
func (w *waivers) watch(ctx context.Context, cfg *rest.Config) error {
	disc, err := kube.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := disc.ServerResourcesForGroupVersion(waiver.APIVersion); err != nil {
		w.log.Info("the API serves no rtaudit.dev waivers (kubectl apply -f deploy/crds/ installs them): only --waivers applies", "err", err)
		return nil
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, gvr := range waiverResources {
		inf := waiverInformer(dyn, gvr)
		w.informers = append(w.informers, inf)
		go inf.Run(ctx.Done())
	}
	return nil
}

// waiverInformer watches one waiver resource in every namespace: the
// informer dynamicinformer's factory would make (namespace index, no
// resync), without the factory.
func waiverInformer(dyn dynamic.Interface, gvr schema.GroupVersionResource) cache.SharedIndexInformer {
	ri := dyn.Resource(gvr).Namespace(metav1.NamespaceAll)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return ri.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return ri.Watch(ctx, o)
		},
	}
	return cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, dyn), &unstructured.Unstructured{}, 0,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
}

// list returns the waivers in force now.
func (w *waivers) list() []waiver.Waiver {
	out := append([]waiver.Waiver(nil), w.file...)
	for _, inf := range w.informers {
		for _, obj := range inf.GetStore().List() {
			u, ok := obj.(*unstructured.Unstructured)
			if !ok {
				continue
			}
			var wv waiver.Waiver
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &wv); err != nil {
				w.log.Warn("unreadable waiver", "name", u.GetNamespace()+"/"+u.GetName(), "err", fmt.Sprint(err))
				continue
			}
			out = append(out, wv)
		}
	}
	return out
}
