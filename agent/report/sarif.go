package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// SARIF 2.1.0 (OASIS, errata 01): what code-scanning dashboards import.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

// SARIFOptions tune the SARIF log.
type SARIFOptions struct {
	// ToolVersion is rtaudit's version.
	ToolVersion string
	// Manifest is the --pods path the declared specs came from ("" for
	// none, "-" for stdin), recorded in the run's properties.
	Manifest string
	// ManifestFile says Manifest is one file (not a directory, not
	// stdin): it is then an artifact of the run and the physical location
	// of the results of the containers declared by manifest.
	ManifestFile bool
	// Position, when set, gives the manifest file a container was declared
	// in and the line of its entry there, else of its pod's document (0
	// when unknown): the result's physical location, also when the
	// manifests were a directory.
	Position func(namespace, pod, container string) (file string, line int, ok bool)
}

// SARIF writes the report as a SARIF 2.1.0 log: one rule per registered
// check, one result per finding that is not info (waived ones with an
// external suppression naming the waiver), a logical location per
// container (namespace → pod → container), containers that could not be
// audited as error notifications of an unsuccessful invocation.
func SARIF(w io.Writer, r *scan.Report, o SARIFOptions) error {
	return writeJSON(w, sarifLog(r, o, checks.All()))
}

// sarifLog builds the log with a rule for each of all.
func sarifLog(r *scan.Report, o SARIFOptions, all []checks.Check) sarifDoc {
	ruleIndex := make(map[checks.ID]int, len(all))
	rules := make([]sarifRule, 0, len(all))
	for i, c := range all {
		ruleIndex[c.ID] = i
		rules = append(rules, sarifRule{
			ID:                   string(c.ID),
			Name:                 ruleName(c.ID),
			ShortDescription:     &sarifMessage{Text: c.Rationale},
			Help:                 &sarifMessage{Text: c.Remediation},
			DefaultConfiguration: &sarifConfiguration{Level: sarifLevel(c.Severity)},
			Properties: map[string]any{
				"tags":              []string{"security", "kubernetes", "runtime"},
				"precision":         "high",
				"security-severity": securitySeverity(c.Severity),
				"severity":          string(c.Severity),
			},
		})
	}

	declaredFrom := map[string]string{}
	for _, c := range r.Containers {
		declaredFrom[c.ID] = string(c.DeclaredFrom)
	}
	locs := &logicalLocations{index: map[string]int{}}
	results := []sarifResult{}
	for _, f := range r.Findings {
		if f.Severity == checks.Info {
			continue
		}
		res := sarifResult{
			RuleID:    string(f.Check),
			RuleIndex: ruleIndex[f.Check],
			Level:     sarifLevel(f.Severity),
			Message:   sarifMessage{Text: resultText(f)},
			Locations: []sarifLocation{{LogicalLocations: []sarifLogicalLocation{locs.container(f)}}},
			PartialFingerprints: map[string]string{
				"rtauditFinding/v1": fingerprint(f),
			},
			Properties: map[string]any{
				"severity":    string(f.Severity),
				"layer":       string(f.Layer),
				"containerID": f.ContainerID,
				"field":       f.Field,
				"expected":    f.Expected,
				"actual":      f.Actual,
			},
		}
		if _, known := ruleIndex[f.Check]; !known {
			res.RuleIndex = -1 // a check this binary does not register (cannot happen for its own scans)
		}
		if f.PID != 0 {
			res.Properties["pid"] = f.PID
		}
		if from := declaredFrom[f.ContainerID]; from != "" {
			res.Properties["declaredFrom"] = from
			if from == "manifest" {
				if pl := physical(f, o); pl != nil {
					res.Locations[0].PhysicalLocation = pl
				}
			}
		}
		if f.Waiver != "" {
			res.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: "accepted by waiver " + f.Waiver}}
		}
		results = append(results, res)
	}

	inv := sarifInvocation{ExecutionSuccessful: len(r.Errors) == 0}
	for _, e := range r.Errors {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:   "error",
			Message: sarifMessage{Text: fmt.Sprintf("not audited: %s/%s/%s (%s): %s", e.Namespace, e.Pod, e.Container, e.ID, e.Error)},
		})
	}
	for _, c := range r.Containers {
		for _, p := range c.Problems {
			inv.Notifications = append(inv.Notifications, sarifNotification{
				Level:   "warning",
				Message: sarifMessage{Text: fmt.Sprintf("declared spec cannot hold: %s/%s/%s: %s", c.Namespace, c.Pod, c.Container, p)},
			})
		}
	}
	for _, n := range r.Notes {
		inv.Notifications = append(inv.Notifications, sarifNotification{Level: "note", Message: sarifMessage{Text: n}})
	}
	for _, g := range r.Gone {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:   "note",
			Message: sarifMessage{Text: fmt.Sprintf("gone mid-scan: %s/%s/%s (%s)", g.Namespace, g.Pod, g.Container, g.ID)},
		})
	}

	props := map[string]any{
		"apiVersion": r.APIVersion,
		"node":       r.Node,
		"runtime":    r.Runtime,
		"containers": len(r.Containers),
	}
	if o.Manifest != "" {
		props["manifest"] = o.Manifest
	}
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "rtaudit", Version: o.ToolVersion, InformationURI: "https://github.com/rtaudit/rtaudit", Rules: rules,
		}},
		AutomationDetails: &sarifAutomation{ID: "rtaudit/" + r.Node + "/"},
		Invocations:       []sarifInvocation{inv},
		LogicalLocations:  locs.list,
		Results:           results,
		Properties:        props,
	}
	if a := manifestURI(o.Manifest, o.ManifestFile); a != nil {
		run.Artifacts = []sarifArtifact{{Location: *a, Roles: []string{"analysisTarget"}}}
	}
	return sarifDoc{Schema: SARIFSchema, Version: SARIFVersion, Runs: []sarifRun{run}}
}

// physical is a finding's place in the manifest: the file, and the
// container's (else the pod's) line when Position knows it.
func physical(f checks.Finding, o SARIFOptions) *sarifPhysicalLocation {
	if o.Position != nil {
		if file, line, ok := o.Position(f.Namespace, f.Pod, f.Container); ok {
			if a := manifestURI(file, true); a != nil {
				pl := &sarifPhysicalLocation{ArtifactLocation: *a}
				if line > 0 {
					pl.Region = &sarifRegion{StartLine: line}
				}
				return pl
			}
		}
	}
	if a := manifestURI(o.Manifest, o.ManifestFile); a != nil {
		return &sarifPhysicalLocation{ArtifactLocation: *a}
	}
	return nil
}

// manifestURI is the artifact location of a manifest path: a relative
// reference for a relative path (what code scanning resolves against the
// repository), a file: URI for an absolute one; nil unless the path names
// one file (a directory's file of each pod is unknown).
func manifestURI(path string, file bool) *sarifArtifactLocation {
	if !file || path == "" || path == "-" {
		return nil
	}
	if filepath.IsAbs(path) {
		return &sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()}
	}
	return &sarifArtifactLocation{URI: (&url.URL{Path: filepath.ToSlash(filepath.Clean(path))}).String()}
}

// logicalLocations are the run's namespace → pod → container hierarchy;
// results refer to a container's entry by index.
type logicalLocations struct {
	list  []sarifLogicalLocation
	index map[string]int
}

func (l *logicalLocations) add(name, fqn, kind string, parent int) int {
	if i, ok := l.index[fqn]; ok {
		return i
	}
	loc := sarifLogicalLocation{Name: name, FullyQualifiedName: fqn, Kind: kind}
	if parent >= 0 {
		loc.ParentIndex = &parent
	}
	l.index[fqn] = len(l.list)
	l.list = append(l.list, loc)
	return len(l.list) - 1
}

// container returns the reference a result holds to its container.
// An empty part (a process group no container accounts for) is "-", as
// in the table.
func (l *logicalLocations) container(f checks.Finding) sarifLogicalLocation {
	part := func(s string) string { return cmp.Or(s, "-") }
	ns := l.add(part(f.Namespace), part(f.Namespace), "namespace", -1)
	pod := l.add(part(f.Pod), part(f.Namespace)+"/"+part(f.Pod), "pod", ns)
	fqn := part(f.Namespace) + "/" + part(f.Pod) + "/" + part(f.Container)
	i := l.add(part(f.Container), fqn, "container", pod)
	return sarifLogicalLocation{Name: part(f.Container), FullyQualifiedName: fqn, Kind: "container", Index: &i}
}

// resultText is the finding's message, else a sentence from its fields.
func resultText(f checks.Finding) string {
	if f.Message != "" {
		return f.Message
	}
	return fmt.Sprintf("%s: %s is %s at the %s layer, expected %s", f.Check, f.Field, f.Actual, f.Layer, f.Expected)
}

// fingerprint identifies a finding across scans: the same drift of the
// same container (by name, not by ID: a restarted container keeps it).
func fingerprint(f checks.Finding) string {
	h := sha256.Sum256([]byte(strings.Join([]string{string(f.Check), f.Namespace, f.Pod, f.Container, string(f.Layer), f.Field, f.Expected, f.Actual}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// sarifLevel maps a severity onto SARIF's levels.
func sarifLevel(s checks.Severity) string {
	switch s {
	case checks.Critical, checks.High:
		return "error"
	case checks.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from
// a rule's "security-severity" property (≥ 9 critical, ≥ 7 high, ≥ 4
// medium).
func securitySeverity(s checks.Severity) string {
	switch s {
	case checks.Critical:
		return "9.5"
	case checks.High:
		return "8.0"
	case checks.Medium:
		return "5.5"
	case checks.Low:
		return "3.0"
	}
	return "0.0"
}

// ruleName is the check ID in UpperCamelCase ("RunAsNonRoot"), SARIF's
// convention for a rule's name.
func ruleName(id checks.ID) string {
	var b strings.Builder
	for _, part := range strings.Split(string(id), "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// The subset of the SARIF 2.1.0 object model rtaudit writes.
type (
	sarifDoc struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool              sarifTool              `json:"tool"`
		AutomationDetails *sarifAutomation       `json:"automationDetails,omitempty"`
		Invocations       []sarifInvocation      `json:"invocations,omitempty"`
		Artifacts         []sarifArtifact        `json:"artifacts,omitempty"`
		LogicalLocations  []sarifLogicalLocation `json:"logicalLocations,omitempty"`
		Results           []sarifResult          `json:"results"`
		Properties        map[string]any         `json:"properties,omitempty"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string              `json:"id"`
		Name                 string              `json:"name,omitempty"`
		ShortDescription     *sarifMessage       `json:"shortDescription,omitempty"`
		Help                 *sarifMessage       `json:"help,omitempty"`
		DefaultConfiguration *sarifConfiguration `json:"defaultConfiguration,omitempty"`
		Properties           map[string]any      `json:"properties,omitempty"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifAutomation struct {
		ID string `json:"id"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool                `json:"executionSuccessful"`
		Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level   string       `json:"level"`
		Message sarifMessage `json:"message"`
	}
	sarifArtifact struct {
		Location sarifArtifactLocation `json:"location"`
		Roles    []string              `json:"roles,omitempty"`
	}
	sarifArtifactLocation struct {
		URI string `json:"uri"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifMessage       `json:"message"`
		Locations           []sarifLocation    `json:"locations"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          map[string]any     `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
		LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
	sarifLogicalLocation struct {
		Name               string `json:"name,omitempty"`
		FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
		Kind               string `json:"kind,omitempty"`
		Index              *int   `json:"index,omitempty"`
		ParentIndex        *int   `json:"parentIndex,omitempty"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Status        string `json:"status,omitempty"`
		Justification string `json:"justification,omitempty"`
	}
)
