// Package kubefake adapts client-go's fake clientset to kube.Interface,
// for tests only: it links the typed clientset, which production code
// must not (agent/layout_test.go checks the binaries).
package kubefake

import (
	"k8s.io/client-go/kubernetes"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// Clientset is a kube.Interface over a typed clientset (a fake one in
// tests).
type Clientset struct{ CS kubernetes.Interface }

// New adapts cs.
func New(cs kubernetes.Interface) *Clientset { return &Clientset{CS: cs} }

var _ kube.Interface = (*Clientset)(nil)

// Pods implements kube.Interface.
func (c *Clientset) Pods(ns string) kube.PodClient { return c.CS.CoreV1().Pods(ns) }

// Namespaces implements kube.Interface.
func (c *Clientset) Namespaces() kube.NamespaceClient { return c.CS.CoreV1().Namespaces() }

// Nodes implements kube.Interface.
func (c *Clientset) Nodes() kube.NodeClient { return c.CS.CoreV1().Nodes() }

// Events implements kube.Interface.
func (c *Clientset) Events(ns string) kube.EventClient { return c.CS.CoreV1().Events(ns) }

// NetworkPolicies implements kube.Interface.
func (c *Clientset) NetworkPolicies(ns string) kube.NetworkPolicyClient {
	return c.CS.NetworkingV1().NetworkPolicies(ns)
}

// IsWatchListSemanticsUnSupported passes on the fake clientset's answer,
// so informers over it do not wait for watch-list bookmarks it never
// sends.
func (c *Clientset) IsWatchListSemanticsUnSupported() bool {
	u, ok := c.CS.(interface{ IsWatchListSemanticsUnSupported() bool })
	return ok && u.IsWatchListSemanticsUnSupported()
}
