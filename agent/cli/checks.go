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
	output := fs.String("o", "table", "output: table, or wide (adds the remediation)")
	if err := parse(fs, args, s); err != nil {
		return ExitError, err
	}
	if *output != "table" && *output != "wide" {
		return ExitError, usagef("-o %q: want table or wide", *output)
	}
	wide := *output == "wide"
	tw := tabwriter.NewWriter(s.Out, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "CHECK\tSEVERITY\tRATIONALE")
	if wide {
		fmt.Fprint(tw, "\tREMEDIATION")
	}
	fmt.Fprintln(tw)
	for _, c := range checks.All() {
		fmt.Fprintf(tw, "%s\t%s\t%s", c.ID, c.Severity, c.Rationale)
		if wide {
			fmt.Fprintf(tw, "\t%s", c.Remediation)
		}
		fmt.Fprintln(tw)
	}
	return ExitClean, tw.Flush()
}
