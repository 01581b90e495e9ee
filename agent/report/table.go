package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// TableOptions tune the table.
type TableOptions struct {
	// ShowInfo includes info findings (drift toward less privilege).
	ShowInfo bool
	// Wide adds the message column.
	Wide bool
}

// Table writes one aligned row per finding and a summary line.
func Table(w io.Writer, r *scan.Report, o TableOptions) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	shown, hidden := 0, 0
	for _, f := range r.Findings {
		if f.Severity == checks.Info && !o.ShowInfo {
			hidden++
			continue
		}
		if shown == 0 {
			fmt.Fprint(tw, "NAMESPACE/POD/CONTAINER\tCHECK\tSEVERITY\tLAYER\tEXPECTED\tACTUAL\tPID")
			if o.Wide {
				fmt.Fprint(tw, "\tMESSAGE")
			}
			fmt.Fprintln(tw)
		}
		shown++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s",
			identity(f), f.Check, f.Severity, f.Layer,
			cell(f.Expected), cell(f.Actual), pid(f.PID))
		if o.Wide {
			fmt.Fprintf(tw, "\t%s", f.Message)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Containers {
		for _, p := range c.Problems {
			fmt.Fprintf(w, "declared spec cannot hold: %s/%s/%s: %s\n", c.Namespace, c.Pod, c.Container, p)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "not audited: %s/%s/%s (%s): %s\n", e.Namespace, e.Pod, e.Container, short(e.ID), e.Error)
	}
	_, err := fmt.Fprintln(w, summary(r, shown, hidden))
	return err
}

func summary(r *scan.Report, shown, hidden int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d finding(s) in %d container(s) on %s (%s %s)", shown, len(r.Containers), r.Node, r.Runtime.Name, r.Runtime.Version)
	if n := bySeverity(r); n != "" {
		fmt.Fprintf(&b, ": %s", n)
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "; %d info hidden (--show-info)", hidden)
	}
	if len(r.Gone) > 0 {
		fmt.Fprintf(&b, "; %d gone mid-scan", len(r.Gone))
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(&b, "; %d NOT AUDITED", len(r.Errors))
	}
	return b.String()
}

func bySeverity(r *scan.Report) string {
	var parts []string
	for _, s := range []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low} {
		n := 0
		for _, f := range r.Findings {
			if f.Severity == s {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+string(s))
		}
	}
	return strings.Join(parts, ", ")
}

// identity is NAMESPACE/POD/CONTAINER; a process group the CRI does not know
// has none.
func identity(f checks.Finding) string {
	if f.Namespace == "" && f.Pod == "" && f.Container == "" {
		return "(no container)"
	}
	return cell(f.Namespace) + "/" + cell(f.Pod) + "/" + cell(f.Container)
}

func cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pid(p int) string {
	if p == 0 {
		return "-"
	}
	return strconv.Itoa(p)
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}
