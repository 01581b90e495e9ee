package report

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// Explanation is one container seen through every layer, field by field:
// what `rtaudit explain` renders. It is plain data, built by the caller
// from the collected facts and the container's findings; this package only
// renders it (Explain, ExplainJSON).
type Explanation struct {
	APIVersion   string           `json:"apiVersion"`
	Kind         string           `json:"kind"`
	Node         string           `json:"node,omitempty"`
	Runtime      scan.RuntimeInfo `json:"runtime"`
	Namespace    string           `json:"namespace"`
	Pod          string           `json:"pod"`
	Container    string           `json:"container"`
	ContainerID  string           `json:"containerID"`
	Image        string           `json:"image,omitempty"`
	State        string           `json:"state,omitempty"`
	DeclaredFrom string           `json:"declaredFrom"`
	// Processes are the container's live processes, in the order of the
	// rows' kernel values.
	Processes []ExplainProcess `json:"processes"`
	Rows      []ExplainRow     `json:"rows"`
	// Findings are the container's findings, whose layers mark the rows.
	Findings []checks.Finding `json:"findings"`
	// Problems are what the declared spec asks that cannot hold.
	Problems []string `json:"problems,omitempty"`
	// Notes are what a reader must know to read the rows (a runtime that
	// does not expose its CRI config, a declared source that does not
	// know the container).
	Notes []string `json:"notes,omitempty"`
}

// KindExplanation is an Explanation's JSON kind.
const KindExplanation = "Explanation"

// ExplainProcess is one live process of the container.
type ExplainProcess struct {
	PID  int    `json:"pid"`
	Comm string `json:"comm"`
}

// ExplainRow is one field through the layers.
type ExplainRow struct {
	// Field names the row ("user", "capabilities"); Check is the check
	// that judges it.
	Field string    `json:"field"`
	Check checks.ID `json:"check"`
	// Declared is the pod spec's value with the field path it came from,
	// or "unset → <default>"; CRI and OCI what those layers hold. An empty
	// value is unknown at that layer (not exposed, not running).
	Declared LayerValue `json:"declared"`
	CRI      LayerValue `json:"cri"`
	OCI      LayerValue `json:"oci"`
	// Kernel is the value of each live process.
	Kernel []ProcessValue `json:"kernel"`
	// Drift is where the row first departs from the declaration; nil when
	// no finding says it does.
	Drift *Drift `json:"drift,omitempty"`
}

// LayerValue is a field's value at one layer and where it was read.
type LayerValue struct {
	Value string `json:"value,omitempty"`
	// Source is the field path: "spec.containers[0].securityContext.runAsUser",
	// "run_as_user", "process.user.uid".
	Source string `json:"source,omitempty"`
	// Differs marks the value a finding reports as the drift.
	Differs bool `json:"differs,omitempty"`
}

// ProcessValue is a field's value in one process (/proc/<pid>/status and
// friends).
type ProcessValue struct {
	PID     int    `json:"pid"`
	Comm    string `json:"comm"`
	Value   string `json:"value"`
	Source  string `json:"source,omitempty"`
	Differs bool   `json:"differs,omitempty"`
}

// Drift is the first layer where a field departs, how much that matters
// and who owns that layer.
type Drift struct {
	Layer checks.Layer `json:"layer"`
	// Check is the check whose finding marks the row: the row's own, or
	// one that stands for it (run-as-non-root for the user, privileged
	// for capabilities).
	Check    checks.ID       `json:"check,omitempty"`
	Severity checks.Severity `json:"severity"`
	Owner    string          `json:"owner"`
	// Waiver names the waiver that accepts every finding of the row; ""
	// when one is not waived.
	Waiver string `json:"waiver,omitempty"`
}

// LayerOwner names the component that owns a layer: the one to look at
// when a field first departs there.
func LayerOwner(l checks.Layer) string {
	switch l {
	case checks.LayerCRI:
		return "the kubelet (or whatever spoke CRI)"
	case checks.LayerOCI:
		return "the runtime (its config, base_runtime_spec, NRI plugins, hooks)"
	case checks.LayerProcess:
		return "the process itself (an exec, setuid or file capabilities, setns)"
	}
	return ""
}

// ExplainOptions tune Explain.
type ExplainOptions struct {
	// Color shows severities in ANSI colours (a terminal only).
	Color bool
}

// Explain writes an explanation for people: a header, one row per field
// with its value at each layer (a process per line in the kernel column),
// "!" on the value that departs and, last, the layer that departs first
// with its owner; then the container's findings. Every string is made
// inert (see Inert).
func Explain(w io.Writer, e *Explanation, o ExplainOptions) error {
	var head grid
	head.row("", plain("CONTAINER"), plain(fmt.Sprintf("%s/%s/%s (%s)", cell(e.Namespace), cell(e.Pod), cell(e.Container), cell(short(e.ContainerID)))))
	if e.Image != "" {
		head.row("", plain("IMAGE"), plain(Inert(e.Image)))
	}
	if e.State != "" {
		head.row("", plain("STATE"), plain(Inert(e.State)))
	}
	head.row("", plain("DECLARED FROM"), plain(cell(e.DeclaredFrom)))
	node := cell(e.Node)
	if e.Runtime.Name != "" {
		node += fmt.Sprintf(" (%s %s)", Inert(e.Runtime.Name), Inert(e.Runtime.Version))
	}
	head.row("", plain("NODE"), plain(node))
	procs := make([]string, 0, len(e.Processes))
	for _, p := range e.Processes {
		procs = append(procs, strconv.Itoa(p.PID)+" "+cell(p.Comm))
	}
	if len(procs) == 0 {
		procs = []string{"none running"}
	}
	head.row("", plain("PROCESSES"), plain(strings.Join(procs, ", ")))
	if err := head.write(w, o.Color); err != nil {
		return err
	}

	var g grid
	g.text("")
	g.row("", plain("FIELD"), plain("DECLARED"), plain("CRI"), plain("OCI"), plain("KERNEL"), plain("FIRST DRIFT"))
	for _, r := range e.Rows {
		sev := checks.Severity("")
		if r.Drift != nil {
			sev = r.Drift.Severity
		}
		kernel := []col{plain("-")}
		if len(r.Kernel) > 0 {
			kernel = kernel[:0]
			for _, p := range r.Kernel {
				kernel = append(kernel, mark(fmt.Sprintf("%d %s: %s", p.PID, cell(p.Comm), cell(p.Value)), p.Differs, sev))
			}
		}
		drift := plain("")
		if d := r.Drift; d != nil {
			text := fmt.Sprintf("◀ %s %s: %s", d.Layer, d.Severity, Inert(cmp.Or(d.Owner, LayerOwner(d.Layer))))
			if d.Check != "" && d.Check != r.Check {
				text += "; see " + Inert(string(d.Check))
			}
			if d.Waiver != "" {
				text += "; waived by " + Inert(d.Waiver)
			}
			drift = col{text: text, style: severityStyle[d.Severity]}
		}
		g.row("", plain(cell(r.Field)), mark(declaredText(r.Declared), r.Declared.Differs, sev),
			mark(cell(r.CRI.Value), r.CRI.Differs, sev), mark(cell(r.OCI.Value), r.OCI.Differs, sev), kernel[0], drift)
		for _, k := range kernel[1:] {
			g.row("", plain(""), plain(""), plain(""), plain(""), k, plain(""))
		}
	}
	if err := g.write(w, o.Color); err != nil {
		return err
	}

	var fg grid // the findings, aligned on their own
	if len(e.Findings) > 0 {
		fg.text("")
		fg.row("", plain("CHECK"), plain("SEVERITY"), plain("LAYER"), plain("PID"), plain("MESSAGE"))
		for _, f := range e.Findings {
			msg := Inert(f.Message)
			if f.Waiver != "" {
				msg += " [waived by " + Inert(f.Waiver) + "]"
			}
			fg.row("", plain(cell(string(f.Check))), col{text: cell(string(f.Severity)), style: severityStyle[f.Severity]},
				plain(cell(string(f.Layer))), plain(pid(f.PID)), plain(msg))
		}
	}
	if len(e.Problems) > 0 || len(e.Notes) > 0 {
		fg.text("")
	}
	for _, p := range e.Problems {
		fg.text("declared spec cannot hold: " + Inert(p))
	}
	for _, n := range e.Notes {
		fg.text("note: " + Inert(n))
	}
	fg.text("")
	fg.text(explainSummary(e, o.Color))
	return fg.write(w, o.Color)
}

// ExplainJSON writes the explanation as indented, terminal-safe JSON.
func ExplainJSON(w io.Writer, e *Explanation) error { return writeJSON(w, e) }

// declaredText is the declared value and the field it came from.
func declaredText(v LayerValue) string {
	if v.Source == "" {
		return cell(v.Value)
	}
	return cell(v.Value) + " (" + Inert(v.Source) + ")"
}

// mark appends "!" to a value that departs, in the row's severity colour.
func mark(text string, differs bool, sev checks.Severity) col {
	if !differs {
		return plain(text)
	}
	return col{text: text + " !", style: severityStyle[sev]}
}

func explainSummary(e *Explanation, color bool) string {
	drifted := 0
	for _, r := range e.Rows {
		if r.Drift != nil {
			drifted++
		}
	}
	n := map[checks.Severity]int{}
	waived := 0
	for _, f := range e.Findings {
		if f.Waiver != "" {
			waived++
			continue
		}
		n[f.Severity]++
	}
	var parts []string
	for _, s := range []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low, checks.Info} {
		if n[s] > 0 {
			parts = append(parts, paint(strconv.Itoa(n[s])+" "+string(s), s, color))
		}
	}
	s := fmt.Sprintf("%d of %d field(s) drift; %d finding(s)", drifted, len(e.Rows), len(e.Findings))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	if waived > 0 {
		s += fmt.Sprintf("; %d waived", waived)
	}
	return s
}
