package plugin

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// nodeOptions are `kubectl rtaudit node NODE`: rtaudit scan on that node.
type nodeOptions struct {
	podRunFlags
	node   string
	failOn string
	// started hears the pod's name (tests).
	started func(string)
}

func (o *nodeOptions) AddFlags(fs *flag.FlagSet) {
	o.podRunFlags.AddFlags(fs)
	fs.StringVar(&o.failOn, "fail-on", "", "exit 1 when a finding no waiver accepts is at or above this severity")
}

func (o *nodeOptions) Complete(args []string) error {
	if len(args) != 1 {
		return usagef("want one NODE argument, got %d", len(args))
	}
	o.node = args[0]
	return nil
}

func (o *nodeOptions) Validate() error {
	switch o.failOn {
	case "", "critical", "high", "medium", "low", "info":
	default:
		return usagef("--fail-on %q: want critical, high, medium, low or info", o.failOn)
	}
	return o.validate("table", "wide", "json", "sarif")
}

func (o *nodeOptions) Run(ctx context.Context, s Streams) (int, error) {
	cs, cfg, _, err := o.clientset()
	if err != nil {
		return ExitError, err
	}
	args := []string{"scan", "-o", o.output, "--no-color"}
	if o.failOn != "" {
		args = append(args, "--fail-on", o.failOn)
	}
	return o.runOn(ctx, cs, cfg, o.node, args, s, o.started)
}

// runOn runs rtaudit with args on node, in the plugin's pod.
func (p *podRunFlags) runOn(ctx context.Context, cs kube.Interface, cfg *rest.Config, node string, args []string, s Streams, started func(string)) (int, error) {
	if strings.ContainsAny(node, "/ ") || node == "" {
		return ExitError, usagef("node %q: not a node name", node)
	}
	po := PodOptions{Node: node, Image: p.image, Args: args, CRISocket: p.criSocket, HostNetwork: p.hostNetwork}
	if p.hostNetwork {
		var err error
		if po.APIHost, po.APIPort, err = apiAddress(cfg); err != nil {
			return ExitError, err
		}
	}
	pod, err := Pod(po)
	if err != nil {
		return ExitError, err
	}
	if _, err := cs.Nodes().Get(ctx, node, getOpts); err != nil {
		return ExitError, fmt.Errorf("node %s: %w", node, err)
	}
	return runPod(ctx, cs, pod, p.timeout, s.Out, s.Err, started)
}
