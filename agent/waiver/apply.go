package waiver

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
)

// Apply marks the findings of r that a waiver accepts: Finding.Waiver is
// set to the Key of the first waiver, in Order, that matches and has not
// expired (and cleared when none does, so Apply is idempotent on
// findings). It does not remove findings.
//
// A finding matches a waiver when all of these hold:
//   - its ContainerID names a container of r.Containers with the same
//     namespace, pod and container name: that container's Image and
//     ImageRef are what the waiver's containers are matched against. A
//     finding of no audited container — a hidden process group, a task of
//     another containerd namespace — has no image and is never waived;
//     neither is an undeclared-container finding on a process (processes
//     nsenter'd into a container behind the runtime's back).
//   - the check is one of Spec.Checks;
//   - the pod is in scope: a Waiver's own namespace; a ClusterWaiver's
//     Spec.Namespaces, or any namespace when that is empty. A container
//     with no pod (empty namespace and pod) is in the scope of a
//     ClusterWaiver only when it has neither namespaces nor a podSelector;
//   - the pod's labels, as labels(namespace, pod) reports them, match
//     Spec.PodSelector when it is set; a pod whose labels are unknown
//     (labels is nil or reports false) matches no selector, not even an
//     empty one. Annotations play no part;
//   - one of Spec.Containers matches: its image (see Container) and, when
//     set, its name;
//   - Spec.Allow, when set, accepts it (see Allow).
//
// An expired waiver waives nothing; when a finding it matches is left
// unwaived, Apply adds one note to r per such waiver. An invalid waiver
// (see Validate) is ignored with a note. Apply does no I/O; now is the
// time expiry is judged at.
func Apply(r *scan.Report, ws []Waiver, labels func(namespace, pod string) (map[string]string, bool), now time.Time) {
	ms := compile(r, ws, now)
	byID := make(map[string]*scan.ContainerSummary, len(r.Containers))
	for i := range r.Containers {
		byID[r.Containers[i].ID] = &r.Containers[i]
	}
	pods := podLabels{fn: labels, cache: map[[2]string]labelsResult{}}
	for i := range r.Findings {
		f := &r.Findings[i]
		f.Waiver = ""
		c := subject(f, byID)
		if c == nil {
			continue
		}
		var lapsed []*matcher
		for _, m := range ms {
			if !m.matches(f, c, &pods) {
				continue
			}
			if m.expired {
				lapsed = append(lapsed, m)
				continue
			}
			f.Waiver = m.key
			break
		}
		if f.Waiver == "" {
			for _, m := range lapsed {
				m.lapsed++
			}
		}
	}
	for _, m := range ms {
		if m.lapsed > 0 {
			r.Notes = append(r.Notes, fmt.Sprintf("waiver %s expired at %s: %d finding(s) no longer waived",
				m.key, m.w.Spec.Expires.UTC().Format(time.RFC3339), m.lapsed))
		}
	}
}

// Order sorts waivers as Apply tries them: Waivers before ClusterWaivers,
// then by namespace and name.
func Order(ws []Waiver) {
	slices.SortStableFunc(ws, func(a, b Waiver) int {
		return cmp.Or(
			compareBool(a.Cluster(), b.Cluster()),
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Name, b.Name),
		)
	})
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// matcher is a valid waiver made ready to match.
type matcher struct {
	w        *Waiver
	key      string
	selector labels.Selector // nil: no podSelector
	caps     probes.CapSet   // allow.capabilities
	expired  bool
	lapsed   int // findings it would have waived, had it not expired
}

func compile(r *scan.Report, ws []Waiver, now time.Time) []*matcher {
	sorted := slices.Clone(ws)
	Order(sorted)
	var ms []*matcher
	for i := range sorted {
		w := &sorted[i]
		if err := w.Validate(); err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("waiver %s ignored: %v", w.Key(), err))
			continue
		}
		m := &matcher{w: w, key: w.Key(), expired: w.Expired(now)}
		if w.Spec.PodSelector != nil {
			m.selector, _ = metav1.LabelSelectorAsSelector(w.Spec.PodSelector) // checked by Validate
		}
		if a := w.Spec.Allow; a != nil {
			m.caps, _ = probes.ParseCapNames(a.Capabilities)
		}
		ms = append(ms, m)
	}
	return ms
}

// subject is the audited container a finding belongs to, or nil when the
// finding cannot be waived (see Apply).
func subject(f *checks.Finding, byID map[string]*scan.ContainerSummary) *scan.ContainerSummary {
	if f.ContainerID == "" || (f.Check == checks.UndeclaredContainer && f.Layer == checks.LayerProcess) {
		return nil
	}
	c, ok := byID[f.ContainerID]
	if !ok || c.Namespace != f.Namespace || c.Pod != f.Pod || c.Container != f.Container {
		return nil
	}
	return c
}

func (m *matcher) matches(f *checks.Finding, c *scan.ContainerSummary, pods *podLabels) bool {
	return m.w.waives(f.Check) && m.inScope(c) && m.selects(c, pods) && m.container(c) && m.allows(f)
}

func (m *matcher) inScope(c *scan.ContainerSummary) bool {
	w := m.w
	switch {
	case !w.Cluster():
		return c.Namespace != "" && c.Namespace == w.Namespace
	case c.Namespace == "" && c.Pod == "":
		return len(w.Spec.Namespaces) == 0 && w.Spec.PodSelector == nil
	case len(w.Spec.Namespaces) == 0:
		return true
	}
	return slices.Contains(w.Spec.Namespaces, c.Namespace)
}

func (m *matcher) selects(c *scan.ContainerSummary, pods *podLabels) bool {
	if m.selector == nil {
		return true
	}
	l, ok := pods.get(c.Namespace, c.Pod)
	return ok && m.selector.Matches(labels.Set(l))
}

func (m *matcher) container(c *scan.ContainerSummary) bool {
	for _, sel := range m.w.Spec.Containers {
		if (sel.Name == "" || sel.Name == c.Container) && imageMatches(sel.Image, c.Image, c.ImageRef) {
			return true
		}
	}
	return false
}

// imageMatches matches a valid Container.Image against a container's
// image (as the pod spec names it) and image reference (its digest).
func imageMatches(pattern, image, ref string) bool {
	switch {
	case image != "" && image == pattern:
		return true
	case strings.HasSuffix(pattern, "*"):
		return image != "" && strings.HasPrefix(image, strings.TrimSuffix(pattern, "*"))
	case strings.HasPrefix(pattern, "sha256:"):
		return ref == pattern || strings.HasSuffix(ref, "@"+pattern)
	case strings.Contains(pattern, "@sha256:"):
		return ref == pattern
	}
	return false
}

func (m *matcher) allows(f *checks.Finding) bool {
	a := m.w.Spec.Allow
	if a == nil {
		return true
	}
	if len(a.Values) > 0 && !slices.Contains(a.Values, f.Actual) {
		return false
	}
	if len(a.Capabilities) > 0 && f.Check == checks.Capabilities {
		want, err1 := parseMask(f.Expected)
		got, err2 := parseMask(f.Actual)
		if err1 != nil || err2 != nil {
			return false // not a mask: nothing to prove the addition is allowed
		}
		return got&^want&^m.caps == 0
	}
	return true
}

// parseMask reads a capability mask as findings carry it ("00000000a80425fb").
func parseMask(s string) (probes.CapSet, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("capability mask %q is not 16 hex digits", s)
	}
	n, err := strconv.ParseUint(s, 16, 64)
	return probes.CapSet(n), err
}

// podLabels asks for each pod's labels once.
type podLabels struct {
	fn    func(namespace, pod string) (map[string]string, bool)
	cache map[[2]string]labelsResult
}

type labelsResult struct {
	labels map[string]string
	ok     bool
}

func (p *podLabels) get(namespace, pod string) (map[string]string, bool) {
	if p.fn == nil {
		return nil, false
	}
	k := [2]string{namespace, pod}
	r, seen := p.cache[k]
	if !seen {
		r.labels, r.ok = p.fn(namespace, pod)
		p.cache[k] = r
	}
	return r.labels, r.ok
}
