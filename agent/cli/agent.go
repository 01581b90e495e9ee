package cli

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/daemon"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/reports"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// agentOptions are the flags of `rtaudit agent`.
type agentOptions struct {
	nodeOptions
	noAPI             bool
	resync            time.Duration
	reports           string
	metricsAddr       string
	podLabels, events bool
	waivers           string
	logLevel          string
	netpols, atRest   bool
	tokens            tokenFlags
}

func (o *agentOptions) AddFlags(fs *flag.FlagSet) {
	o.nodeOptions.AddFlags(fs)
	fs.BoolVar(&o.noAPI, "no-api", false, "CRI-only mode: no Kubernetes API, every container judged against its own CRI config")
	fs.DurationVar(&o.resync, "resync", time.Minute, "audit every container again this often (processes started later)")
	fs.StringVar(&o.reports, "reports", "auto", "Reports in the cluster: auto, openreports, wgpolicy or none")
	fs.StringVar(&o.metricsAddr, "metrics-addr", ":9808", "address of /metrics, /healthz and /readyz")
	fs.BoolVar(&o.podLabels, "metrics-pod-labels", false, "per-container metric series (namespace, pod, container labels: cardinality grows with pods)")
	fs.BoolVar(&o.events, "events", false, "post a Kubernetes Event on the pod for each new critical finding")
	fs.StringVar(&o.waivers, "waivers", "", "a file of Waiver/ClusterWaiver objects, besides those in the API")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error (JSON lines on stderr)")
	fs.BoolVar(&o.netpols, "network-policies", false, "watch NetworkPolicies (needs list and watch on networkpolicies) and judge network-policy: pods isolated by a policy that no agent on the node enforces")
	o.tokens.AddFlags(fs)
	fs.BoolVar(&o.atRest, "encryption-at-rest", false, "control-plane node: judge the kube-apiserver's encryption of secrets at rest (its --encryption-provider-config; no etcd read)")
}

func (o *agentOptions) Validate() error {
	if _, err := reports.ParseMode(o.reports); err != nil {
		return usagef("--reports: %v", err)
	}
	if o.resync < time.Second {
		return usagef("--resync must be at least 1s")
	}
	if err := o.nodeOptions.Validate(); err != nil {
		return err
	}
	if err := o.tokens.Validate(); err != nil {
		return err
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(o.logLevel)); err != nil {
		return usagef("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	if o.noAPI && (o.kubeconfig != "" || o.kubeContext != "") {
		return usagef("--no-api and --kubeconfig are exclusive")
	}
	return nil
}

func (o *agentOptions) Run(ctx context.Context, s Streams) (int, error) {
	var level slog.Level
	_ = level.UnmarshalText([]byte(o.logLevel))
	log := slog.New(slog.NewJSONHandler(s.Err, &slog.HandlerOptions{Level: level}))
	do := daemon.Options{
		Resync: o.resync, MetricsAddr: o.metricsAddr, PodLabels: o.podLabels, Events: o.events,
		Reports: reports.Mode(o.reports), Version: version(), Logger: log,
	}
	if o.waivers != "" {
		ws, err := waiver.Load(o.waivers)
		if err != nil {
			return ExitError, usagef("--waivers: %v", err)
		}
		do.Waivers = ws
	}
	do.Scan = o.scanOptions()
	do.NetworkPolicies = o.netpols
	o.tokens.apply(&do)
	do.Scan.Encryption.Judge = o.atRest
	if !o.noAPI {
		cfg, err := o.restConfig()
		if err != nil {
			log.Warn("no Kubernetes API configuration: CRI-only mode", "err", err)
		}
		do.Kube = cfg
	}
	if err := daemon.Run(ctx, do); err != nil {
		return ExitError, err
	}
	return ExitClean, nil
}

// restConfig is the in-cluster config, else the kubeconfig the flags name;
// nil when neither exists.
func (o *agentOptions) restConfig() (*rest.Config, error) {
	return declared.RESTConfig(o.kubeAPI())
}
