package reports

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// Pod is a pod of this node that the audit covered: it gets a Report even
// when it has no finding.
type Pod struct {
	Namespace string
	Name      string
	UID       string
}

// Result values (the OpenReports and wgpolicy enum).
const (
	resultFail  v1alpha1.Result = "fail"
	resultWarn  v1alpha1.Result = "warn"
	resultSkip  v1alpha1.Result = "skip"
	resultError v1alpha1.Result = "error"
)

// maxResultBytes bounds the results of one object (an object must stay far
// below etcd's 1.5 MiB request limit): the most severe results are kept,
// the summary still counts all of them.
const maxResultBytes = 512 << 10

// key names one object: a namespaced Report or a cluster-scoped one.
type key struct {
	cluster         bool
	namespace, name string
}

func (k key) String() string {
	if k.cluster {
		return k.name
	}
	return k.namespace + "/" + k.name
}

func keyOf(r *v1alpha1.Report, cluster bool) key {
	return key{cluster: cluster, namespace: r.Namespace, name: r.Name}
}

// input is everything build needs; build itself does no I/O.
type input struct {
	report     *scan.Report
	pods       []Pod
	node       string // the node name, for scope and resources
	nodeLabel  string // NodeLabelValue(node)
	withSource bool   // set the report-level source (OpenReports has it, wgpolicy v1alpha2 not)
	now        time.Time
	// prev holds the objects last written or read, for first-seen
	// timestamps.
	prev map[key]*v1alpha1.Report
}

// built is the desired state, and what build had to leave out.
type built struct {
	objects map[key]*v1alpha1.Report
	// dropped counts results left out of an object for size.
	dropped map[key]int
}

// group is what goes into one object.
type group struct {
	key        key
	ref        corev1.ObjectReference
	owner      *metav1.OwnerReference
	containers map[string]bool // container IDs audited
	findings   []checks.Finding
	errors     []scan.ContainerError
	levels     map[string]string // level labels (LabelDeclaredLevel, ...)
}

// build computes one Report per pod in in.pods and the node's ClusterReport.
// A finding goes to the pod of its container (by the container's pod UID;
// by namespace and name, when they name exactly one audited pod, only for
// a container the scan knows no UID of); one that
// belongs to no audited pod (another containerd namespace, a hideout, a
// sandbox the API does not know) goes to the node's report. Info findings
// (less privilege than declared) are left out.
func build(in input) built {
	r := in.report
	nodeKey := key{cluster: true, name: NodeReportName(in.node)}
	nodeGroup := &group{
		key:        nodeKey,
		ref:        corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: in.node},
		containers: map[string]bool{},
	}
	byUID := map[string]*group{}
	byName := map[string][]*group{}
	for _, p := range in.pods {
		if p.UID == "" || p.Name == "" || p.Namespace == "" || byUID[p.UID] != nil {
			continue
		}
		g := &group{
			key:        key{namespace: p.Namespace, name: PodReportName(p.UID)},
			ref:        corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: types.UID(p.UID)},
			owner:      &metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: p.Name, UID: types.UID(p.UID)},
			containers: map[string]bool{},
		}
		byUID[p.UID] = g
		byName[p.Namespace+"/"+p.Name] = append(byName[p.Namespace+"/"+p.Name], g)
	}
	byNamespaceName := func(ns, pod string) *group {
		if pod == "" {
			return nodeGroup
		}
		if gs := byName[ns+"/"+pod]; len(gs) == 1 {
			return gs[0]
		}
		return nodeGroup
	}
	// A container's pod is known by UID; names decide only where no UID
	// is known (a sandbox named like an audited pod is not that pod).
	podOf := map[string]string{} // container ID → pod UID
	groupOf := func(uid, ns, pod string) *group {
		if uid == "" {
			return byNamespaceName(ns, pod)
		}
		if g := byUID[uid]; g != nil {
			return g
		}
		return nodeGroup
	}
	for uid, labels := range levelLabels(r) {
		if g := byUID[uid]; g != nil {
			g.levels = labels
		}
	}
	for _, c := range r.Containers {
		if c.ID != "" {
			podOf[c.ID] = c.PodUID
			groupOf(c.PodUID, c.Namespace, c.Pod).containers[c.ID] = true
		}
	}
	for _, f := range r.Findings {
		if f.Severity == checks.Info {
			continue
		}
		g := groupOf(podOf[f.ContainerID], f.Namespace, f.Pod)
		g.findings = append(g.findings, f)
	}
	for _, e := range r.Errors {
		g := byNamespaceName(e.Namespace, e.Pod)
		g.errors = append(g.errors, e)
	}

	out := built{objects: map[key]*v1alpha1.Report{}, dropped: map[key]int{}}
	groups := []*group{nodeGroup}
	for _, g := range byUID {
		groups = append(groups, g)
	}
	nChecks := len(checks.All())
	for _, g := range groups {
		obj, dropped := g.object(in, nChecks)
		out.objects[g.key] = obj
		if dropped > 0 {
			out.dropped[g.key] = dropped
		}
	}
	return out
}

// object is the group's desired Report (a ClusterReport for the node).
func (g *group) object(in input, nChecks int) (*v1alpha1.Report, int) {
	nodeLevel := g.key.cluster
	fs := slices.Clone(g.findings)
	slices.SortStableFunc(fs, compareFindings)
	es := slices.Clone(g.errors)
	slices.SortStableFunc(es, func(a, b scan.ContainerError) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Pod, b.Pod),
			cmp.Compare(a.Container, b.Container), cmp.Compare(a.ID, b.ID), cmp.Compare(a.Error, b.Error))
	})

	firstSeen := map[string]metav1.Timestamp{}
	if prev := in.prev[g.key]; prev != nil {
		for _, res := range prev.Results {
			if _, dup := firstSeen[identity(res)]; !dup {
				firstSeen[identity(res)] = res.Timestamp
			}
		}
	}
	stamp := func(res *v1alpha1.ReportResult) {
		if ts, ok := firstSeen[identity(*res)]; ok {
			res.Timestamp = ts
			return
		}
		res.Timestamp = metav1.Timestamp{Seconds: in.now.Unix()}
	}

	var sum v1alpha1.ReportSummary
	results := make([]v1alpha1.ReportResult, 0, len(fs)+len(es))
	type pair struct {
		container string
		check     checks.ID
	}
	notPassed := map[pair]bool{}
	for _, f := range fs {
		res := findingResult(f, g.ref, nodeLevel)
		stamp(&res)
		switch res.Result {
		case resultFail:
			sum.Fail++
		case resultWarn:
			sum.Warn++
		case resultSkip:
			sum.Skip++
		}
		if g.containers[f.ContainerID] {
			if _, registered := checks.Get(f.Check); registered {
				notPassed[pair{f.ContainerID, f.Check}] = true
			}
		}
		results = append(results, res)
	}
	for _, e := range es {
		res := errorResult(e, g.ref, nodeLevel)
		stamp(&res)
		sum.Error++
		results = append(results, res)
	}
	sum.Pass = max(0, nChecks*len(g.containers)-len(notPassed))

	// Keep the results within the size budget, most severe first.
	size, dropped := 0, 0
	for i, res := range results {
		b, _ := json.Marshal(res)
		size += len(b)
		if size > maxResultBytes {
			dropped = len(results) - i
			results = results[:i]
			break
		}
	}

	obj := &v1alpha1.Report{
		ObjectMeta: metav1.ObjectMeta{
			Name:        g.key.name,
			Namespace:   g.key.namespace,
			Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelNode: in.nodeLabel},
			Annotations: map[string]string{AnnotationNode: in.node},
		},
		Scope:   g.ref.DeepCopy(),
		Summary: sum,
		Results: results,
	}
	for k, v := range g.levels {
		obj.Labels[k] = v
	}
	if in.withSource {
		obj.Source = Source
	}
	if g.owner != nil {
		obj.OwnerReferences = []metav1.OwnerReference{*g.owner}
	}
	return obj, dropped
}

// severityOrder ranks severities most severe first; unknown ones last.
func severityOrder(s checks.Severity) int {
	switch s {
	case checks.Critical:
		return 0
	case checks.High:
		return 1
	case checks.Medium:
		return 2
	case checks.Low:
		return 3
	}
	return 4
}

// compareFindings orders results most severe first, then by check,
// container and process: stable from one audit to the next.
func compareFindings(a, b checks.Finding) int {
	return cmp.Or(
		cmp.Compare(severityOrder(a.Severity), severityOrder(b.Severity)),
		cmp.Compare(a.Check, b.Check),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Pod, b.Pod),
		cmp.Compare(a.Container, b.Container),
		cmp.Compare(a.ContainerID, b.ContainerID),
		cmp.Compare(a.PID, b.PID),
		cmp.Compare(a.Field, b.Field),
		cmp.Compare(a.Layer, b.Layer),
		cmp.Compare(a.Waiver, b.Waiver),
		cmp.Compare(a.Expected, b.Expected),
		cmp.Compare(a.Actual, b.Actual),
		cmp.Compare(a.Message, b.Message),
	)
}

// findingResult is the result of one non-info finding: fail for critical
// and high, warn for medium and low, skip when a waiver accepts it.
func findingResult(f checks.Finding, ref corev1.ObjectReference, nodeLevel bool) v1alpha1.ReportResult {
	res := v1alpha1.ReportResult{
		Source:      Source,
		Policy:      Policy,
		Rule:        capText(string(f.Check)),
		Severity:    severity(f.Severity),
		Result:      resultWarn,
		Subjects:    []corev1.ObjectReference{ref},
		Description: capText(f.Message),
		Properties:  map[string]string{},
	}
	if f.Severity == checks.Critical || f.Severity == checks.High {
		res.Result, res.Scored = resultFail, true
	}
	if f.Waiver != "" {
		res.Result, res.Scored = resultSkip, false
	}
	set := func(k, v string) {
		if v != "" {
			res.Properties[k] = capText(v)
		}
	}
	set("container", f.Container)
	set("containerID", f.ContainerID)
	set("layer", string(f.Layer))
	set("field", f.Field)
	set("expected", f.Expected)
	set("actual", f.Actual)
	if f.PID != 0 {
		set("pid", strconv.Itoa(f.PID))
	}
	set("waiver", f.Waiver)
	if nodeLevel {
		set("namespace", f.Namespace)
		set("pod", f.Pod)
	}
	return res
}

// errorResult says a container could not be audited: its checks neither
// passed nor failed.
func errorResult(e scan.ContainerError, ref corev1.ObjectReference, nodeLevel bool) v1alpha1.ReportResult {
	res := v1alpha1.ReportResult{
		Source:      Source,
		Policy:      Policy,
		Result:      resultError,
		Subjects:    []corev1.ObjectReference{ref},
		Description: capText("container not audited: " + e.Error),
		Properties:  map[string]string{},
	}
	set := func(k, v string) {
		if v != "" {
			res.Properties[k] = capText(v)
		}
	}
	set("container", e.Container)
	set("containerID", e.ID)
	if nodeLevel {
		set("namespace", e.Namespace)
		set("pod", e.Pod)
	}
	return res
}

func severity(s checks.Severity) v1alpha1.ResultSeverity {
	switch s {
	case checks.Critical, checks.High, checks.Medium, checks.Low, checks.Info:
		return v1alpha1.ResultSeverity(s)
	}
	return ""
}

// identity names "the same result" across audits, for its first-seen
// timestamp: the rule, the outcome class and where it was found — not the
// values or the message, so a drift whose actual value changes keeps the
// time it was first seen.
func identity(res v1alpha1.ReportResult) string {
	p := res.Properties
	class := "finding"
	if res.Result == resultError {
		class = "error"
	}
	return strings.Join([]string{class, res.Rule, p["namespace"], p["pod"], p["container"], p["containerID"], p["pid"], p["field"], p["layer"]}, "\x00")
}
