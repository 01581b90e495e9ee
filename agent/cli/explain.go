package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/agent/internal/cmdline"
	"github.com/rtaudit/rtaudit/agent/report"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// explainOptions are the flags and the argument of `rtaudit explain
// NAMESPACE/POD[/CONTAINER]`: one container, every field that matters, at
// every layer.
type explainOptions struct {
	nodeOptions
	podFlags
	pods, output, waivers string
	all, noColor, verbose bool
	// namespace, pod and container are the argument; container may be
	// empty when the pod has one.
	namespace, pod, container string
}

func (o *explainOptions) AddFlags(fs *flag.FlagSet) {
	o.nodeOptions.AddFlags(fs)
	o.podFlags.AddFlags(fs)
	fs.StringVar(&o.pods, "pods", "", "declared pods: a manifest file, a directory of them, or - for stdin (Pod, PodList, List; YAML or JSON)")
	fs.StringVar(&o.output, "o", "table", "output: table or json")
	fs.StringVar(&o.waivers, "waivers", "", "a file of Waiver and ClusterWaiver objects: waived findings are marked")
	fs.BoolVar(&o.all, "all", false, "also consider exited containers")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours, even on a terminal (also: NO_COLOR set)")
	fs.BoolVar(&o.verbose, "v", false, "log debug lines to stderr")
}

// setArg reads NAMESPACE/POD[/CONTAINER].
func (o *explainOptions) setArg(args []string) error {
	if len(args) != 1 {
		return usagef("want one NAMESPACE/POD[/CONTAINER] argument, got %d", len(args))
	}
	parts := strings.Split(args[0], "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return usagef("%q: want NAMESPACE/POD or NAMESPACE/POD/CONTAINER", args[0])
	}
	o.namespace, o.pod = parts[0], parts[1]
	if len(parts) == 3 {
		o.container = parts[2]
	}
	return nil
}

func (o *explainOptions) Validate() error {
	if o.output != "table" && o.output != "json" {
		return usagef("-o %q: want table or json", o.output)
	}
	if o.pods != "" && (o.kubeconfig != "" || o.kubeContext != "" || o.inCluster) {
		return usagef("--pods and --kubeconfig are exclusive: pick one declared source")
	}
	return o.nodeOptions.Validate()
}

// runExplain parses flags anywhere around the one argument.
func runExplain(ctx context.Context, args []string, s Streams) (int, error) {
	o := &explainOptions{}
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	o.AddFlags(fs)
	rest, err := parseInterspersed(fs, args, s, "NAMESPACE/POD[/CONTAINER]")
	if err != nil {
		return ExitError, err
	}
	if err := o.setArg(rest); err != nil {
		return ExitError, err
	}
	if err := o.Validate(); err != nil {
		return ExitError, err
	}
	return o.Run(ctx, s)
}

// parseInterspersed parses flags before and after positional arguments
// and returns the positional ones; -h prints the usage to s.Err.
func parseInterspersed(fs *flag.FlagSet, args []string, s Streams, argsUsage string) ([]string, error) {
	rest, err := cmdline.Parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		cmdline.PrintUsage(s.Err, strings.TrimSpace("rtaudit "+fs.Name()+" [flags] "+argsUsage), fs)
	}
	return rest, err
}

func (o *explainOptions) Run(ctx context.Context, s Streams) (int, error) {
	so, ws, _, err := scanInputs{node: o.nodeOptions, pod: o.podFlags, pods: o.pods, waivers: o.waivers, verbose: o.verbose, all: o.all,
		filter: scan.Filter{Namespace: o.namespace, Pod: o.pod, Container: o.container}}.prepare(ctx, s)
	if err != nil {
		return ExitError, err
	}
	scanner, err := scan.New(ctx, so) // opens the proc root as a live proc filesystem
	if err != nil {
		return ExitError, err
	}
	defer scanner.Close()

	// The findings and the facts they were made from: one scan of this
	// pod (or container) only.
	r, facts, err := scanner.Explain(ctx, so.Filter)
	if err != nil {
		return ExitError, err
	}
	if len(ws) > 0 {
		waiver.Apply(r, ws, podLabels(so.Declared, r), time.Now())
	}
	target, err := o.pick(r)
	if err != nil {
		return ExitError, err
	}
	fc, ok := facts[target.ID]
	if !ok { // every audited container has its facts
		return ExitError, fmt.Errorf("no facts for container %s", report.Inert(short(target.ID)))
	}
	e := explanation(fc.Subject, fc.Pod, r, target)
	if o.output == "json" {
		err = report.ExplainJSON(s.Out, e)
	} else {
		err = report.Explain(s.Out, e, report.ExplainOptions{Color: useColor(s.Out, o.noColor, os.Getenv)})
	}
	if err != nil {
		return ExitError, err
	}
	return ExitClean, nil
}

// pick finds the container to explain among those the filtered scan
// audited: the one named, else the pod's only one. A pod with several
// (and no container named) is a usage error that lists them.
func (o *explainOptions) pick(r *scan.Report) (scan.ContainerSummary, error) {
	ref := o.namespace + "/" + o.pod
	var found []scan.ContainerSummary
	var names []string
	for _, c := range r.Containers {
		if c.Namespace != o.namespace || c.Pod != o.pod || (o.container != "" && c.Container != o.container) {
			continue
		}
		found = append(found, c)
		if !slices.Contains(names, c.Container) {
			names = append(names, c.Container)
		}
	}
	switch {
	case len(names) == 1:
		// The same name twice is a restarted container (--all): the
		// running one, else the first listed.
		for _, c := range found {
			if c.State == "running" {
				return c, nil
			}
		}
		return found[0], nil
	case len(names) > 1:
		slices.Sort(names)
		for i, n := range names {
			names[i] = report.Inert(n)
		}
		return scan.ContainerSummary{}, usagef("pod %s has %d containers (%s): name one, e.g. rtaudit explain %s/%s",
			report.Inert(ref), len(names), strings.Join(names, ", "), report.Inert(ref), names[0])
	}
	for _, e := range r.Errors {
		if e.Namespace == o.namespace && e.Pod == o.pod && (o.container == "" || e.Container == o.container) {
			return scan.ContainerSummary{}, fmt.Errorf("%s/%s could not be audited: %s", report.Inert(ref), report.Inert(e.Container), report.Inert(e.Error))
		}
	}
	for _, g := range r.Gone {
		if g.Namespace == o.namespace && g.Pod == o.pod && (o.container == "" || g.Container == o.container) {
			return scan.ContainerSummary{}, fmt.Errorf("%s/%s exited during the scan", report.Inert(ref), report.Inert(g.Container))
		}
	}
	what := "pod " + ref
	if o.container != "" {
		what = "container " + ref + "/" + o.container
	}
	hint := ""
	if !o.all {
		hint = " (--all includes exited containers)"
	}
	return scan.ContainerSummary{}, fmt.Errorf("no %s on this node%s", report.Inert(what), hint)
}
