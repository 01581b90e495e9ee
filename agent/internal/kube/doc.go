// Package kube is the narrow Kubernetes API client of rtaudit: typed
// clients for just the resources and verbs rtaudit uses (pods, namespaces,
// nodes, events, network policies, OpenReports), over one rest.RESTClient
// per group version.
//
// It exists so that the binary does not link client-go's typed clientset,
// informer factory or discovery client: each of those imports
// k8s.io/client-go/kubernetes/scheme, which registers every API group of
// Kubernetes at start-up (the largest init of the binary, and megabytes of
// code). Its scheme holds only core/v1, networking.k8s.io/v1,
// openreports.io/v1alpha1 and the meta types.
//
// Its interfaces have the shapes of client-go's typed ones, so that
// client-go's fake typed clients satisfy them in tests (kubefake adapts a
// fake clientset). It must not import k8s.io/client-go/kubernetes,
// k8s.io/client-go/informers or k8s.io/client-go/discovery.
package kube
