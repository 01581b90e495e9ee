package cli

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"

	"github.com/rtaudit/rtaudit/agent/checks"
)

func runChecks(_ context.Context, args []string, s Streams) (int, error) {
	fs := flag.NewFlagSet("checks", flag.ContinueOnError)
	if err := parse(fs, args, s); err != nil {
		return ExitError, err
	}
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSEVERITY\tRATIONALE")
	for _, c := range checks.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Rationale)
	}
	return ExitClean, tw.Flush()
}
