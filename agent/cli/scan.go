package cli

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// scanOptions are the flags of `rtaudit scan`.
type scanOptions struct {
	nodeOptions
	podFlags
	pods                      string
	output                    string
	failOn                    string
	showInfo, all             bool
	namespace, pod, container string
	verbose                   bool
	waivers                   string
	showWaived                bool
	noColor                   bool
	// position locates declared containers in the manifests, for SARIF.
	position func(ns, pod, ctr string) (string, int, bool)
	netpol   netpolFlags
	atRest   atRestFlags
}

func (o *scanOptions) AddFlags(fs *flag.FlagSet) {
	o.nodeOptions.AddFlags(fs)
	o.podFlags.AddFlags(fs)
	fs.StringVar(&o.pods, "pods", "", "declared pods: a manifest file, a directory of them, or - for stdin (Pod, PodList, List; YAML or JSON)")
	fs.StringVar(&o.output, "o", "table", "output: table, wide, json or sarif (SARIF 2.1.0)")
	fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding no waiver accepts is at or above this severity (critical, high, medium, low, info)")
	fs.BoolVar(&o.showInfo, "show-info", false, "show info findings (drift toward less privilege)")
	fs.BoolVar(&o.all, "all", false, "also audit exited containers (their CRI and OCI layers)")
	fs.StringVar(&o.namespace, "namespace", "", "only pods of this namespace")
	fs.StringVar(&o.pod, "pod", "", "only this pod")
	fs.StringVar(&o.container, "container", "", "only containers of this name")
	fs.BoolVar(&o.verbose, "v", false, "log debug lines to stderr")
	fs.StringVar(&o.waivers, "waivers", "", "a file of Waiver and ClusterWaiver objects (YAML or JSON) accepting known findings: they stay in the report, marked, and --fail-on ignores them")
	fs.BoolVar(&o.showWaived, "show-waived", false, "show waived findings in the table, with their waiver (JSON always has them)")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours in the table, even on a terminal (also: NO_COLOR set)")
	o.netpol.AddFlags(fs)
	o.atRest.AddFlags(fs)
}

func (o *scanOptions) Validate() error {
	switch o.output {
	case "table", "wide", "json", "sarif":
	default:
		return usagef("-o %q: want table, wide, json or sarif", o.output)
	}
	if o.failOn != "" && !checks.Severity(o.failOn).Valid() {
		return usagef("--fail-on %q: want critical, high, medium, low or info", o.failOn)
	}
	if o.pods != "" && (o.kubeconfig != "" || o.kubeContext != "" || o.inCluster) {
		return usagef("--pods and --kubeconfig are exclusive: pick one declared source")
	}
	return o.nodeOptions.Validate()
}

func (o *scanOptions) Run(ctx context.Context, s Streams) (int, error) {
	so, ws, _, err := scanInputs{node: o.nodeOptions, pod: o.podFlags, pods: o.pods, waivers: o.waivers, verbose: o.verbose, all: o.all,
		filter: scan.Filter{Namespace: o.namespace, Pod: o.pod, Container: o.container}}.prepare(ctx, s)
	if err != nil {
		return ExitError, err
	}
	var api *declared.KubeAPIOptions
	if o.pods == "" && (o.kubeconfig != "" || o.kubeContext != "") {
		a := o.kubeAPI()
		api = &a
	}
	var note string
	so.Network, note = o.netpol.networkOptions(ctx, o.pods, so.Declared, api)
	so.Encryption = o.atRest.options()
	r, err := scan.Run(ctx, so)
	if err != nil {
		return ExitError, err
	}
	o.position = manifestPositions(so.Declared)
	if note != "" {
		r.Notes = append(r.Notes, note)
	}
	if len(ws) > 0 {
		waiver.Apply(r, ws, podLabels(so.Declared, r), time.Now())
	}
	return o.finish(r, s)
}

// finish writes the report and returns the exit code. Waived findings do
// not count toward --fail-on: the operator accepted them.
func (o *scanOptions) finish(r *scan.Report, s Streams) (int, error) {
	var err error
	switch o.output {
	case "json":
		err = report.JSON(s.Out, r)
	case "sarif":
		err = report.SARIF(s.Out, r, report.SARIFOptions{ToolVersion: version(), Manifest: o.pods, ManifestFile: isFile(o.pods), Position: o.position})
	default:
		err = report.Table(s.Out, r, report.TableOptions{
			ShowInfo: o.showInfo, Wide: o.output == "wide", ShowWaived: o.showWaived,
			Color: useColor(s.Out, o.noColor, os.Getenv),
		})
	}
	if err != nil {
		return ExitError, err
	}
	if len(r.Errors) > 0 {
		return ExitError, errIncomplete(len(r.Errors))
	}
	if o.failOn != "" && r.Count(checks.Severity(o.failOn)) > 0 {
		return ExitFindings, nil
	}
	return ExitClean, nil
}

// isFile says whether path names a regular file (a --pods manifest that
// SARIF can point at), not a directory or stdin.
func isFile(path string) bool {
	if path == "" || path == "-" {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// podLabels gives waiver.Apply the labels of the pods the declared source
// knows, looked up as the scan looked up their specs (by UID, else by
// namespace and name), so they are the labels of the pod that was judged.
// Without a source (the CRI config is the declaration) labels are unknown
// and only waivers without a podSelector can match.
func podLabels(src declared.Source, r *scan.Report) func(namespace, pod string) (map[string]string, bool) {
	if src == nil {
		return nil
	}
	uids := map[[2]string]string{}
	for _, c := range r.Containers {
		uids[[2]string{c.Namespace, c.Pod}] = c.PodUID
	}
	return func(namespace, pod string) (map[string]string, bool) {
		p, ok := src.Lookup(uids[[2]string{namespace, pod}], namespace, pod)
		if !ok || p == nil {
			return nil, false
		}
		return p.Labels, true
	}
}

// source opens the declared source the flags name; nil means "cri".
func (o *scanOptions) source(ctx context.Context, s Streams) (declared.Source, error) {
	switch {
	case o.pods != "":
		return declared.LoadManifests(o.pods, s.In, declared.NodeName(o.node))
	case o.kubeconfig != "" || o.kubeContext != "" || o.inCluster:
		return declared.LoadKubeAPI(ctx, o.kubeAPI())
	}
	return nil, nil
}
