package waiver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/checks"
)

func TestLoad(t *testing.T) {
	ws, err := Load("testdata/waivers.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, w := range ws {
		keys = append(keys, w.Kind+" "+w.Key())
	}
	if d := cmp.Diff([]string{"Waiver prod/istio-init", "ClusterWaiver calico-node", "ClusterWaiver csi"}, keys); d != "" {
		t.Errorf("waivers (-want +got):\n%s", d)
	}
	w := ws[0]
	if want := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC); w.Spec.Expires == nil || !w.Spec.Expires.Time.Equal(want) {
		t.Errorf("expires = %v, want %v", w.Spec.Expires, want)
	}
	if d := cmp.Diff([]checks.ID{checks.Capabilities}, w.Spec.Checks); d != "" {
		t.Errorf("checks (-want +got):\n%s", d)
	}
	if w.Spec.PodSelector == nil || w.Spec.PodSelector.MatchLabels["app"] != "web" {
		t.Errorf("podSelector = %v", w.Spec.PodSelector)
	}
	if got := ws[2].Spec.Allow; got == nil || len(got.Values) != 1 {
		t.Errorf("allow = %v", got)
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, []byte("# nothing\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(valid+"---\n"+strings.Replace(valid, "image: nginx:1.27", "imag: nginx:1.27", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{big, "big.yaml: larger than 4 MiB"},
		{empty, "empty.yaml: no Waiver or ClusterWaiver found"},
		{dir, "is a directory"},
		{filepath.Join(dir, "none.yaml"), "no such file"},
		{bad, "bad.yaml: document 2: spec.containers[0].imag: unknown field"},
	} {
		_, err := Load(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%s) = %v, want an error containing %q", tc.path, err, tc.want)
		}
	}
}

// valid is a well-formed Waiver the parse cases below break one way each.
const valid = `apiVersion: rtaudit.dev/v1alpha1
kind: Waiver
metadata: {name: w, namespace: prod}
spec:
  containers:
    - name: app
      image: nginx:1.27
  checks: [run-as-user]
  reason: legacy image runs as root
`

func TestParseRejects(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(valid, old) {
			t.Fatalf("valid has no %q", old)
		}
		return strings.Replace(valid, old, new, 1)
	}
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"image required", edit("      image: nginx:1.27\n", ""), "spec.containers[0].image: required: a container name alone is spoofable"},
		{"empty image", edit("image: nginx:1.27", `image: ""`), "image: required"},
		{"no containers", edit("  containers:\n    - name: app\n      image: nginx:1.27\n", ""), "spec.containers: at least one container"},
		{"star alone", edit("image: nginx:1.27", `image: "*"`), "matches every image"},
		{"star inside", edit("image: nginx:1.27", `image: "nginx:*-alpine"`), "only at the end"},
		{"short digest", edit("image: nginx:1.27", "image: sha256:abc"), "64 lowercase hex"},
		{"digest prefix", edit("image: nginx:1.27", "image: nginx@sha256:ab*"), "repo@sha256:"},
		{"unknown check", edit("[run-as-user]", "[run-as-user, frobnicate]"), `spec.checks[1]: unknown check "frobnicate"`},
		{"no checks", edit("[run-as-user]", "[]"), "spec.checks: at least one"},
		{"check twice", edit("[run-as-user]", "[run-as-user, run-as-user]"), "listed twice"},
		{"no reason", edit("  reason: legacy image runs as root\n", ""), "spec.reason is required"},
		{"blank reason", edit("reason: legacy image runs as root", `reason: "  "`), "spec.reason is required"},
		{"unknown field", edit("  reason:", "  reasons: x\n  reason:"), "spec.reasons: unknown field"},
		{"field case", edit("  reason:", "  Reason:"), "spec.Reason: unknown field"},
		{"unknown nested field", edit("image: nginx:1.27", "image: nginx:1.27\n      tag: x"), "spec.containers[0].tag: unknown field"},
		{"unknown selector field", edit("  checks:", "  podSelector: {matchLabel: {a: b}}\n  checks:"), "spec.podSelector.matchLabel: unknown field"},
		{"unknown top field", edit("spec:", "status: {}\nspec:"), "status: unknown field"},
		{"duplicate key", edit("  reason:", "  reason: a\n  reason:"), `key "reason" already set`},
		{"bad selector", edit("  checks:", "  podSelector: {matchExpressions: [{key: a, operator: Near}]}\n  checks:"), "spec.podSelector:"},
		{"waiver without namespace", edit("{name: w, namespace: prod}", "{name: w}"), "metadata.namespace is required"},
		{"waiver with namespaces", edit("  checks:", "  namespaces: [dev]\n  checks:"), "only a ClusterWaiver lists namespaces"},
		{"cluster with namespace", edit("kind: Waiver", "kind: ClusterWaiver"), "a ClusterWaiver is cluster-scoped"},
		{"no name", edit("{name: w, namespace: prod}", "{namespace: prod}"), "metadata.name is required"},
		{"bad name", edit("{name: w,", "{name: W_1,"), `metadata.name "W_1"`},
		{"caps without check", edit("  reason:", "  allow: {capabilities: [NET_ADMIN]}\n  reason:"), `needs "capabilities" in spec.checks`},
		{"unknown cap", edit("[run-as-user]", "[capabilities]\n  allow: {capabilities: [NET_ADMINN]}"), "unknown capability CAP_NET_ADMINN"},
		{"ALL is not a cap", edit("[run-as-user]", "[capabilities]\n  allow: {capabilities: [ALL]}"), "unknown capability CAP_ALL"},
		{"bad expires", edit("  reason:", "  expires: next week\n  reason:"), `spec.expires: parsing time "next week"`},
		{"empty expires", edit("  reason:", "  expires: \"\"\n  reason:"), "spec.expires: parsing time"},
		{"bad apiVersion", edit("rtaudit.dev/v1alpha1", "rtaudit.dev/v1"), `apiVersion "rtaudit.dev/v1"`},
		{"other kind", edit("kind: Waiver", "kind: Pod"), `kind "Pod": want Waiver, ClusterWaiver or a List`},
		{"no kind", edit("kind: Waiver\n", ""), "object has no kind"},
		{"not an object", "[1, 2]", "not an object"},
		{"list of other kinds", `{"kind": "List", "items": [{"kind": "Pod"}]}`, `items[0]: kind "Pod"`},
		{"list item invalid", `{"kind": "List", "items": [{"apiVersion": "rtaudit.dev/v1alpha1", "kind": "ClusterWaiver", "metadata": {"name": "c"}, "spec": {"containers": [{"name": "a"}], "checks": ["privileged"], "reason": "r"}}]}`, "items[0]: ClusterWaiver c: spec.containers[0].image: required"},
		{"list unknown field", `{"kind": "List", "item": []}`, "item: unknown field"},
		{"defined twice", valid + "---\n" + valid, "document 2: Waiver prod/w defined twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	if _, err := Parse([]byte(valid)); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func TestValidateReportsEveryProblemInOneLine(t *testing.T) {
	w := Waiver{}
	w.APIVersion, w.Kind, w.Name, w.Namespace = APIVersion, KindWaiver, "w", "prod"
	err := w.Validate()
	if err == nil {
		t.Fatal("an empty spec validated")
	}
	for _, want := range []string{"Waiver prod/w: ", "spec.containers", "spec.checks", "spec.reason"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}
