package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	v1alpha1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	orfake "github.com/openreports/reports-api/pkg/client/clientset/versioned/fake"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/scan"
)

const (
	node    = "node-a"
	uidWeb  = "11111111-2222-3333-4444-555555555555"
	uidIdle = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

var (
	t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Hour)

	podWeb  = Pod{Namespace: "team", Name: "web", UID: uidWeb}
	podIdle = Pod{Namespace: "team", Name: "idle", UID: uidIdle}
)

// fixture is a scan of two pods: web (two containers, findings of every
// outcome) and idle (clean), plus two node-level findings.
func fixture() *scan.Report {
	return &scan.Report{
		APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: node,
		Containers: []scan.ContainerSummary{
			{ID: "c-app", Namespace: "team", Pod: "web", PodUID: uidWeb, Container: "app"},
			{ID: "c-side", Namespace: "team", Pod: "web", PodUID: uidWeb, Container: "side"},
			{ID: "c-idle", Namespace: "team", Pod: "idle", PodUID: uidIdle, Container: "main"},
		},
		Findings: []checks.Finding{
			{Check: checks.ReadonlyRootfs, Severity: checks.Medium, Layer: checks.LayerOCI, Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-app",
				Field: "root.readonly", Expected: "true", Actual: "false", Message: "root is writable"},
			{Check: checks.Capabilities, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-app",
				PID: 43, Field: "CapEff", Expected: "0x0", Actual: "0x1", Message: "sh(43) has CAP_CHOWN"},
			{Check: checks.Capabilities, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-app",
				PID: 42, Field: "CapEff", Expected: "0x0", Actual: "0x1", Message: "app(42) has CAP_CHOWN"},
			{Check: checks.RunAsUser, Severity: checks.Info, Layer: checks.LayerProcess, Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-app",
				PID: 42, Field: "Uid", Expected: "0", Actual: "1000", Message: "less privilege than declared"},
			{Check: checks.Seccomp, Severity: checks.High, Layer: checks.LayerProcess, Namespace: "team", Pod: "web", Container: "side", ContainerID: "c-side",
				PID: 50, Field: "Seccomp", Expected: "2", Actual: "0", Message: "unconfined", Waiver: "team/accept-seccomp"},
			{Check: checks.UndeclaredContainer, Severity: checks.High, Layer: checks.LayerProcess, Namespace: "containerd:moby", Container: "hidden1", ContainerID: "hidden1",
				PID: 999, Field: "namespaces", Expected: "a container the CRI knows", Actual: "pid:1,net:2", Message: "container hidden1 of containerd namespace \"moby\""},
			{Check: checks.UndeclaredContainer, Severity: checks.High, Layer: checks.LayerProcess,
				PID: 1234, Field: "namespaces", Expected: "a container the CRI knows", Actual: "pid:3", Message: "process(es) sleep(1234) live in pid:3"},
		},
	}
}

// newClientset is the reports-api fake. Its NewClientset cannot convert
// the types for field management (v0.2.1 ships no OpenAPI models for
// them), so the plain object tracker it is.
func newClientset() *orfake.Clientset {
	return orfake.NewSimpleClientset()
}

// orClient is the fake as the Writer's OpenReports.
type orClient struct{ cs *orfake.Clientset }

func (c orClient) Reports(ns string) kube.ReportClient { return c.cs.OpenreportsV1alpha1().Reports(ns) }

func (c orClient) ClusterReports() kube.ClusterReportClient {
	return c.cs.OpenreportsV1alpha1().ClusterReports()
}

func pods() []Pod { return []Pod{podWeb, podIdle} }

func podRef(p Pod) corev1.ObjectReference {
	return corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: types.UID(p.UID)}
}

var nodeRef = corev1.ObjectReference{APIVersion: "v1", Kind: "Node", Name: node}

// newOR is a Writer in OpenReports mode on a fake clientset.
func newOR(t *testing.T, cs *orfake.Clientset, now time.Time, o Options) *Writer {
	t.Helper()
	o.Node, o.Mode = node, ModeOpenReports
	w, err := NewWriterForClients(orClient{cs}, nil, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return now }
	return w
}

// writes counts the create, update and delete actions (by verb) and the
// names written.
func writes(actions []clienttesting.Action) (map[string]int, []string) {
	n := map[string]int{}
	var names []string
	for _, a := range actions {
		v, res := a.GetVerb(), a.GetResource().Resource
		n[v]++
		switch a := a.(type) {
		case clienttesting.DeleteAction:
			names = append(names, v+" "+res+" "+a.GetNamespace()+"/"+a.GetName())
		case clienttesting.CreateAction: // and UpdateAction
			names = append(names, v+" "+res+" "+objName(a.GetObject()))
		}
	}
	return n, names
}

func objName(o runtime.Object) string {
	m, err := meta.Accessor(o)
	if err != nil {
		return "?"
	}
	return m.GetNamespace() + "/" + m.GetName()
}

func mustSync(t *testing.T, w *Writer, r *scan.Report, ps []Pod) {
	t.Helper()
	if err := w.Sync(context.Background(), r, ps); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func getReport(t *testing.T, cs *orfake.Clientset, p Pod) *v1alpha1.Report {
	t.Helper()
	r, err := cs.OpenreportsV1alpha1().Reports(p.Namespace).Get(context.Background(), PodReportName(p.UID), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get report of %s: %v", p.Name, err)
	}
	return r
}

func getNodeReport(t *testing.T, cs *orfake.Clientset) *v1alpha1.ClusterReport {
	t.Helper()
	return getNodeReportOf(t, cs, node)
}

func getNodeReportOf(t *testing.T, cs *orfake.Clientset, node string) *v1alpha1.ClusterReport {
	t.Helper()
	r, err := cs.OpenreportsV1alpha1().ClusterReports().Get(context.Background(), NodeReportName(node), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node report: %v", err)
	}
	return r
}

func TestReportPerPod(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{})
	mustSync(t, w, fixture(), pods())

	n, _ := writes(cs.Actions())
	if n["create"] != 3 || n["update"] != 0 || n["delete"] != 0 {
		t.Errorf("writes = %v, want 3 creates (two pods, one node)", n)
	}
	if got := w.Stats(); got != (Stats{Creates: 3}) {
		t.Errorf("Stats = %+v", got)
	}
	nChecks := len(checks.All())
	ts := metav1.Timestamp{Seconds: t0.Unix()}
	labels := map[string]string{LabelManagedBy: ManagedBy, LabelNode: node}

	web := getReport(t, cs, podWeb)
	if web.Name != "rtaudit-"+uidWeb || web.Namespace != "team" {
		t.Errorf("name = %s/%s", web.Namespace, web.Name)
	}
	if diff := cmp.Diff(labels, web.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	wantOwner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "web", UID: uidWeb}}
	if diff := cmp.Diff(wantOwner, web.OwnerReferences); diff != "" {
		t.Errorf("owner (-want +got):\n%s", diff)
	}
	ref := podRef(podWeb)
	if diff := cmp.Diff(&ref, web.Scope); diff != "" {
		t.Errorf("scope (-want +got):\n%s", diff)
	}
	if web.Source != Source {
		t.Errorf("source = %q", web.Source)
	}
	res := func(rule checks.ID, result v1alpha1.Result, sev v1alpha1.ResultSeverity, msg string, props map[string]string) v1alpha1.ReportResult {
		return v1alpha1.ReportResult{Source: Source, Policy: Policy, Rule: string(rule), Result: result, Scored: result == "fail", Severity: sev,
			Timestamp: ts, Subjects: []corev1.ObjectReference{ref}, Description: msg, Properties: props}
	}
	want := []v1alpha1.ReportResult{
		res(checks.Capabilities, "fail", "critical", "app(42) has CAP_CHOWN", map[string]string{
			"container": "app", "containerID": "c-app", "layer": "process", "field": "CapEff", "expected": "0x0", "actual": "0x1", "pid": "42"}),
		res(checks.Capabilities, "fail", "critical", "sh(43) has CAP_CHOWN", map[string]string{
			"container": "app", "containerID": "c-app", "layer": "process", "field": "CapEff", "expected": "0x0", "actual": "0x1", "pid": "43"}),
		res(checks.Seccomp, "skip", "high", "unconfined", map[string]string{
			"container": "side", "containerID": "c-side", "layer": "process", "field": "Seccomp", "expected": "2", "actual": "0", "pid": "50", "waiver": "team/accept-seccomp"}),
		res(checks.ReadonlyRootfs, "warn", "medium", "root is writable", map[string]string{
			"container": "app", "containerID": "c-app", "layer": "oci", "field": "root.readonly", "expected": "true", "actual": "false"}),
	}
	if diff := cmp.Diff(want, web.Results); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	// 2 containers × every check, less (app, capabilities), (app,
	// readonly-rootfs) and the waived (side, seccomp).
	if diff := cmp.Diff(v1alpha1.ReportSummary{Pass: 2*nChecks - 3, Fail: 2, Warn: 1, Skip: 1}, web.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	idle := getReport(t, cs, podIdle)
	if len(idle.Results) != 0 || idle.Summary != (v1alpha1.ReportSummary{Pass: nChecks}) {
		t.Errorf("clean pod: summary %+v, results %v", idle.Summary, idle.Results)
	}
	if len(idle.OwnerReferences) != 1 || idle.OwnerReferences[0].UID != uidIdle {
		t.Errorf("clean pod owner = %v", idle.OwnerReferences)
	}

	nr := getNodeReport(t, cs)
	if nr.Name != "rtaudit-node-"+node || nr.Namespace != "" || len(nr.OwnerReferences) != 0 {
		t.Errorf("node report %s/%s owners %v", nr.Namespace, nr.Name, nr.OwnerReferences)
	}
	if diff := cmp.Diff(&nodeRef, nr.Scope); diff != "" {
		t.Errorf("node scope (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(labels, nr.Labels); diff != "" {
		t.Errorf("node labels (-want +got):\n%s", diff)
	}
	wantNode := []v1alpha1.ReportResult{
		{Source: Source, Policy: Policy, Rule: string(checks.UndeclaredContainer), Result: "fail", Scored: true, Severity: "high", Timestamp: ts,
			Subjects: []corev1.ObjectReference{nodeRef}, Description: "process(es) sleep(1234) live in pid:3",
			Properties: map[string]string{"layer": "process", "field": "namespaces", "expected": "a container the CRI knows", "actual": "pid:3", "pid": "1234"}},
		{Source: Source, Policy: Policy, Rule: string(checks.UndeclaredContainer), Result: "fail", Scored: true, Severity: "high", Timestamp: ts,
			Subjects: []corev1.ObjectReference{nodeRef}, Description: "container hidden1 of containerd namespace \"moby\"",
			Properties: map[string]string{"namespace": "containerd:moby", "container": "hidden1", "containerID": "hidden1", "layer": "process", "field": "namespaces",
				"expected": "a container the CRI knows", "actual": "pid:1,net:2", "pid": "999"}},
	}
	if diff := cmp.Diff(wantNode, nr.Results); diff != "" {
		t.Errorf("node results (-want +got):\n%s", diff)
	}
	if nr.Summary != (v1alpha1.ReportSummary{Fail: 2}) {
		t.Errorf("node summary = %+v", nr.Summary)
	}
}

func TestUnchangedSyncWritesNothing(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{})
	mustSync(t, w, fixture(), pods())
	cs.ClearActions()
	w.now = func() time.Time { return t1 }
	mustSync(t, w, fixture(), []Pod{podIdle, podWeb, podWeb}) // order and duplicates do not matter
	if len(cs.Actions()) != 0 {
		_, names := writes(cs.Actions())
		t.Errorf("second Sync made %d API calls, want none: %v", len(cs.Actions()), names)
	}
	if got := w.Stats(); got != (Stats{Creates: 3}) {
		t.Errorf("Stats = %+v", got)
	}
}

func TestOneFindingChangedOneUpdate(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{})
	mustSync(t, w, fixture(), pods())
	cs.ClearActions()

	r := fixture()
	r.Findings[0].Actual = "true (remounted)" // readonly-rootfs of web/app
	r.Findings = append(r.Findings, checks.Finding{Check: checks.NoNewPrivs, Severity: checks.High, Layer: checks.LayerProcess,
		Namespace: "team", Pod: "web", Container: "side", ContainerID: "c-side", PID: 51, Field: "NoNewPrivs", Expected: "1", Actual: "0", Message: "new"})
	w.now = func() time.Time { return t1 }
	mustSync(t, w, r, pods())

	n, names := writes(cs.Actions())
	if n["create"]+n["update"]+n["delete"] != 1 || n["update"] != 1 {
		t.Fatalf("writes = %v, want one update", names)
	}
	if want := "update reports team/rtaudit-" + uidWeb; names[0] != want {
		t.Errorf("wrote %q, want %q", names[0], want)
	}
	web := getReport(t, cs, podWeb)
	for _, res := range web.Results {
		want := t0.Unix() // first seen, even when a value changed
		if res.Rule == string(checks.NoNewPrivs) {
			want = t1.Unix()
		}
		if res.Timestamp.Seconds != want {
			t.Errorf("%s pid %s: timestamp %d, want %d", res.Rule, res.Properties["pid"], res.Timestamp.Seconds, want)
		}
		if res.Rule == string(checks.ReadonlyRootfs) && res.Properties["actual"] != "true (remounted)" {
			t.Errorf("readonly-rootfs actual = %q", res.Properties["actual"])
		}
	}
	if web.Summary.Fail != 3 || web.Summary.Pass != 2*len(checks.All())-4 {
		t.Errorf("summary = %+v", web.Summary)
	}
	if got := w.Stats(); got != (Stats{Creates: 3, Updates: 1}) {
		t.Errorf("Stats = %+v", got)
	}
}

func TestGonePodDeleted(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{})
	mustSync(t, w, fixture(), pods())
	cs.ClearActions()

	r := fixture()
	r.Containers = r.Containers[:2] // idle is gone
	mustSync(t, w, r, []Pod{podWeb})
	n, names := writes(cs.Actions())
	if n["delete"] != 1 || n["create"]+n["update"] != 0 {
		t.Fatalf("writes = %v, want one delete", names)
	}
	if want := "delete reports team/rtaudit-" + uidIdle; names[0] != want {
		t.Errorf("got %q, want %q", names[0], want)
	}
	if _, err := cs.OpenreportsV1alpha1().Reports("team").Get(context.Background(), PodReportName(uidIdle), metav1.GetOptions{}); err == nil {
		t.Error("report of the gone pod still exists")
	}
	if got := w.Stats(); got != (Stats{Creates: 3, Deletes: 1}) {
		t.Errorf("Stats = %+v", got)
	}
}

func TestAdoptionAfterRestart(t *testing.T) {
	cs := newClientset()
	mustSync(t, newOR(t, cs, t0, Options{}), fixture(), pods())

	// A report of a pod that left while the agent was down, and one of
	// another node's agent.
	stale := &v1alpha1.Report{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: PodReportName("0ld"),
		Labels: map[string]string{LabelManagedBy: ManagedBy, LabelNode: node}}}
	other := &v1alpha1.Report{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: PodReportName("0ther"),
		Labels: map[string]string{LabelManagedBy: ManagedBy, LabelNode: "node-b"}}}
	for _, o := range []*v1alpha1.Report{stale, other} {
		if _, err := cs.OpenreportsV1alpha1().Reports("team").Create(context.Background(), o, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cs.ClearActions()

	w := newOR(t, cs, t1, Options{}) // the restarted agent
	mustSync(t, w, fixture(), pods())
	n, names := writes(cs.Actions())
	if n["list"] != 2 || n["create"]+n["update"] != 0 || n["delete"] != 1 || len(cs.Actions()) != 3 {
		t.Errorf("after restart: %v (%d calls), want two lists and the stale report's delete", names, len(cs.Actions()))
	}
	if len(names) == 1 && names[0] != "delete reports team/"+stale.Name {
		t.Errorf("deleted %q", names[0])
	}
	if _, err := cs.OpenreportsV1alpha1().Reports("team").Get(context.Background(), other.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("another node's report was touched: %v", err)
	}
	cs.ClearActions()
	mustSync(t, w, fixture(), pods())
	if len(cs.Actions()) != 0 {
		t.Errorf("second Sync after restart made %d calls", len(cs.Actions()))
	}
}

func TestWriteErrorDoesNotStopOthers(t *testing.T) {
	cs := newClientset()
	var fail atomic.Bool
	fail.Store(true)
	cs.PrependReactor("create", "reports", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if fail.Load() && objName(a.(clienttesting.CreateAction).GetObject()) == "team/"+PodReportName(uidWeb) {
			return true, nil, errors.New("boom")
		}
		return false, nil, nil
	})
	w := newOR(t, cs, t0, Options{})
	err := w.Sync(context.Background(), fixture(), pods())
	if err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), PodReportName(uidWeb)) {
		t.Errorf("Sync error = %v", err)
	}
	getReport(t, cs, podIdle)
	getNodeReport(t, cs)
	if got := w.Stats(); got != (Stats{Creates: 2, Errors: 1}) {
		t.Errorf("Stats = %+v", got)
	}
	fail.Store(false)
	cs.ClearActions()
	mustSync(t, w, fixture(), pods()) // the next Sync retries only the failed one
	if _, names := writes(cs.Actions()); len(names) != 1 || names[0] != "create reports team/"+PodReportName(uidWeb) {
		t.Errorf("retry wrote %v", names)
	}
}

func TestRateLimited(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{Limit: rate.Every(time.Hour), Burst: 1})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.Sync(ctx, fixture(), pods()); err == nil {
		t.Error("Sync beyond the write budget succeeded")
	}
	if got := w.Stats(); got.Creates != 1 || got.Errors != 2 {
		t.Errorf("Stats = %+v, want 1 create and 2 throttled", got)
	}
}

func TestUnknownPodAndErrorsGoWhereTheyBelong(t *testing.T) {
	r := fixture()
	r.Findings = append(r.Findings, checks.Finding{Check: checks.UndeclaredContainer, Severity: checks.High, Layer: checks.LayerCRI,
		Namespace: "team", Pod: "crictl-made", Container: "x", ContainerID: "c-x", Field: "declaredFrom", Expected: "kube-api", Actual: "none", Message: "undeclared"})
	r.Errors = []scan.ContainerError{{ContainerRef: scan.ContainerRef{ID: "c-broken", Namespace: "team", Pod: "idle", Container: "broken"}, Error: "permission denied"}}
	b := build(input{report: r, pods: pods(), node: node, nodeLabel: node, withSource: true, now: t0})

	nr := b.objects[key{cluster: true, name: NodeReportName(node)}]
	var found bool
	for _, res := range nr.Results {
		if res.Properties["pod"] == "crictl-made" && res.Properties["namespace"] == "team" {
			found = true
		}
	}
	if !found {
		t.Errorf("finding of a pod not audited is not in the node report: %+v", nr.Results)
	}
	idle := b.objects[key{namespace: "team", name: PodReportName(uidIdle)}]
	if idle.Summary.Error != 1 || len(idle.Results) != 1 || idle.Results[0].Result != "error" || idle.Results[0].Properties["containerID"] != "c-broken" {
		t.Errorf("container error: summary %+v results %+v", idle.Summary, idle.Results)
	}
}

func TestWGPolicySameContent(t *testing.T) {
	cs := newClientset()
	mustSync(t, newOR(t, cs, t0, Options{}), fixture(), pods())

	dyn := newDynamic()
	w, err := NewWriterForClients(nil, dyn, nil, Options{Node: node, Mode: ModeWGPolicy})
	if err != nil {
		t.Fatal(err)
	}
	w.now = func() time.Time { return t0 }
	mustSync(t, w, fixture(), pods())
	n, _ := writes(dyn.Actions())
	if n["create"] != 3 {
		t.Errorf("wgpolicy writes = %v", n)
	}

	u, err := dyn.Resource(wgPolicyReports).Namespace("team").Get(context.Background(), PodReportName(uidWeb), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u.GetAPIVersion() != "wgpolicyk8s.io/v1alpha2" || u.GetKind() != "PolicyReport" {
		t.Errorf("apiVersion/kind = %s %s", u.GetAPIVersion(), u.GetKind())
	}
	if _, has := u.Object["source"]; has {
		t.Error("v1alpha2 object has a report-level source")
	}
	want, err := runtime.DefaultUnstructuredConverter.ToUnstructured(getReport(t, cs, podWeb))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scope", "summary", "results"} {
		if diff := cmp.Diff(want[f], u.Object[f]); diff != "" {
			t.Errorf("%s differs from the OpenReports object (-openreports +wgpolicy):\n%s", f, diff)
		}
	}
	if diff := cmp.Diff(getReport(t, cs, podWeb).OwnerReferences, mustOwners(t, u)); diff != "" {
		t.Errorf("owner (-openreports +wgpolicy):\n%s", diff)
	}
	cu, err := dyn.Resource(wgClusterPolicy).Get(context.Background(), NodeReportName(node), metav1.GetOptions{})
	if err != nil || cu.GetKind() != "ClusterPolicyReport" || cu.GetLabels()[LabelNode] != node {
		t.Errorf("node ClusterPolicyReport: %v %v", cu, err)
	}

	// Unchanged, and after a restart: nothing written.
	dyn.ClearActions()
	mustSync(t, w, fixture(), pods())
	if len(dyn.Actions()) != 0 {
		t.Errorf("unchanged wgpolicy Sync made %d calls", len(dyn.Actions()))
	}
	w2, _ := NewWriterForClients(nil, dyn, nil, Options{Node: node, Mode: ModeWGPolicy})
	w2.now = func() time.Time { return t1 }
	mustSync(t, w2, fixture(), pods())
	if n, names := writes(dyn.Actions()); n["list"] != 2 || len(names) != 0 {
		t.Errorf("wgpolicy restart: %v %v", n, names)
	}
}

func mustOwners(t *testing.T, u *unstructured.Unstructured) []metav1.OwnerReference {
	t.Helper()
	return u.GetOwnerReferences()
}

func newDynamic() *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		wgPolicyReports: "PolicyReportList",
		wgClusterPolicy: "ClusterPolicyReportList",
	})
}

func discoveryServing(gvs ...string) *fakediscovery.FakeDiscovery {
	d := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{}}
	for _, gv := range gvs {
		l := &metav1.APIResourceList{GroupVersion: gv}
		switch gv {
		case "openreports.io/v1alpha1":
			l.APIResources = []metav1.APIResource{{Name: "reports", Namespaced: true, Kind: "Report"}, {Name: "clusterreports", Kind: "ClusterReport"}}
		case "wgpolicyk8s.io/v1alpha2":
			l.APIResources = []metav1.APIResource{{Name: "policyreports", Namespaced: true, Kind: "PolicyReport"}, {Name: "clusterpolicyreports", Kind: "ClusterPolicyReport"}}
		}
		d.Resources = append(d.Resources, l)
	}
	return d
}

func TestAutoMode(t *testing.T) {
	for _, tc := range []struct {
		name   string
		served []string
		want   Mode
	}{
		{"both: openreports preferred", []string{"wgpolicyk8s.io/v1alpha2", "openreports.io/v1alpha1"}, ModeOpenReports},
		{"wgpolicy only", []string{"wgpolicyk8s.io/v1alpha2"}, ModeWGPolicy},
		{"neither", nil, ModeNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, dyn := newClientset(), newDynamic()
			var logs bytes.Buffer
			w, err := NewWriterForClients(orClient{cs}, dyn, discoveryServing(tc.served...), Options{Node: node, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if w.Format() != "" {
				t.Errorf("Format before Sync = %q", w.Format())
			}
			mustSync(t, w, fixture(), pods())
			mustSync(t, w, fixture(), pods())
			if w.Format() != tc.want {
				t.Errorf("Format = %q, want %q", w.Format(), tc.want)
			}
			orWrites, _ := writes(cs.Actions())
			wgWrites, _ := writes(dyn.Actions())
			switch tc.want {
			case ModeOpenReports:
				if orWrites["create"] != 3 || len(dyn.Actions()) != 0 {
					t.Errorf("openreports %v, wgpolicy %v", orWrites, wgWrites)
				}
			case ModeWGPolicy:
				if wgWrites["create"] != 3 || len(cs.Actions()) != 0 {
					t.Errorf("openreports %v, wgpolicy %v", orWrites, wgWrites)
				}
			case ModeNone:
				if len(cs.Actions())+len(dyn.Actions()) != 0 {
					t.Errorf("mode none called the API: %v %v", cs.Actions(), dyn.Actions())
				}
				if c := strings.Count(logs.String(), "serves neither"); c != 1 {
					t.Errorf("said %d times that no format is served, want once:\n%s", c, logs.String())
				}
			}
		})
	}
}

func TestHostileStrings(t *testing.T) {
	const evilNode = "Evil_Node/../" + "x\"}"
	hostile := "\"}],\"results\":[{\"result\":\"pass\"}]}\x1b[31m\n\xff\xfe" + strings.Repeat("ä", 3000)
	r := fixture()
	r.Node = evilNode
	for i := range r.Findings {
		r.Findings[i].Message = hostile
		r.Findings[i].Actual = hostile
		r.Findings[i].Container = "../../" + hostile
	}
	cs := newClientset()
	w, err := NewWriterForClients(orClient{cs}, nil, nil, Options{Node: evilNode, Mode: ModeOpenReports})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, w, r, pods())

	web := getReport(t, cs, podWeb)
	if len(web.Results) == 0 {
		t.Fatal("no results")
	}
	for _, res := range web.Results {
		for name, s := range map[string]string{"message": res.Description, "actual": res.Properties["actual"], "container": res.Properties["container"]} {
			if len(s) > MaxText || !strings.HasSuffix(s, truncated) || !utf8.ValidString(s) {
				t.Errorf("%s not capped to valid UTF-8: %d bytes, suffix %q", name, len(s), s[max(0, len(s)-20):])
			}
		}
	}
	// The hostile text is a JSON string value and round-trips exactly:
	// the API server will hand back what was written, so it compares
	// equal on the next Sync.
	b, err := json.Marshal(web)
	if err != nil || !json.Valid(b) {
		t.Fatalf("marshal: %v", err)
	}
	var back v1alpha1.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(web.Results, back.Results); diff != "" {
		t.Errorf("results change through JSON (-before +after):\n%s", diff)
	}
	if len(back.Results) != len(web.Results) || back.Results[0].Result != "fail" {
		t.Errorf("hostile text changed the structure: %+v", back.Results[0])
	}
	for _, l := range []string{web.Labels[LabelNode], getNodeReportOf(t, cs, evilNode).Labels[LabelNode]} {
		if errs := validation.IsValidLabelValue(l); len(errs) != 0 || strings.Contains(l, "/") {
			t.Errorf("node label %q: %v", l, errs)
		}
	}
	if errs := validation.IsDNS1123Subdomain(getNodeReportOf(t, cs, evilNode).Name); len(errs) != 0 {
		t.Errorf("node report name: %v", errs)
	}
	cs.ClearActions()
	mustSync(t, w, r, pods())
	if len(cs.Actions()) != 0 {
		t.Errorf("unchanged hostile Sync made %d calls", len(cs.Actions()))
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{uidWeb, "rtaudit-" + uidWeb},
		{"0123456789abcdef0123456789abcdef", "rtaudit-0123456789abcdef0123456789abcdef"}, // static pod
		{"../Evil UID", "rtaudit-" + digest("../Evil UID", 32)},
		{strings.Repeat("a", 80), "rtaudit-" + digest(strings.Repeat("a", 80), 32)},
	} {
		if got := PodReportName(tc.in); got != tc.want || len(validation.IsDNS1123Label(got)) != 0 {
			t.Errorf("PodReportName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("n", 250)
	for _, n := range []string{"node-a", "ip-10-0-0-1.ec2.internal", long, "Evil_Node/..", "...", ""} {
		if errs := validation.IsDNS1123Subdomain(NodeReportName(n)); len(errs) != 0 {
			t.Errorf("NodeReportName(%q) = %q: %v", n, NodeReportName(n), errs)
		}
		l := NodeLabelValue(n)
		if errs := validation.IsValidLabelValue(l); len(errs) != 0 || l == "" {
			t.Errorf("NodeLabelValue(%q) = %q: %v", n, l, errs)
		}
	}
	if NodeLabelValue("node-a") != "node-a" || NodeLabelValue(long) == NodeLabelValue(long+"x") {
		t.Error("node labels: a valid name must stay, distinct long names must differ")
	}
}

func TestCapText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"short", "short"},
		{"a\xffb", "a\uFFFDb"},
		{strings.Repeat("x", MaxText), strings.Repeat("x", MaxText)},
	} {
		if got := capText(tc.in); got != tc.want {
			t.Errorf("capText(%q) = %q", tc.in, got)
		}
	}
	got := capText(strings.Repeat("€", MaxText))
	if len(got) > MaxText || !utf8.ValidString(got) || !strings.HasSuffix(got, truncated) {
		t.Errorf("capText of long text: %d bytes, valid %v", len(got), utf8.ValidString(got))
	}
}

func TestResultSizeBudget(t *testing.T) {
	r := fixture()
	big := strings.Repeat("m", 2*MaxText)
	for pid := 1; pid <= 400; pid++ {
		r.Findings = append(r.Findings, checks.Finding{Check: checks.Capabilities, Severity: checks.Medium, Layer: checks.LayerProcess,
			Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-app", PID: 10000 + pid, Field: "CapEff",
			Expected: big, Actual: big, Message: big})
	}
	b := build(input{report: r, pods: pods(), node: node, nodeLabel: node, withSource: true, now: t0})
	k := key{namespace: "team", name: PodReportName(uidWeb)}
	web := b.objects[k]
	raw, _ := json.Marshal(web.Results)
	if len(raw) > maxResultBytes || b.dropped[k] == 0 {
		t.Errorf("results %d bytes, %d dropped", len(raw), b.dropped[k])
	}
	if web.Results[0].Severity != "critical" || web.Summary.Warn != 401 {
		t.Errorf("most severe first and all counted: first %s, summary %+v", web.Results[0].Severity, web.Summary)
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "openreports": ModeOpenReports, "wgpolicy": ModeWGPolicy, "none": ModeNone} {
		if got, err := ParseMode(in); got != want || err != nil {
			t.Errorf("ParseMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMode("policyreport"); err == nil {
		t.Error("ParseMode accepted an unknown mode")
	}
	if _, err := NewWriterForClients(nil, nil, nil, Options{Node: node, Mode: ModeNone}); err != nil {
		t.Errorf("mode none needs no client: %v", err)
	}
	if _, err := NewWriterForClients(orClient{newClientset()}, nil, nil, Options{Mode: ModeOpenReports}); err == nil {
		t.Error("a Writer without a node name")
	}
}

func TestSpoofedPodNameGoesToNode(t *testing.T) {
	r := fixture()
	r.Containers = append(r.Containers, scan.ContainerSummary{ID: "c-spoof", Namespace: "team", Pod: "web", PodUID: "not-the-api-pod", Container: "app"})
	r.Findings = append(r.Findings, checks.Finding{Check: checks.Privileged, Severity: checks.Critical, Layer: checks.LayerCRI,
		Namespace: "team", Pod: "web", Container: "app", ContainerID: "c-spoof", Field: "privileged", Expected: "false", Actual: "true", Message: "spoof"})
	b := build(input{report: r, pods: pods(), node: node, nodeLabel: node, withSource: true, now: t0})
	web := b.objects[key{namespace: "team", name: PodReportName(uidWeb)}]
	nr := b.objects[key{cluster: true, name: NodeReportName(node)}]
	for _, res := range web.Results {
		if res.Properties["containerID"] == "c-spoof" {
			t.Error("a sandbox named like an audited pod reported in that pod's Report")
		}
	}
	if web.Summary.Pass != 2*len(checks.All())-3 || nr.Summary.Pass != len(checks.All())-1 || nr.Summary.Fail != 3 {
		t.Errorf("summaries: web %+v node %+v", web.Summary, nr.Summary)
	}
}

// TestLevelLabels: a pod's Report carries its declared and effective
// Pod Security Standards levels as labels; a change of level is a write.
func TestLevelLabels(t *testing.T) {
	cs := newClientset()
	w := newOR(t, cs, t0, Options{})
	r := fixture()
	r.Pods = []scan.PodLevels{{Namespace: podWeb.Namespace, Pod: podWeb.Name, PodUID: podWeb.UID, DeclaredLevel: "restricted", EffectiveLevel: "baseline"}}
	mustSync(t, w, r, pods())
	web := getReport(t, cs, podWeb)
	if web.Labels[LabelDeclaredLevel] != "restricted" || web.Labels[LabelEffectiveLevel] != "baseline" {
		t.Errorf("labels %v, want the levels", web.Labels)
	}
	cs.ClearActions()
	r.Pods[0].EffectiveLevel = "privileged"
	mustSync(t, w, r, pods())
	if n, _ := writes(cs.Actions()); n["update"] != 1 {
		t.Errorf("writes %v after a change of level, want one update", n)
	}
	if web := getReport(t, cs, podWeb); web.Labels[LabelEffectiveLevel] != "privileged" {
		t.Errorf("labels %v after the change", web.Labels)
	}
}
