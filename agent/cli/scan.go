package cli

import (
	"context"
	"flag"
	"log/slog"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// scanOptions are the flags of `rtaudit scan`.
type scanOptions struct {
	endpoint, hostRoot, procRoot string
	timeout                      time.Duration
	pods                         string
	kubeconfig, kubeContext      string
	node                         string
	output                       string
	failOn                       string
	showInfo, all                bool
	namespace, pod, container    string
	defaultCaps                  string
	seccompDefault               bool
	verbose                      bool
}

func (o *scanOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.endpoint, "runtime-endpoint", "", "CRI endpoint, e.g. unix:///run/containerd/containerd.sock (default: try containerd's and CRI-O's sockets)")
	fs.StringVar(&o.hostRoot, "host-root", "", "where the host's root is mounted, for the runtime socket (the DaemonSet uses /host)")
	fs.StringVar(&o.procRoot, "proc-root", "/proc", "the host's proc filesystem")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of each CRI call")
	fs.StringVar(&o.pods, "pods", "", "declared pods: a manifest file, a directory of them, or - for stdin (Pod, PodList, List; YAML or JSON)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "declared pods from the API server of this kubeconfig (in-cluster config when running in a pod)")
	fs.StringVar(&o.kubeContext, "context", "", "kubeconfig context")
	fs.StringVar(&o.node, "node-name", "", "this node's name in the cluster (default: $NODE_NAME, else the host name)")
	fs.StringVar(&o.output, "o", "table", "output: table, wide or json")
	fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding is at or above this severity (critical, high, medium, low, info)")
	fs.BoolVar(&o.showInfo, "show-info", false, "show info findings (drift toward less privilege)")
	fs.BoolVar(&o.all, "all", false, "also audit exited containers (their CRI and OCI layers)")
	fs.StringVar(&o.namespace, "namespace", "", "only pods of this namespace")
	fs.StringVar(&o.pod, "pod", "", "only this pod")
	fs.StringVar(&o.container, "container", "", "only containers of this name")
	fs.StringVar(&o.defaultCaps, "default-capabilities", "", "comma-separated capability set the runtime grants by default, for a deliberately customised runtime (default: the runtime's documented set)")
	fs.BoolVar(&o.seccompDefault, "seccomp-default", false, "the kubelet runs with seccompDefault: true (unset seccomp means RuntimeDefault)")
	fs.BoolVar(&o.verbose, "v", false, "log debug lines to stderr")
}

func (o *scanOptions) Validate() error {
	switch o.output {
	case "table", "wide", "json":
	default:
		return usagef("-o %q: want table, wide or json", o.output)
	}
	if o.failOn != "" && !checks.Severity(o.failOn).Valid() {
		return usagef("--fail-on %q: want critical, high, medium, low or info", o.failOn)
	}
	if o.pods != "" && (o.kubeconfig != "" || o.kubeContext != "") {
		return usagef("--pods and --kubeconfig are exclusive: pick one declared source")
	}
	if o.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	return nil
}

func (o *scanOptions) Run(ctx context.Context, s Streams) (int, error) {
	level := slog.LevelWarn
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
	so := scan.Options{
		ProcRoot: o.procRoot, All: o.all, SeccompDefault: o.seccompDefault, Node: o.node, Logger: log,
		Filter: scan.Filter{Namespace: o.namespace, Pod: o.pod, Container: o.container},
	}
	so.Runtime.Endpoint, so.Runtime.HostRoot, so.Runtime.Timeout = o.endpoint, o.hostRoot, o.timeout
	if o.defaultCaps != "" {
		so.Capabilities = strings.Split(o.defaultCaps, ",")
	}
	var err error
	if so.Declared, err = o.source(ctx, s); err != nil {
		return ExitError, err
	}
	r, err := scan.Run(ctx, so)
	if err != nil {
		return ExitError, err
	}
	switch o.output {
	case "json":
		err = report.JSON(s.Out, r)
	default:
		err = report.Table(s.Out, r, report.TableOptions{ShowInfo: o.showInfo, Wide: o.output == "wide"})
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

// source opens the declared source the flags name; nil means "cri".
func (o *scanOptions) source(ctx context.Context, s Streams) (declared.Source, error) {
	switch {
	case o.pods != "":
		return declared.LoadManifests(o.pods, s.In)
	case o.kubeconfig != "" || o.kubeContext != "":
		return declared.LoadKubeAPI(ctx, declared.KubeAPIOptions{Kubeconfig: o.kubeconfig, Context: o.kubeContext, Node: declared.NodeName(o.node)})
	}
	return nil, nil
}

func runScan(ctx context.Context, args []string, s Streams) (int, error) {
	var o scanOptions
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	o.AddFlags(fs)
	if err := parse(fs, args, s); err != nil {
		return ExitError, err
	}
	if err := o.Validate(); err != nil {
		return ExitError, err
	}
	return o.Run(ctx, s)
}
