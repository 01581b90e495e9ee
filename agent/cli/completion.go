package cli

import (
	"context"
	"flag"
	"io"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/internal/completion"
)

// runCompletion prints `rtaudit completion bash|zsh|fish`.
func runCompletion(_ context.Context, args []string, s Streams) (int, error) {
	if len(args) != 1 || !slices.Contains(completion.Shells, args[0]) {
		return ExitError, usagef("want one shell: %s", strings.Join(completion.Shells, ", "))
	}
	if err := completion.Write(s.Out, args[0], "rtaudit", completionCommands()); err != nil {
		return ExitError, err
	}
	return ExitClean, nil
}

// completionCommands describe rtaudit's commands and flags.
func completionCommands() []completion.Command {
	flagsOf := map[string]func(*flag.FlagSet){
		"scan":       (&scanOptions{}).AddFlags,
		"agent":      (&agentOptions{}).AddFlags,
		"cri-filter": (&criFilterOptions{}).AddFlags,
		"explain":    (&explainOptions{}).AddFlags,
	}
	values := map[string]map[string][]string{
		"scan":    {"o": {"table", "wide", "json", "sarif"}, "fail-on": {"critical", "high", "medium", "low", "info"}},
		"explain": {"o": {"table", "json"}},
		"checks":  {"o": {"table", "wide"}},
	}
	var out []completion.Command
	for _, c := range commands() {
		cc := completion.Command{Name: c.name, Summary: c.summary, Values: values[c.name]}
		if add, ok := flagsOf[c.name]; ok {
			fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			add(fs)
			cc.Flags = completion.FlagsOf(fs)
		}
		if c.name == "checks" {
			cc.Flags = []string{"o"}
		}
		out = append(out, cc)
	}
	return out
}
