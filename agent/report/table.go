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
	// ShowWaived includes findings a waiver accepts, with a WAIVER
	// column; otherwise the summary only counts them.
	ShowWaived bool
}

// Table writes one aligned row per finding and a summary line. Info
// findings are hidden unless ShowInfo; waived ones unless ShowWaived, which
// adds a WAIVER column when any shown finding is waived.
func Table(w io.Writer, r *scan.Report, o TableOptions) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	shown, hidden, waived := 0, 0, 0
	waiverColumn := false
	for _, f := range r.Findings {
		if f.Waiver != "" && o.ShowWaived && (f.Severity != checks.Info || o.ShowInfo) {
			waiverColumn = true
		}
	}
	for _, f := range r.Findings {
		if f.Severity == checks.Info && !o.ShowInfo {
			hidden++
			continue
		}
		if f.Waiver != "" {
			waived++
			if !o.ShowWaived {
				continue
			}
		}
		if shown == 0 {
			fmt.Fprint(tw, "NAMESPACE/POD/CONTAINER\tCHECK\tSEVERITY\tLAYER\tEXPECTED\tACTUAL\tPID")
			if waiverColumn {
				fmt.Fprint(tw, "\tWAIVER")
			}
			if o.Wide {
				fmt.Fprint(tw, "\tMESSAGE")
			}
			fmt.Fprintln(tw)
		}
		shown++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s",
			identity(f), f.Check, f.Severity, f.Layer,
			cell(f.Expected), cell(f.Actual), pid(f.PID))
		if waiverColumn {
			fmt.Fprintf(tw, "\t%s", cell(f.Waiver))
		}
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
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	_, err := fmt.Fprintln(w, summary(r, shown, hidden, waived, o.ShowWaived))
	return err
}

// summary counts the findings shown and, by severity, those no waiver
// accepts; then what is hidden or waived.
func summary(r *scan.Report, shown, hidden, waived int, showWaived bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d finding(s) in %d container(s) on %s (%s %s)", shown, len(r.Containers), r.Node, r.Runtime.Name, r.Runtime.Version)
	if n := bySeverity(r); n != "" {
		fmt.Fprintf(&b, ": %s", n)
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "; %d info hidden (--show-info)", hidden)
	}
	switch {
	case waived > 0 && showWaived:
		fmt.Fprintf(&b, "; %d waived", waived)
	case waived > 0:
		fmt.Fprintf(&b, "; %d waived (--show-waived)", waived)
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
			if f.Severity == s && f.Waiver == "" {
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
