package checks

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/rtaudit/rtaudit/probes"
)

// Severity of a finding.
type Severity string

// Severities, most severe first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

var severityRank = map[Severity]int{Critical: 0, High: 1, Medium: 2, Low: 3, Info: 4}

// Valid reports whether s is one of the five severities.
func (s Severity) Valid() bool { _, ok := severityRank[s]; return ok }

// Layer is where a drift first appears.
type Layer string

// Layers, top down.
const (
	// LayerCRI: the CRI config the runtime received differs from the pod
	// spec.
	LayerCRI Layer = "cri"
	// LayerOCI: the OCI runtime spec differs from what the CRI config
	// should have produced.
	LayerOCI Layer = "oci"
	// LayerProcess: a live process differs from the OCI spec.
	LayerProcess Layer = "process"
)

// Finding is one drift. PID is 0 for a cri or oci finding (the whole
// container); a process finding carries the process's host PID.
type Finding struct {
	Check       ID       `json:"check"`
	Severity    Severity `json:"severity"`
	Layer       Layer    `json:"layer"`
	Namespace   string   `json:"namespace"`
	Pod         string   `json:"pod"`
	Container   string   `json:"container"`
	ContainerID string   `json:"containerID"`
	PID         int      `json:"pid"`
	Field       string   `json:"field"`
	Expected    string   `json:"expected"`
	Actual      string   `json:"actual"`
	Message     string   `json:"message"`
	// Waiver names the waiver ("namespace/name", or "name" for a
	// ClusterWaiver) that accepts this finding; empty when none does. A
	// waived finding stays in the report.
	Waiver string `json:"waiver,omitempty"`
}

// Check is one rule. Severity is the highest a finding of the check takes;
// drift toward less privilege is reported as Info whatever the check.
type Check struct {
	ID          ID // stable: part of the output contract
	Severity    Severity
	Rationale   string // one line: why the field matters
	Remediation string // one line: what to do about a finding
	Evaluate    func(*Subject) []Finding
}

var registry = map[ID]Check{}

// register adds a check; it is called from init() in each check's file. A
// duplicate or malformed check is a programming error caught by the first
// test run, hence the panic.
func register(c Check) {
	if err := validate(c); err != nil {
		panic(err)
	}
	if _, dup := registry[c.ID]; dup {
		panic(fmt.Sprintf("checks: duplicate check ID %q", c.ID))
	}
	registry[c.ID] = c
}

func validate(c Check) error {
	switch {
	case c.ID == "":
		return fmt.Errorf("checks: check without an ID")
	case !c.Severity.Valid():
		return fmt.Errorf("checks: %s: invalid severity %q", c.ID, c.Severity)
	case c.Rationale == "" || c.Remediation == "":
		return fmt.Errorf("checks: %s: rationale and remediation are required", c.ID)
	case c.Evaluate == nil:
		return fmt.Errorf("checks: %s: no Evaluate function", c.ID)
	}
	return nil
}

// All returns every registered check, sorted by ID.
func All() []Check {
	out := make([]Check, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Check) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Get returns the check with the given ID.
func Get(id ID) (Check, bool) {
	c, ok := registry[id]
	return c, ok
}

// Evaluate runs every check on s, removes the findings a more fundamental
// one already explains (see suppress) and returns them sorted.
func Evaluate(s *Subject) []Finding {
	if s == nil {
		return nil
	}
	var out []Finding
	s.visible, s.fromCRI = map[mountTable]map[string]probes.Mount{}, nil
	defer func() { s.visible, s.fromCRI = nil, nil }()
	for _, c := range All() {
		out = append(out, c.Evaluate(s)...)
	}
	out = suppress(out)
	Sort(out)
	return out
}

// Sort orders findings stably by container, check, PID, field and layer.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Namespace, b.Namespace),
			cmp.Compare(a.Pod, b.Pod),
			cmp.Compare(a.Container, b.Container),
			cmp.Compare(a.ContainerID, b.ContainerID),
			cmp.Compare(a.Check, b.Check),
			cmp.Compare(a.PID, b.PID),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Layer, b.Layer),
		)
	})
}

// AtLeast reports whether s is as severe as o or more.
func (s Severity) AtLeast(o Severity) bool {
	rs, ok1 := severityRank[s]
	ro, ok2 := severityRank[o]
	return ok1 && ok2 && rs <= ro
}
