package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/probes"
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
	// Color shows severities in ANSI colours: for a terminal only (the
	// caller decides: not when piped, nor with --no-color or NO_COLOR).
	Color bool
	// GroupAbove groups the rows by pod, under one header line per pod,
	// when more findings than this are shown: 0 means DefaultGroupAbove,
	// a negative value never.
	GroupAbove int
}

// DefaultGroupAbove is how many rows a table shows before it groups them
// by pod.
const DefaultGroupAbove = 20

// Table writes one aligned row per finding and a summary line. Info
// findings are hidden unless ShowInfo; waived ones unless ShowWaived, which
// adds a WAIVER column when any shown finding is waived. Every string is
// made inert first (see Inert): container names, comms and paths are the
// container's to choose.
func Table(w io.Writer, r *scan.Report, o TableOptions) error {
	var shown []checks.Finding
	hidden, waived := 0, 0
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
		shown = append(shown, f)
	}
	waiverColumn := false
	for _, f := range shown {
		waiverColumn = waiverColumn || f.Waiver != ""
	}
	threshold := o.GroupAbove
	if threshold == 0 {
		threshold = DefaultGroupAbove
	}
	grouped := threshold > 0 && len(shown) > threshold

	var g grid
	if len(shown) > 0 {
		first, indent := "NAMESPACE/POD/CONTAINER", ""
		if grouped {
			first, indent = "CONTAINER", "  "
		}
		h := []col{plain(first), plain("CHECK"), plain("SEVERITY"), plain("LAYER"), plain("EXPECTED"), plain("ACTUAL"), plain("PID")}
		if waiverColumn {
			h = append(h, plain("WAIVER"))
		}
		if o.Wide {
			h = append(h, plain("MESSAGE"))
		}
		g.row(indent, h...)
	}
	pod := ""
	for i, f := range shown {
		who, indent := identity(f), ""
		if grouped {
			if p := podOf(f); i == 0 || p != pod {
				pod = p
				g.text(p + podCounts(shown[i:], f, o.Color))
			}
			who, indent = cell(f.Container), "  "
			if f.Container == "" {
				who = "(no container)"
			}
		}
		expected, actual := f.Expected, f.Actual
		if e, a, ok := capsCells(f); ok {
			expected, actual = e, a
		}
		row := []col{
			plain(who), plain(cell(string(f.Check))),
			{text: cell(string(f.Severity)), style: severityStyle[f.Severity]},
			plain(cell(string(f.Layer))), plain(cell(expected)), plain(cell(actual)), plain(pid(f.PID)),
		}
		if waiverColumn {
			row = append(row, plain(cell(f.Waiver)))
		}
		if o.Wide {
			row = append(row, plain(Inert(f.Message)))
		}
		g.row(indent, row...)
	}
	for _, c := range r.Containers {
		for _, p := range c.Problems {
			g.text(fmt.Sprintf("declared spec cannot hold: %s/%s/%s: %s", Inert(c.Namespace), Inert(c.Pod), Inert(c.Container), Inert(p)))
		}
	}
	for _, e := range r.Errors {
		g.text(fmt.Sprintf("not audited: %s/%s/%s (%s): %s", Inert(e.Namespace), Inert(e.Pod), Inert(e.Container), Inert(short(e.ID)), Inert(e.Error)))
	}
	for _, n := range r.Notes {
		g.text("note: " + Inert(n))
	}
	if lv := levels(r, o); lv != nil {
		if len(g.lines) > 0 {
			g.text("")
		}
		if err := g.write(w, o.Color); err != nil {
			return err
		}
		g = *lv
	}
	g.text(summary(r, len(shown), hidden, waived, o.ShowWaived, o.Color))
	return g.write(w, o.Color)
}

// podOf is a finding's "namespace/pod", the group it is shown under.
func podOf(f checks.Finding) string {
	if f.Namespace == "" && f.Pod == "" {
		return "(no pod)"
	}
	return cell(f.Namespace) + "/" + cell(f.Pod)
}

// podCounts counts, for a pod's header line, the findings of the pod that
// starts at rest[0] by severity.
func podCounts(rest []checks.Finding, f checks.Finding, color bool) string {
	n := map[checks.Severity]int{}
	total := 0
	for _, x := range rest {
		if podOf(x) != podOf(f) {
			break
		}
		n[x.Severity]++
		total++
	}
	var parts []string
	for _, s := range []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low, checks.Info} {
		if n[s] > 0 {
			parts = append(parts, paint(strconv.Itoa(n[s])+" "+string(s), s, color))
		}
	}
	return fmt.Sprintf(": %d finding(s), %s", total, strings.Join(parts, ", "))
}

// capsCells shows a capability finding's two hex masks (as
// /proc/<pid>/status prints them) by name: the expected set in brief and
// what the actual one adds (+) or lacks (-). ok is false for any other
// finding, whose values are shown as they are.
func capsCells(f checks.Finding) (expected, actual string, ok bool) {
	if f.Check != checks.Capabilities && f.Check != checks.Privileged {
		return "", "", false
	}
	want, ok1 := parseMask(f.Expected)
	got, ok2 := parseMask(f.Actual)
	if !ok1 || !ok2 {
		return "", "", false
	}
	return briefCaps(want), CapsDiff(want, got, 4), true
}

// parseMask reads a capability set of exactly 16 hex digits.
func parseMask(s string) (probes.CapSet, bool) {
	if len(s) != 16 {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return probes.CapSet(v), err == nil
}

// briefCaps names a small set and counts a large one.
func briefCaps(c probes.CapSet) string {
	switch n := c.Count(); {
	case n == 0:
		return "none"
	case n <= 2:
		return c.String()
	default:
		return strconv.Itoa(n) + " caps"
	}
}

// CapsDiff is how the tables write a capability set against another:
// "+CAP_SYS_ADMIN -CAP_NET_RAW", what got adds to want, then what it
// lacks, at most limit names each way (limit <= 0: all), "=" when they are
// equal.
func CapsDiff(want, got probes.CapSet, limit int) string {
	var parts []string
	for _, d := range []struct {
		sign string
		set  probes.CapSet
	}{{"+", got &^ want}, {"-", want &^ got}} {
		names := d.set.Names()
		more := 0
		if limit > 0 && len(names) > limit {
			names, more = names[:limit], len(names)-limit
		}
		for _, n := range names {
			parts = append(parts, d.sign+n)
		}
		if more > 0 {
			parts = append(parts, fmt.Sprintf("%s%d more", d.sign, more))
		}
	}
	if len(parts) == 0 {
		return "="
	}
	return strings.Join(parts, " ")
}

// summary counts the findings shown and, by severity, those no waiver
// accepts; then what is hidden or waived.
func summary(r *scan.Report, shown, hidden, waived int, showWaived, color bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d finding(s) in %d container(s) on %s (%s %s)", shown, len(r.Containers), Inert(r.Node), Inert(r.Runtime.Name), Inert(r.Runtime.Version))
	if n := bySeverity(r, color); n != "" {
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
		fmt.Fprintf(&b, "; %s", paint(fmt.Sprintf("%d NOT AUDITED", len(r.Errors)), checks.Critical, color))
	}
	return b.String()
}

func bySeverity(r *scan.Report, color bool) string {
	var parts []string
	for _, s := range []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low} {
		n := 0
		for _, f := range r.Findings {
			if f.Severity == s && f.Waiver == "" {
				n++
			}
		}
		if n > 0 {
			parts = append(parts, paint(strconv.Itoa(n)+" "+string(s), s, color))
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

// cell is s made inert, or "-" when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return Inert(s)
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
