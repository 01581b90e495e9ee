package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/rtaudit/rtaudit/agent/internal/cmdline"
)

// Exit codes: a contract for scripts.
const (
	ExitClean    = 0 // no finding at or above --fail-on
	ExitFindings = 1 // a finding at or above --fail-on
	ExitError    = 2 // usage error or the scan could not run
)

// Streams are the command's standard streams.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// usageError marks an error the user made in the command line.
type usageError = cmdline.UsageError

var usagef = cmdline.Usagef

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, s Streams) (int, error)
}

func commands() []command {
	return []command{
		{"scan", "audit the containers of this node", runOptions("scan", func() options { return &scanOptions{} })},
		{"agent", "audit continuously: the DaemonSet mode (metrics, Reports)", runOptions("agent", func() options { return &agentOptions{} })},
		{"cri-filter", "serve the runtime's read-only calls to the agent (its own container in the DaemonSet)", runOptions("cri-filter", func() options { return &criFilterOptions{} })},
		{"explain", "one container's fields at every layer, and where they first drift", runExplain},
		{"checks", "list the checks with their rationale", runChecks},
		{"version", "print the version", runVersion},
		{"completion", "print a shell completion script: bash, zsh or fish", runCompletion},
	}
}

// Main runs the command line and returns the process exit code.
func Main(args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
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
		code, err := c.run(ctx, args[1:], s)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return ExitClean
		case err != nil:
			fmt.Fprintf(s.Err, "rtaudit %s: %v\n", c.name, err)
			return ExitError
		}
		return code
	}
	fmt.Fprintf(s.Err, "rtaudit: unknown command %q (try: rtaudit help)\n", args[0])
	return ExitError
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "rtaudit: audit what the kernel enforces against what the pods declare.")
	fmt.Fprintln(w, "\nUsage: rtaudit COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'rtaudit COMMAND -h' for the flags of a command.")
}

// options are a command's flags: added to a flag set, validated, run.
type options interface {
	AddFlags(fs *flag.FlagSet)
	Validate() error
	Run(ctx context.Context, s Streams) (int, error)
}

// runOptions runs a command whose flags are the options fresh makes.
func runOptions(name string, fresh func() options) func(context.Context, []string, Streams) (int, error) {
	return func(ctx context.Context, args []string, s Streams) (int, error) {
		o := fresh()
		fs := flag.NewFlagSet(name, flag.ContinueOnError)
		o.AddFlags(fs)
		if err := parse(fs, args, s); err != nil {
			return ExitError, err
		}
		if err := o.Validate(); err != nil {
			return ExitError, err
		}
		return o.Run(ctx, s)
	}
}

// parse parses flags and turns flag errors into one-line usage errors.
func parse(fs *flag.FlagSet, args []string, s Streams) error {
	rest, err := parseInterspersed(fs, args, s, "")
	if err == nil && len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	return err
}
