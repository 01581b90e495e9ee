// Package declared finds the pod spec a container was declared with: from
// manifest files (a Pod, a List or PodList as kubectl prints it,
// multi-document YAML or JSON) or from the Kubernetes API.
//
// It knows pods, not processes: it must not import probes or the checks.
package declared
