package waiver

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// The API group, version and kinds of waivers.
const (
	Group             = "rtaudit.dev"
	Version           = "v1alpha1"
	APIVersion        = Group + "/" + Version
	KindWaiver        = "Waiver"
	KindClusterWaiver = "ClusterWaiver"
)

// Waiver is a Waiver (namespaced: it waives findings of pods in its own
// namespace) or a ClusterWaiver (cluster-scoped: the namespaces of
// Spec.Namespaces, all when empty); Kind tells which.
type Waiver struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              Spec `json:"spec"`
}

// Spec says which findings a waiver accepts: those of the listed checks,
// in the selected pods' listed containers, narrowed by Allow.
type Spec struct {
	// Namespaces limits a ClusterWaiver to these namespaces; empty means
	// all. A Waiver must leave it empty: it applies to its own namespace.
	Namespaces []string `json:"namespaces,omitempty"`
	// PodSelector selects pods by label; nil selects every pod in scope.
	// A selector matches only pods whose labels are known.
	PodSelector *metav1.LabelSelector `json:"podSelector,omitempty"`
	// Containers are the containers waived (at least one).
	Containers []Container `json:"containers"`
	// Checks are the check IDs waived (at least one, each registered).
	Checks []checks.ID `json:"checks"`
	// Allow narrows what is accepted of those checks; nil accepts any
	// finding of them.
	Allow *Allow `json:"allow,omitempty"`
	// Reason says why the deviation is accepted (required).
	Reason string `json:"reason"`
	// Expires, when set, is when the waiver stops waiving.
	Expires *metav1.Time `json:"expires,omitempty"`
}

// Container selects containers by image, and by name when Name is set.
//
// Image is required, and is one of:
//   - an image exactly as the pod spec names it ("quay.io/calico/node:v3.30.0"),
//     compared with the report's Image without normalisation;
//   - a prefix ending in "*" ("quay.io/calico/*"): end the prefix with "/"
//     or ":" lest "quay.io/calico*" also match "quay.io/calicoevil/x";
//   - a digest, "sha256:<64 hex>" or "repo@sha256:<64 hex>", compared with
//     the report's ImageRef (a bare digest also matches "any-repo@" it).
type Container struct {
	Name  string `json:"name,omitempty"`
	Image string `json:"image"`
}

// Allow narrows a waiver. Every constraint that is set must hold.
type Allow struct {
	// Capabilities: a capabilities finding is waived only if every
	// capability it adds (Actual &^ Expected) is listed. Names as in a pod
	// spec (NET_ADMIN or CAP_NET_ADMIN); requires "capabilities" in Checks.
	// Findings of other checks are not affected.
	Capabilities []string `json:"capabilities,omitempty"`
	// Values: a finding (of any listed check) is waived only if its Actual
	// is exactly one of these.
	Values []string `json:"values,omitempty"`
}

// Cluster reports whether w is a ClusterWaiver.
func (w *Waiver) Cluster() bool { return w.Kind == KindClusterWaiver }

// Key names w as Finding.Waiver does: "namespace/name" for a Waiver,
// "name" for a ClusterWaiver.
func (w *Waiver) Key() string {
	if w.Cluster() {
		return w.Name
	}
	return w.Namespace + "/" + w.Name
}

// Expired reports whether w has expired at now.
func (w *Waiver) Expired(now time.Time) bool {
	return w.Spec.Expires != nil && !now.Before(w.Spec.Expires.Time)
}
