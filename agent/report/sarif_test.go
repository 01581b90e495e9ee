package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// sarifSchema compiles the vendored SARIF 2.1.0 schema (testdata/README.md).
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SARIFSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SARIFSchema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sarifOf(t *testing.T, r *scan.Report, o SARIFOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := SARIF(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestSARIFSchema validates the SARIF of several reports, hostile ones
// included, against the SARIF 2.1.0 schema.
func TestSARIFSchema(t *testing.T) {
	schema := sarifSchema(t)
	manifest := SARIFOptions{ToolVersion: "v0.1.0", Manifest: "deploy/pods.yaml", ManifestFile: true}
	for name, tc := range map[string]struct {
		r *scan.Report
		o SARIFOptions
	}{
		"sample":       {sample(), SARIFOptions{ToolVersion: "v0.1.0"}},
		"waived":       {waivedSample(), manifest},
		"hostile":      {hostileReport(), manifest},
		"many":         {manyReport(), SARIFOptions{Manifest: "-"}},
		"empty":        {&scan.Report{Node: "n"}, SARIFOptions{}},
		"abs manifest": {waivedSample(), SARIFOptions{Manifest: "/srv/pods 1.yaml", ManifestFile: true, Position: func(ns, pod, ctr string) (string, int, bool) { return "/srv/pods 1.yaml", 12, true }}},
	} {
		out := sarifOf(t, tc.r, tc.o)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: SARIF does not validate against the 2.1.0 schema: %v\n%s", name, err, out)
		}
		assertTerminalSafe(t, name, out, false)
	}
}

// TestSARIFSchemaRejects makes sure the validation has teeth.
func TestSARIFSchemaRejects(t *testing.T) {
	schema := sarifSchema(t)
	for _, bad := range []string{
		`{"version": "2.1.0"}`,
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "level": "critical"}]}]}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad)))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(inst) == nil {
			t.Errorf("the schema accepts %s", bad)
		}
	}
}

// TestSARIFGolden pins the shape on two rules, so that a new check does
// not change the file.
func TestSARIFGolden(t *testing.T) {
	var rules []checks.Check
	for _, id := range []checks.ID{checks.Capabilities, checks.RunAsUser} {
		c, ok := checks.Get(id)
		if !ok {
			t.Fatalf("check %s is not registered", id)
		}
		rules = append(rules, c)
	}
	var b bytes.Buffer
	if err := writeJSON(&b, sarifLog(waivedSample(), SARIFOptions{ToolVersion: "v0.1.0", Manifest: "pods.yaml", ManifestFile: true}, rules)); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.sarif.golden", b.Bytes())
}

func TestSARIFContent(t *testing.T) {
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string `json:"id"`
						ShortDescription     struct{ Text string }
						Help                 struct{ Text string }
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
					LogicalLocations []struct {
						FullyQualifiedName string
						Index              int
					}
				}
				Suppressions []struct{ Kind, Justification string }
			}
			LogicalLocations []struct {
				Name, FullyQualifiedName, Kind string
				ParentIndex                    *int
			}
			Invocations []struct {
				ExecutionSuccessful bool
				Notifications       []struct{ Level string } `json:"toolExecutionNotifications"`
			}
			Properties map[string]any
		}
	}
	out := sarifOf(t, waivedSample(), SARIFOptions{Manifest: "pods.yaml", ManifestFile: true, Position: func(ns, pod, ctr string) (string, int, bool) {
		return "pods.yaml", 7, ns == "demo" && pod == "web" && ctr == "app"
	}})
	if err := json.Unmarshal(out, &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	all := checks.All()
	if len(run.Tool.Driver.Rules) != len(all) {
		t.Fatalf("%d rules, want one per check (%d)", len(run.Tool.Driver.Rules), len(all))
	}
	wantLevel := map[checks.Severity]string{checks.Critical: "error", checks.High: "error", checks.Medium: "warning", checks.Low: "note", checks.Info: "note"}
	for i, c := range all {
		r := run.Tool.Driver.Rules[i]
		if r.ID != string(c.ID) || r.ShortDescription.Text != c.Rationale || r.Help.Text != c.Remediation || r.DefaultConfiguration.Level != wantLevel[c.Severity] {
			t.Errorf("rule %d = %+v, want %s with its rationale, remediation and level %s", i, r, c.ID, wantLevel[c.Severity])
		}
	}
	// sample: a critical, an info (left out) and a waived critical.
	if len(run.Results) != 2 {
		t.Fatalf("%d results, want 2 (info left out)", len(run.Results))
	}
	for _, res := range run.Results {
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID || res.Level != "error" {
			t.Errorf("result %s: rule index %d, level %s", res.RuleID, res.RuleIndex, res.Level)
		}
		loc := res.Locations[0]
		if ll := loc.LogicalLocations[0]; ll.FullyQualifiedName != "demo/web/app" || run.LogicalLocations[ll.Index].FullyQualifiedName != "demo/web/app" {
			t.Errorf("result %s: logical location %+v", res.RuleID, ll)
		}
		if loc.PhysicalLocation == nil || loc.PhysicalLocation.ArtifactLocation.URI != "pods.yaml" || loc.PhysicalLocation.Region == nil || loc.PhysicalLocation.Region.StartLine != 7 {
			t.Errorf("result %s: physical location %+v, want pods.yaml line 7", res.RuleID, loc.PhysicalLocation)
		}
	}
	if s := run.Results[0].Suppressions; len(s) != 0 {
		t.Errorf("unwaived result suppressed: %+v", s)
	}
	if s := run.Results[1].Suppressions; len(s) != 1 || s[0].Kind != "external" || s[0].Justification != "accepted by waiver demo/istio-init" {
		t.Errorf("waived result suppressions = %+v", s)
	}
	var kinds []string
	for _, l := range run.LogicalLocations {
		kinds = append(kinds, l.Kind+":"+l.FullyQualifiedName)
	}
	if want := "[namespace:demo pod:demo/web container:demo/web/app]"; fmt.Sprint(kinds) != want {
		t.Errorf("logical locations %s, want %s", fmt.Sprint(kinds), want)
	}
	if p := run.LogicalLocations[2].ParentIndex; p == nil || *p != 1 {
		t.Errorf("container's parent = %v, want the pod", p)
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notifications) != 3 || inv.Notifications[0].Level != "error" {
		t.Errorf("invocation = %+v, want unsuccessful with the not-audited container, the note and the gone one", inv)
	}
	if run.Properties["manifest"] != "pods.yaml" || run.Properties["node"] != "node-1" {
		t.Errorf("run properties = %v", run.Properties)
	}
}

func TestManifestURI(t *testing.T) {
	for _, tc := range []struct {
		path string
		file bool
		want string
	}{
		{"pods.yaml", true, "pods.yaml"},
		{"./deploy/../deploy/pods.yaml", true, "deploy/pods.yaml"},
		{"/srv/my pods.yaml", true, "file:///srv/my%20pods.yaml"},
		{"a:b.yaml", true, "./a:b.yaml"},
		{"manifests", false, ""},
		{"-", true, ""},
		{"", true, ""},
	} {
		got := ""
		if a := manifestURI(tc.path, tc.file); a != nil {
			got = a.URI
		}
		if got != tc.want {
			t.Errorf("manifestURI(%q, %v) = %q, want %q", tc.path, tc.file, got, tc.want)
		}
	}
}
