package declared

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// Informer is the long-running kube-api source: a watch of the pods bound
// to one node (field selector spec.nodeName), kept in memory. While the API
// server is unreachable it keeps answering from the last known pods and
// Healthy says so; it never blocks a scan.
type Informer struct {
	cs       kube.Interface
	informer cache.SharedIndexInformer
	synced   atomic.Bool
	healthy  atomic.Bool // the watch delivered since its last error
	errors   atomic.Int64
	// reachable is the last /readyz probe's outcome (see watchReach).
	reachable atomic.Bool

	namespaces *namespaceWatch

	mu     sync.Mutex
	lastOK time.Time
	missed map[string]time.Time // namespace/name looked up live and not found, when
}

// missTTL is how long a live lookup that found nothing is trusted: a
// container no pod declares costs one GET per missTTL, not one per scan.
const missTTL = 30 * time.Second

// uidIndex indexes pods by their UID and, for mirror pods, by the static
// pod's UID the kubelet runs them under.
const uidIndex = "uid"

// NewInformer watches the pods bound to node through cs; call Run.
func NewInformer(cs kube.Interface, node string) (*Informer, error) {
	if node == "" {
		return nil, fmt.Errorf("kube-api: no node name (set --node-name or NODE_NAME)")
	}
	onNode := fields.OneTermEqualSelector("spec.nodeName", node).String()
	pods := cs.Pods(metav1.NamespaceAll)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = onNode
			return pods.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = onNode
			return pods.Watch(ctx, o)
		},
	}
	inf := cache.NewSharedIndexInformer(cache.ToListWatcherWithWatchListSemantics(lw, cs), &corev1.Pod{}, 0, cache.Indexers{
		cache.NamespaceIndex: cache.MetaNamespaceIndexFunc,
		uidIndex:             podUIDs,
	})
	in := &Informer{cs: cs, informer: inf, missed: map[string]time.Time{}, namespaces: newNamespaceWatch(cs)}
	if err := inf.SetWatchErrorHandler(func(_ *cache.Reflector, err error) {
		in.healthy.Store(false)
		in.errors.Add(1)
	}); err != nil {
		return nil, err
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { in.ok() },
		UpdateFunc: func(any, any) { in.ok() },
		DeleteFunc: func(any) { in.ok() },
	}); err != nil {
		return nil, err
	}
	return in, nil
}

func podUIDs(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	out := []string{string(p.UID)}
	if uid := p.Annotations[mirrorAnnotation]; uid != "" {
		out = append(out, uid)
	}
	return out, nil
}

// ok records that the watch delivered something.
func (in *Informer) ok() {
	in.healthy.Store(true)
	in.mu.Lock()
	in.lastOK = time.Now()
	in.mu.Unlock()
}

// Run watches until ctx ends.
func (in *Informer) Run(ctx context.Context) {
	in.reachable.Store(true)
	in.namespaces.run(ctx)
	go in.informer.Run(ctx.Done())
	go in.watchReach(ctx, reachEvery)
	if cache.WaitForCacheSync(ctx.Done(), in.informer.HasSynced) {
		in.synced.Store(true)
		in.ok()
	}
}

// Synced reports whether the first full listing arrived: before it, an
// empty store proves nothing, and the caller must not judge containers as
// undeclared.
func (in *Informer) Synced() bool { return in.synced.Load() }

// Healthy reports whether the watch works and the API server answered the
// last probe.
func (in *Informer) Healthy() bool {
	return in.synced.Load() && in.healthy.Load() && in.reachable.Load()
}

// TakeErrors returns the watch and list failures since the last call.
func (in *Informer) TakeErrors() int64 { return in.errors.Swap(0) }

// Name implements Source.
func (in *Informer) Name() expect.Origin { return expect.OriginKubeAPI }

// Lookup implements Source with the same rules as Index.Lookup. A pod the
// watch has not delivered yet (a container can start before the watch
// event arrives) is looked up live once, so a new pod is never reported
// undeclared for a race.
func (in *Informer) Lookup(uid, namespace, name string) (*corev1.Pod, bool) {
	if uid != "" {
		if objs, _ := in.informer.GetIndexer().ByIndex(uidIndex, uid); len(objs) > 0 {
			return objs[0].(*corev1.Pod), true
		}
	}
	p, ok := in.byName(namespace, name)
	if !ok && in.Healthy() {
		p, ok = in.live(namespace, name)
	}
	if !ok || (p.UID != "" && uid != "" && string(p.UID) != uid) {
		return nil, false
	}
	return p, true
}

func (in *Informer) byName(namespace, name string) (*corev1.Pod, bool) {
	obj, ok, _ := in.informer.GetStore().GetByKey(key(namespace, name))
	if !ok {
		return nil, false
	}
	return obj.(*corev1.Pod), true
}

// live GETs one pod, remembering a miss for missTTL.
func (in *Informer) live(namespace, name string) (*corev1.Pod, bool) {
	k := key(namespace, name)
	in.mu.Lock()
	at, missed := in.missed[k]
	for n, t := range in.missed {
		if time.Since(t) > missTTL {
			delete(in.missed, n)
		}
	}
	in.mu.Unlock()
	if missed && time.Since(at) < missTTL {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	p, err := in.cs.Pods(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		in.mu.Lock()
		in.missed[k] = time.Now()
		in.mu.Unlock()
		return nil, false
	}
	return p, true
}

// Pods are the pods the informer knows now.
func (in *Informer) Pods() []*corev1.Pod {
	objs := in.informer.GetStore().List()
	out := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(*corev1.Pod))
	}
	return out
}
