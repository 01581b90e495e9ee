package plugin

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/reports"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// reportOptions are `kubectl rtaudit report [-A] [-n NS]`: the agent's
// Reports, printed like rtaudit scan (one table per node).
type reportOptions struct {
	kubeFlags
	allNamespaces bool
	output        string
}

func (o *reportOptions) AddFlags(fs *flag.FlagSet) {
	o.kubeFlags.AddFlags(fs)
	fs.BoolVar(&o.allNamespaces, "all-namespaces", false, "every namespace's Reports, and the nodes' ClusterReports")
	fs.BoolVar(&o.allNamespaces, "A", false, "short for --all-namespaces")
	fs.StringVar(&o.output, "o", "table", "output: table, wide or json")
}

func (o *reportOptions) Complete(args []string) error {
	if len(args) > 0 {
		return usagef("unexpected argument %q", args[0])
	}
	return nil
}

func (o *reportOptions) Validate() error {
	switch o.output {
	case "table", "wide", "json":
	default:
		return usagef("-o %q: want table, wide or json", o.output)
	}
	if o.allNamespaces && o.kubeFlags.namespace != "" {
		return usagef("-A and -n are exclusive")
	}
	return nil
}

func (o *reportOptions) Run(ctx context.Context, s Streams) (int, error) {
	cfg, ns, err := o.clients()
	if err != nil {
		return ExitError, err
	}
	rc, err := kube.NewForConfig(cfg)
	if err != nil {
		return ExitError, fmt.Errorf("kubeconfig: %w", err)
	}
	sel := metav1.ListOptions{LabelSelector: reports.LabelManagedBy + "=" + reports.ManagedBy}
	if o.allNamespaces {
		ns = metav1.NamespaceAll
	}
	var objs []v1alpha1.Report
	for opts := sel; ; {
		list, err := rc.Reports(ns).List(ctx, opts)
		if err != nil {
			return ExitError, fmt.Errorf("listing Reports: %w", err)
		}
		objs = append(objs, list.Items...)
		if opts.Continue = list.Continue; opts.Continue == "" {
			break
		}
	}
	if o.allNamespaces {
		for opts := sel; ; {
			list, err := rc.ClusterReports().List(ctx, opts)
			if err != nil {
				return ExitError, fmt.Errorf("listing ClusterReports: %w", err)
			}
			for _, c := range list.Items {
				objs = append(objs, v1alpha1.Report{ObjectMeta: c.ObjectMeta, Results: c.Results, Summary: c.Summary})
			}
			if opts.Continue = list.Continue; opts.Continue == "" {
				break
			}
		}
	}
	byNode := fromReports(objs)
	if len(byNode) == 0 {
		where := "namespace " + ns
		if o.allNamespaces {
			where = "the cluster"
		}
		fmt.Fprintf(s.Err, "no rtaudit Reports in %s (is the agent deployed?)\n", report.Inert(where))
		return ExitClean, nil
	}
	for i, r := range byNode {
		if o.output == "json" {
			err = report.JSON(s.Out, r)
		} else {
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			err = report.Table(s.Out, r, report.TableOptions{Wide: o.output == "wide", ShowWaived: true})
		}
		if err != nil {
			return ExitError, err
		}
	}
	return ExitClean, nil
}

// fromReports turns the agent's objects back into one scan report per node
// (the rtaudit.dev/node label), sorted by node: a result is a finding (an
// error result a container not audited); info findings were never written.
func fromReports(objs []v1alpha1.Report) []*scan.Report {
	nodes := map[string]*scan.Report{}
	seen := map[string]bool{} // container IDs
	count := map[string]int{}
	for _, obj := range objs {
		node := obj.Labels[reports.LabelNode]
		r := nodes[node]
		if r == nil {
			r = &scan.Report{APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: node,
				Containers: []scan.ContainerSummary{}, Findings: []checks.Finding{}}
			nodes[node] = r
		}
		count[node]++
		for _, res := range obj.Results {
			f := finding(obj, res)
			if res.Result == "error" {
				r.Errors = append(r.Errors, scan.ContainerError{
					ContainerRef: scan.ContainerRef{ID: f.ContainerID, Namespace: f.Namespace, Pod: f.Pod, Container: f.Container},
					Error:        res.Description})
				continue
			}
			r.Findings = append(r.Findings, f)
			if id := f.ContainerID; id != "" && !seen[id] {
				seen[id] = true
				r.Containers = append(r.Containers, scan.ContainerSummary{ID: id, Namespace: f.Namespace, Pod: f.Pod, Container: f.Container})
			}
		}
	}
	var out []*scan.Report
	for node, r := range nodes {
		r.Runtime = scan.RuntimeInfo{Name: "from", Version: strconv.Itoa(count[node]) + " Reports"}
		checks.Sort(r.Findings)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *scan.Report) int { return cmp.Compare(a.Node, b.Node) })
	return out
}

// finding reads one result as the agent wrote it (agent/reports).
func finding(obj v1alpha1.Report, res v1alpha1.ReportResult) checks.Finding {
	p := res.Properties
	f := checks.Finding{
		Check: checks.ID(res.Rule), Severity: checks.Severity(res.Severity), Layer: checks.Layer(p["layer"]),
		Namespace: obj.Namespace, Container: p["container"], ContainerID: p["containerID"],
		Field: p["field"], Expected: p["expected"], Actual: p["actual"], Message: res.Description, Waiver: p["waiver"],
	}
	f.PID, _ = strconv.Atoi(p["pid"])
	if ns, ok := p["namespace"]; ok {
		f.Namespace = ns
	}
	f.Pod = p["pod"]
	if f.Pod == "" {
		f.Pod = podOf(obj, res.Subjects)
	}
	return f
}

// podOf names the pod a pod report's result is about.
func podOf(obj v1alpha1.Report, subjects []corev1.ObjectReference) string {
	for _, s := range subjects {
		if s.Kind == "Pod" {
			return s.Name
		}
	}
	if obj.Scope != nil && obj.Scope.Kind == "Pod" {
		return obj.Scope.Name
	}
	return ""
}
