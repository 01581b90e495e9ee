//go:build linux

package cli

import (
	"encoding/json"
	"testing"
)

// TestScanSARIFManifestLines: scan -o sarif against a manifest file points
// each result at the file (the relative path as given) and the line of the
// container's entry in its pod's document (deploy/examples' exec-root in
// the process-drift capture: "  - name: main" on line 13).
func TestScanSARIFManifestLines(t *testing.T) {
	endpoint, procRoot, pods := serveCapture(t, "process-drift")
	code, out, errOut := run("scan", "-o", "sarif", "--runtime-endpoint", endpoint, "--proc-root", procRoot, "--pods", pods)
	if code != ExitClean {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           *struct{ StartLine int }
					}
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, res := range log.Runs[0].Results {
		loc := res.Locations[0]
		if loc.LogicalLocations[0].FullyQualifiedName != "default/exec-root/main" {
			continue
		}
		found++
		pl := loc.PhysicalLocation
		if pl == nil || pl.ArtifactLocation.URI != "../scan/testdata/process-drift/pods.yaml" || pl.Region == nil || pl.Region.StartLine != 13 {
			t.Errorf("%s: physical location %+v, want ../scan/testdata/process-drift/pods.yaml line 13", res.RuleID, pl)
		}
	}
	if found == 0 {
		t.Errorf("no result for default/exec-root/main:\n%s", out)
	}
}
