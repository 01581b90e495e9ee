package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/reports"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
	"github.com/rtaudit/rtaudit/probes"
)

// Options configure the agent.
type Options struct {
	// Scan are the scan's options (runtime endpoint, proc root, node,
	// seccomp default, default capabilities). Declared and Filter are set
	// by the agent.
	Scan scan.Options
	// Kube is the API server; nil runs CRI-only (every container judged
	// against its own CRI config, declaredFrom "cri").
	Kube *rest.Config
	// Resync audits every container again this often (processes started
	// later, exec'd shells); default 60s.
	Resync time.Duration
	// Debounce groups container events arriving together into one audit;
	// default 100ms.
	Debounce time.Duration
	// PollInterval is how often a runtime that cannot stream events is
	// listed; default 500ms.
	PollInterval time.Duration
	// Listener serves /metrics, /healthz and /readyz; nil listens on
	// MetricsAddr (default ":9808").
	Listener    net.Listener
	MetricsAddr string
	// PodLabels adds per-container series (namespace, pod, container).
	PodLabels bool
	// Events posts a Kubernetes Event on the pod for each new critical
	// finding.
	Events bool
	// Reports is where reports go in the cluster: auto, openreports,
	// wgpolicy or none (default auto; nothing without Kube).
	Reports reports.Mode
	// NetworkPolicies watches the cluster's NetworkPolicies (list and
	// watch on networkpolicies) for the network-policy check.
	NetworkPolicies bool
	// UnusedTokenWindow enables the unused-token check (0 is off): pods
	// observed this long with an automounted token and no connection to
	// APIAddrs or the API host of Kube (tokens.go).
	UnusedTokenWindow time.Duration
	APIAddrs          []netip.AddrPort
	// Waivers are waivers from a file, besides those in the API.
	Waivers []waiver.Waiver
	Version string
	Logger  *slog.Logger
	// OnAudit, when set, receives every audit's report (tests).
	OnAudit func(*scan.Report)
}

// Agent is one running `rtaudit agent`.
type Agent struct {
	o       Options
	log     *slog.Logger
	fs      probes.FS
	metrics *metrics
	// last is the last audit's report: an audit of just started
	// containers is merged into it (the audit loop's only).
	last     *scan.Report
	pods     *declared.Informer       // nil in CRI-only mode
	policies *declared.PolicyInformer // nil unless Options.NetworkPolicies
	kube     kube.Interface           // nil in CRI-only mode

	ready      atomic.Bool  // the first complete audit is done
	incomplete atomic.Bool  // the last audit could not read every container
	sessions   atomic.Int64 // connections to the runtime so far
	criUp      atomic.Bool
	mu         sync.Mutex
	findings   map[findingKey]bool // the last audit's, for new/resolved logs
	events     *eventPoster
	waivers    *waivers
	reports    *reports.Writer // nil when not writing reports
	written    reports.Stats   // the writer's counters at the last audit
}

// Run audits until ctx ends (SIGTERM), and returns nil then. It returns an
// error only when it cannot start at all (a bad proc root, a port in use).
// A runtime or API that is down is waited for, never a reason to stop.
func Run(ctx context.Context, o Options) error {
	a, err := newAgent(o)
	if err != nil {
		return err
	}
	ln := o.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", o.MetricsAddr); err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() {
		if err := a.serve(ctx, ln); err != nil {
			a.log.Error("metrics server stopped", "err", err)
		}
	})
	if a.policies != nil {
		wg.Go(func() { a.policies.Run(ctx) })
	}
	if a.pods != nil {
		wg.Go(func() { a.pods.Run(ctx) })
		a.log.Info("declared specs from the Kubernetes API", "node", a.o.Scan.Node)
		if err := a.waivers.watch(ctx, o.Kube); err != nil {
			a.log.Warn("cannot watch waivers", "err", err)
		}
	} else {
		a.log.Info("no Kubernetes API: CRI-only mode, every container judged against its own CRI config (declaredFrom cri)")
	}
	a.loop(ctx)
	return nil
}

func newAgent(o Options) (*Agent, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Resync <= 0 {
		o.Resync = time.Minute
	}
	if o.Debounce <= 0 {
		o.Debounce = 100 * time.Millisecond
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = ":9808"
	}
	o.Scan.Node = declared.NodeName(o.Scan.Node)
	o.Scan.Logger, o.Scan.Runtime.Logger = o.Logger, o.Logger
	fs, err := probes.OpenLive(o.Scan.ProcRoot)
	if err != nil {
		return nil, err
	}
	a := &Agent{o: o, log: o.Logger, fs: fs, findings: map[findingKey]bool{},
		waivers: &waivers{file: o.Waivers, log: o.Logger}}
	a.metrics = newMetrics(o.Version, o.PodLabels, func() bool { return a.pods != nil && a.pods.Healthy() })
	if o.Kube != nil {
		cs, err := kube.NewForConfig(o.Kube)
		if err != nil {
			return nil, fmt.Errorf("kube-api: %w", err)
		}
		a.kube = cs
		if a.pods, err = declared.NewInformer(cs, o.Scan.Node); err != nil {
			return nil, err
		}
		if o.NetworkPolicies {
			a.policies = declared.NewPolicyInformer(cs)
			a.o.Scan.Network.Source = a.policies
		}
		if o.UnusedTokenWindow > 0 {
			a.o.Scan.Tokens = scan.TokenOptions{Window: o.UnusedTokenWindow, Observer: newTokenObserver(apiAddrs(o.Kube, o.APIAddrs), time.Now)}
		}
		if o.Events {
			a.events = newEventPoster(cs, o.Logger)
		}
		if o.Reports != reports.ModeNone {
			if a.reports, err = reports.NewWriter(o.Kube, reports.Options{Node: o.Scan.Node, Mode: o.Reports, Logger: o.Logger}); err != nil {
				return nil, err
			}
		}
	}
	return a, nil
}

// notReady says why /readyz fails, "" when ready.
func (a *Agent) notReady() string {
	switch {
	case !a.criUp.Load():
		return "the container runtime is unreachable"
	case !a.ready.Load():
		return "the first audit has not completed"
	}
	return ""
}
