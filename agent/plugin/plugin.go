package plugin

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rtaudit/rtaudit/agent/internal/cmdline"
	"github.com/rtaudit/rtaudit/agent/internal/completion"
	"github.com/rtaudit/rtaudit/agent/internal/kube"
)

// Exit codes, as rtaudit's: a node or pod run passes on rtaudit's own.
const (
	ExitClean       = 0
	ExitFindings    = 1
	ExitError       = 2
	ExitInterrupted = 130 // SIGINT or SIGTERM: the pod was deleted
)

// Streams are the command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

var usagef = cmdline.Usagef

// errInterrupted ends a run cut short by a signal.
var errInterrupted = errors.New("interrupted")

// options are one command's flags and arguments.
type options interface {
	AddFlags(fs *flag.FlagSet)
	// Complete takes the positional arguments and fills in defaults.
	Complete(args []string) error
	Validate() error
	Run(ctx context.Context, s Streams) (int, error)
}

type command struct {
	name, args, summary string
	fresh               func() options
	values              map[string][]string // flag values, for completion
}

func commands() []command {
	return []command{
		{"node", "NODE", "run rtaudit scan on a node, in a short-lived least-privilege pod", func() options { return &nodeOptions{} },
			map[string][]string{"o": {"table", "wide", "json", "sarif"}}},
		{"pod", "[NAMESPACE/]POD [CONTAINER]", "run rtaudit explain on the pod's node: one container at every layer", func() options { return &podOptions{} },
			map[string][]string{"o": {"table", "json"}}},
		{"report", "", "print the agent's Reports like rtaudit scan", func() options { return &reportOptions{} },
			map[string][]string{"o": {"table", "wide", "json"}}},
		{"completion", "bash|zsh|fish", "print a shell completion script", func() options { return &completionOptions{} }, nil},
	}
}

// Main runs kubectl-rtaudit and returns the exit code. SIGINT and SIGTERM
// cancel the run; a pod it started is deleted before it returns.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return run(ctx, args, s)
}

func run(ctx context.Context, args []string, s Streams) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(s.Err)
		if len(args) == 0 {
			return ExitError
		}
		return ExitClean
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		code, err := runCommand(ctx, c, args[1:], s)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return ExitClean
		case errors.Is(err, errInterrupted):
			fmt.Fprintf(s.Err, "kubectl rtaudit %s: %v\n", c.name, err)
			return ExitInterrupted
		case err != nil:
			fmt.Fprintf(s.Err, "kubectl rtaudit %s: %v\n", c.name, err)
			return ExitError
		}
		return code
	}
	fmt.Fprintf(s.Err, "kubectl rtaudit: unknown command %q (try: kubectl rtaudit help)\n", args[0])
	return ExitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "kubectl rtaudit: rtaudit from kubectl — what the kernel enforces against what the pods declare.")
	fmt.Fprintln(w, "\nUsage: kubectl rtaudit COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %-28s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kubectl rtaudit COMMAND -h' for the flags of a command.")
}

func runCommand(ctx context.Context, c command, args []string, s Streams) (int, error) {
	o := c.fresh()
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	o.AddFlags(fs)
	rest, err := cmdline.Parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		cmdline.PrintUsage(s.Err, "kubectl rtaudit "+c.name+" [flags] "+c.args, fs)
		return ExitClean, err
	}
	if err != nil {
		return ExitError, err
	}
	if err := o.Complete(rest); err != nil {
		return ExitError, err
	}
	if err := o.Validate(); err != nil {
		return ExitError, err
	}
	if co, ok := o.(*completionOptions); ok {
		co.cmds = completionCommands()
	}
	return o.Run(ctx, s)
}

// kubeFlags are kubectl's habits: --kubeconfig, --context and
// --namespace/-n.
type kubeFlags struct {
	kubeconfig, context, namespace string
}

func (k *kubeFlags) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&k.kubeconfig, "kubeconfig", "", "path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)")
	fs.StringVar(&k.context, "context", "", "the kubeconfig context to use")
	fs.StringVar(&k.namespace, "namespace", "", "the namespace (default: the context's)")
	fs.StringVar(&k.namespace, "n", "", "short for --namespace")
}

// clients loads the kubeconfig the flags name and returns its REST config
// and the namespace the context (or -n) selects.
func (k *kubeFlags) clients() (*rest.Config, string, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = k.kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: k.context}
	overrides.Context.Namespace = k.namespace
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "kubectl-rtaudit"
	return cfg, ns, nil
}

func (k *kubeFlags) clientset() (kube.Interface, *rest.Config, string, error) {
	cfg, ns, err := k.clients()
	if err != nil {
		return nil, nil, "", err
	}
	cs, err := kube.NewForConfig(cfg)
	if err != nil {
		return nil, nil, "", fmt.Errorf("kubeconfig: %w", err)
	}
	return cs, cfg, ns, nil
}

// completionCommands describe the commands for completion scripts.
func completionCommands() []completion.Command {
	var out []completion.Command
	for _, c := range commands() {
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.fresh().AddFlags(fs)
		cc := completion.Command{Name: c.name, Summary: c.summary, Flags: completion.FlagsOf(fs), Values: c.values}
		if c.name == "completion" {
			cc.Flags = nil
		}
		out = append(out, cc)
	}
	return out
}

// completionOptions are `kubectl rtaudit completion SHELL`.
type completionOptions struct {
	shell string
	cmds  []completion.Command
}

func (o *completionOptions) AddFlags(*flag.FlagSet) {}

func (o *completionOptions) Complete(args []string) error {
	if len(args) != 1 {
		return usagef("want one shell: %s", strings.Join(completion.Shells, ", "))
	}
	o.shell = args[0]
	return nil
}

func (o *completionOptions) Validate() error {
	for _, s := range completion.Shells {
		if s == o.shell {
			return nil
		}
	}
	return usagef("shell %q: want %s", o.shell, strings.Join(completion.Shells, ", "))
}

func (o *completionOptions) Run(_ context.Context, s Streams) (int, error) {
	if err := completion.Write(s.Out, o.shell, "kubectl-rtaudit", o.cmds); err != nil {
		return ExitError, err
	}
	return ExitClean, nil
}

// podRunFlags are the flags of the commands that start a pod.
type podRunFlags struct {
	kubeFlags
	output, image, criSocket string
	timeout                  time.Duration
	hostNetwork              bool
}

func (p *podRunFlags) AddFlags(fs *flag.FlagSet) {
	p.kubeFlags.AddFlags(fs)
	fs.StringVar(&p.output, "o", "table", "output format")
	fs.StringVar(&p.image, "image", "", "rtaudit's image (default: the release image of deploy/)")
	fs.StringVar(&p.criSocket, "cri-socket", "", "the runtime's socket on the node (default: containerd's, /run/containerd/containerd.sock)")
	fs.DurationVar(&p.timeout, "timeout", 5*time.Minute, "give up (and delete the pod) after this long")
	fs.BoolVar(&p.hostNetwork, "host-network", false, "run the pod in the node's network and reach the API server at the kubeconfig's address (no pod network or service proxy)")
}

func (p *podRunFlags) validate(formats ...string) error {
	ok := false
	for _, f := range formats {
		ok = ok || f == p.output
	}
	if !ok {
		return usagef("-o %q: want %s", p.output, strings.Join(formats, ", "))
	}
	if p.timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	return nil
}
