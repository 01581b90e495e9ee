package declared

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
)

// mirrorAnnotation marks a mirror pod; its value is the static pod's UID.
const mirrorAnnotation = "kubernetes.io/config.mirror"

// Source answers which pod spec declared a running pod.
type Source interface {
	// Name is expect.OriginKubeAPI or expect.OriginManifest.
	Name() expect.Origin
	// Lookup finds a pod by UID, else by namespace and name.
	Lookup(uid, namespace, name string) (*corev1.Pod, bool)
}

// Index is a Source over a fixed set of pods.
type Index struct {
	name   expect.Origin
	byUID  map[string]*corev1.Pod
	byName map[string]*corev1.Pod
	pos    map[string]Position // where manifests declared the pods (manifest_pos.go)
	// namespaces are the labels of the namespaces the source read (nil:
	// none read).
	namespaces map[string]map[string]string
	// policies are the manifests' NetworkPolicy objects (netpol.go).
	policies  []*networkingv1.NetworkPolicy
	policyErr error
}

// NewIndex indexes pods for lookup; name is the Source name it reports.
func NewIndex(name expect.Origin, pods []*corev1.Pod) *Index {
	ix := &Index{name: name, byUID: map[string]*corev1.Pod{}, byName: map[string]*corev1.Pod{}}
	for _, p := range pods {
		if p.UID != "" {
			ix.byUID[string(p.UID)] = p
		}
		// A static pod runs under the UID the kubelet derived from its
		// file; the API holds a mirror pod with its own UID that names the
		// static one in this annotation.
		if uid := p.Annotations[mirrorAnnotation]; uid != "" {
			ix.byUID[uid] = p
		}
		ix.byName[key(p.Namespace, p.Name)] = p
	}
	return ix
}

// Name implements Source.
func (ix *Index) Name() expect.Origin { return ix.name }

// Len is the number of pods indexed.
func (ix *Index) Len() int { return len(ix.byName) }

// Lookup implements Source. A UID match wins; a name match is accepted only
// when the manifest carries no UID or the same one, so a pod recreated under
// the same name is not judged against its predecessor.
func (ix *Index) Lookup(uid, namespace, name string) (*corev1.Pod, bool) {
	if p, ok := ix.byUID[uid]; ok && uid != "" {
		return p, true
	}
	p, ok := ix.byName[key(namespace, name)]
	if !ok || (p.UID != "" && uid != "" && string(p.UID) != uid) {
		return nil, false
	}
	return p, true
}

func key(namespace, name string) string {
	if namespace == "" {
		namespace = "default"
	}
	return namespace + "/" + name
}
