package plugin

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// krewPlugin is the part of krew's Plugin (krew.googlecode.github.com/
// v1alpha2) this repository relies on.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Caveats          string `json:"caveats"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

// TestKrewManifest: deploy/krew/rtaudit.yaml is a krew Plugin (strictly:
// no unknown field) named rtaudit whose every platform installs the
// kubectl-rtaudit binary from the archive `make plugin-archive` names, at
// the release version deploy/ uses.
func TestKrewManifest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "krew", "rtaudit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatal(err)
	}
	if p.APIVersion != "krew.googlecode.github.com/v1alpha2" || p.Kind != "Plugin" || p.Metadata.Name != "rtaudit" {
		t.Errorf("%s %s %s", p.APIVersion, p.Kind, p.Metadata.Name)
	}
	ds, err := DaemonSet()
	if err != nil {
		t.Fatal(err)
	}
	image := ds.Spec.Template.Spec.Containers[0].Image
	if !strings.HasSuffix(image, ":"+p.Spec.Version) {
		t.Errorf("version %s, but deploy/ runs %s", p.Spec.Version, image)
	}
	if p.Spec.ShortDescription == "" || p.Spec.Homepage == "" || len(p.Spec.Platforms) == 0 {
		t.Errorf("incomplete spec: %+v", p.Spec)
	}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, pl := range p.Spec.Platforms {
		os, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		archive := "kubectl-rtaudit_" + p.Spec.Version + "_" + os + "_" + arch + ".tar.gz"
		if os == "" || arch == "" || !strings.HasSuffix(pl.URI, "/"+p.Spec.Version+"/"+archive) {
			t.Errorf("%s/%s: uri %s, want one ending in %s/%s", os, arch, pl.URI, p.Spec.Version, archive)
		}
		if pl.Bin != "kubectl-rtaudit" || len(pl.Files) != 1 || pl.Files[0].From != "kubectl-rtaudit" {
			t.Errorf("%s/%s: bin %q files %+v, want kubectl-rtaudit", os, arch, pl.Bin, pl.Files)
		}
		if !hex.MatchString(pl.Sha256) {
			t.Errorf("%s/%s: sha256 %q", os, arch, pl.Sha256)
		}
	}
}
