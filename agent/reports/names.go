package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Identity of what this package writes. The label values come only from
// constants and the node name (sanitised): never from a container.
const (
	// LabelManagedBy marks every object a Writer owns.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value.
	ManagedBy = "rtaudit"
	// LabelNode names the node whose agent owns the object
	// (NodeLabelValue of the node name).
	LabelNode = "rtaudit.dev/node"
	// AnnotationNode is the node's exact name (a label value cannot hold
	// every node name): deploy/'s ValidatingAdmissionPolicy lets an agent
	// write only objects whose annotation, before and after, names the node
	// its service-account token is bound to.
	AnnotationNode = "rtaudit.dev/node"
	// Source is the report's and every result's source; Policy every
	// result's policy (the rule is the check ID).
	Source = "rtaudit"
	Policy = "rtaudit"

	namePrefix     = "rtaudit-"
	nodeNamePrefix = "rtaudit-node-"
)

// PodReportName is the name of the Report of the pod with this UID:
// "rtaudit-<uid>", or "rtaudit-<hash of uid>" when the UID would not make
// a valid DNS label (API server UIDs always do).
func PodReportName(uid string) string {
	if n := namePrefix + uid; len(validation.IsDNS1123Label(n)) == 0 {
		return n
	}
	return namePrefix + digest(uid, 32)
}

// NodeReportName is the name of the ClusterReport of a node:
// "rtaudit-node-<node>", or "rtaudit-node-<hash of node>" when that is not
// a valid DNS subdomain (too long, or not a Kubernetes node name).
func NodeReportName(node string) string {
	if n := nodeNamePrefix + node; len(validation.IsDNS1123Subdomain(n)) == 0 {
		return n
	}
	return nodeNamePrefix + digest(node, 32)
}

// NodeLabelValue is the LabelNode value for a node: the name itself when it
// is a valid label value, else its valid characters (at most 54) and a
// hash, so two nodes never share one.
func NodeLabelValue(node string) string {
	if len(validation.IsValidLabelValue(node)) == 0 && node != "" {
		return node
	}
	keep := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, node)
	if len(keep) > 54 {
		keep = keep[:54]
	}
	keep = strings.TrimFunc(keep, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	if keep == "" {
		return "h-" + digest(node, 16)
	}
	return keep + "-" + digest(node, 8)
}

func digest(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}
