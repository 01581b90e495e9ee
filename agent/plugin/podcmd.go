package plugin

import (
	"context"
	"flag"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var getOpts = metav1.GetOptions{}

// podOptions are `kubectl rtaudit pod [NAMESPACE/]POD [CONTAINER]`:
// rtaudit explain on the pod's node.
type podOptions struct {
	podRunFlags
	namespace, pod, container string
	started                   func(string)
}

func (o *podOptions) AddFlags(fs *flag.FlagSet) {
	o.podRunFlags.AddFlags(fs)
	fs.StringVar(&o.container, "container", "", "the container (default: the pod's only one)")
	fs.StringVar(&o.container, "c", "", "short for --container")
}

func (o *podOptions) Complete(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return usagef("want [NAMESPACE/]POD [CONTAINER], got %d arguments", len(args))
	}
	ref := args[0]
	if ns, name, ok := strings.Cut(ref, "/"); ok {
		if ns == "" {
			return usagef("%q: want [NAMESPACE/]POD", args[0])
		}
		o.namespace, ref = ns, name
	}
	o.pod = ref
	if len(args) == 2 {
		if o.container != "" && o.container != args[1] {
			return usagef("container %q and -c %q differ", args[1], o.container)
		}
		o.container = args[1]
	}
	return nil
}

func (o *podOptions) Validate() error {
	if o.pod == "" || strings.Contains(o.pod, "/") {
		return usagef("want [NAMESPACE/]POD")
	}
	if o.namespace != "" && o.kubeFlags.namespace != "" && o.namespace != o.kubeFlags.namespace {
		return usagef("namespace %q and -n %q differ", o.namespace, o.kubeFlags.namespace)
	}
	return o.validate("table", "json")
}

func (o *podOptions) Run(ctx context.Context, s Streams) (int, error) {
	cs, cfg, ns, err := o.clientset()
	if err != nil {
		return ExitError, err
	}
	if o.namespace != "" {
		ns = o.namespace
	}
	target, err := cs.Pods(ns).Get(ctx, o.pod, getOpts)
	if err != nil {
		return ExitError, fmt.Errorf("pod %s/%s: %w", ns, o.pod, err)
	}
	if target.Spec.NodeName == "" {
		return ExitError, fmt.Errorf("pod %s/%s is not scheduled on a node yet", ns, o.pod)
	}
	ref := ns + "/" + o.pod
	if o.container != "" {
		ref += "/" + o.container
	}
	return o.runOn(ctx, cs, cfg, target.Spec.NodeName, []string{"explain", ref, "-o", o.output, "--no-color"}, s, o.started)
}
