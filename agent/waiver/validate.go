package waiver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// validators are the rules of a well-formed waiver, each a small function
// returning its first problem.
var validators = []func(*Waiver) error{
	validateType,
	validateMeta,
	validateNamespaces,
	validatePodSelector,
	validateContainers,
	validateChecks,
	validateAllow,
	validateReason,
	validateExpires,
}

// Validate reports, in one line, everything wrong with w; nil when it is
// well formed.
func (w *Waiver) Validate() error {
	var msgs []string
	for _, v := range validators {
		if err := v(w); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s %s: %s", cmpOr(w.Kind, "object"), cmpOr(w.Key(), "(unnamed)"), strings.Join(msgs, "; "))
}

func cmpOr(s, def string) string {
	if s == "" || s == "/" {
		return def
	}
	return s
}

func validateType(w *Waiver) error {
	if w.APIVersion != APIVersion {
		return fmt.Errorf("apiVersion %q: want %s", w.APIVersion, APIVersion)
	}
	if w.Kind != KindWaiver && w.Kind != KindClusterWaiver {
		return fmt.Errorf("kind %q: want %s or %s", w.Kind, KindWaiver, KindClusterWaiver)
	}
	return nil
}

func validateMeta(w *Waiver) error {
	if w.Name == "" {
		return errors.New("metadata.name is required")
	}
	if msgs := validation.IsDNS1123Subdomain(w.Name); len(msgs) > 0 {
		return fmt.Errorf("metadata.name %q: %s", w.Name, msgs[0])
	}
	switch {
	case w.Cluster() && w.Namespace != "":
		return errors.New("metadata.namespace: a ClusterWaiver is cluster-scoped (use spec.namespaces)")
	case !w.Cluster() && w.Namespace == "":
		return errors.New("metadata.namespace is required: a Waiver waives pods of its own namespace only")
	}
	return nil
}

func validateNamespaces(w *Waiver) error {
	if !w.Cluster() && len(w.Spec.Namespaces) > 0 {
		return errors.New("spec.namespaces: only a ClusterWaiver lists namespaces; a Waiver applies to its own")
	}
	for i, ns := range w.Spec.Namespaces {
		if msgs := validation.IsDNS1123Label(ns); len(msgs) > 0 {
			return fmt.Errorf("spec.namespaces[%d] %q: %s", i, ns, msgs[0])
		}
	}
	return nil
}

func validatePodSelector(w *Waiver) error {
	if w.Spec.PodSelector == nil {
		return nil
	}
	if _, err := metav1.LabelSelectorAsSelector(w.Spec.PodSelector); err != nil {
		return fmt.Errorf("spec.podSelector: %v", err)
	}
	return nil
}

// digest is a sha256 digest as ImageRef shows it.
var digest = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func validateContainers(w *Waiver) error {
	if len(w.Spec.Containers) == 0 {
		return errors.New("spec.containers: at least one container (with its image) is required")
	}
	for i, c := range w.Spec.Containers {
		if err := validImage(c.Image); err != nil {
			return fmt.Errorf("spec.containers[%d].image: %v", i, err)
		}
	}
	return nil
}

func validImage(image string) error {
	repo, dig, isDigest := strings.Cut(image, "@")
	switch {
	case image == "":
		return errors.New("required: a container name alone is spoofable")
	case strings.TrimSpace(image) != image:
		return fmt.Errorf("%q has surrounding spaces", image)
	case strings.Contains(strings.TrimSuffix(image, "*"), "*"):
		return fmt.Errorf("%q: \"*\" is allowed only at the end, as a prefix pattern", image)
	case image == "*":
		return errors.New(`"*" matches every image: name a prefix`)
	case strings.HasPrefix(image, "sha256:") && !digest.MatchString(image):
		return fmt.Errorf("%q: want sha256: and 64 lowercase hex digits", image)
	case isDigest && (repo == "" || !digest.MatchString(dig)):
		return fmt.Errorf("%q: want repo@sha256: and 64 lowercase hex digits", image)
	}
	return nil
}

func validateChecks(w *Waiver) error {
	if len(w.Spec.Checks) == 0 {
		return errors.New("spec.checks: at least one check ID is required")
	}
	seen := map[checks.ID]bool{}
	for i, id := range w.Spec.Checks {
		if _, ok := checks.Get(id); !ok {
			return fmt.Errorf("spec.checks[%d]: unknown check %q (rtaudit checks lists them)", i, id)
		}
		if seen[id] {
			return fmt.Errorf("spec.checks[%d]: %q listed twice", i, id)
		}
		seen[id] = true
	}
	return nil
}

func validateAllow(w *Waiver) error {
	a := w.Spec.Allow
	if a == nil {
		return nil
	}
	if len(a.Capabilities) > 0 && !w.waives(checks.Capabilities) {
		return fmt.Errorf("spec.allow.capabilities: needs %q in spec.checks", checks.Capabilities)
	}
	if _, unknown := probes.ParseCapNames(a.Capabilities); len(unknown) > 0 {
		return fmt.Errorf("spec.allow.capabilities: unknown capability %s", strings.Join(unknown, ", "))
	}
	return nil
}

func validateReason(w *Waiver) error {
	if strings.TrimSpace(w.Spec.Reason) == "" {
		return errors.New("spec.reason is required: say why the deviation is accepted")
	}
	return nil
}

func validateExpires(w *Waiver) error {
	if e := w.Spec.Expires; e != nil && e.IsZero() {
		return errors.New("spec.expires: want an RFC 3339 time, or leave it out")
	}
	return nil
}

// waives reports whether w lists check id.
func (w *Waiver) waives(id checks.ID) bool {
	for _, c := range w.Spec.Checks {
		if c == id {
			return true
		}
	}
	return false
}
