package cri

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedInfos adds the verbose info documents of testdata whose names match
// glob, and a few broken shapes, as seeds.
func seedInfos(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", glob))
	if len(files) == 0 {
		f.Fatalf("no seed matches testdata/*/%s", glob)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, s := range []string{
		`{}`, `null`, `{"pid": -1}`, `{"pid": 1e99}`, `{"pid": "12"}`,
		`{"config": null, "runtimeSpec": {}}`, `{"config": 5}`, `{"runtimeSpec": []}`,
		`{"runtimeSpec": {"process": null, "linux": {"namespaces": [{"type": "pid", "path": 7}]}}}`,
		`{"config": {"linux": {"security_context": {"capabilities": {"add_capabilities": [1]}}}}}`,
		`{"privileged": "yes"}`, `{"sandboxID": {}}`, `[`, "\x00",
	} {
		f.Add(s)
	}
}

// oneLine fails when err's message spans lines: it reaches a report's
// errors list and the CLI's one-line error.
func oneLine(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.ContainsAny(err.Error(), "\n\r") {
		t.Errorf("error of more than one line: %q", err.Error())
	}
}

// FuzzContainerInfo: whatever a runtime (or something posing as one) puts
// in a ContainerStatus verbose "info" document, parsing it never panics
// and a parse error is one line.
func FuzzContainerInfo(f *testing.F) {
	seedInfos(f, "container_info.json")
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := parseContainerInfo(map[string]string{infoKey: doc})
		oneLine(t, err)
		if doc == "" && (err != nil || v.PID != 0 || v.Spec != nil || v.Config != nil) {
			t.Errorf("an empty document gave %+v, %v", v, err)
		}
	})
}

// FuzzSandboxInfo: the same for a PodSandboxStatus verbose "info".
func FuzzSandboxInfo(f *testing.F) {
	seedInfos(f, "sandbox_info*.json")
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := parseSandboxInfo(map[string]string{infoKey: doc})
		oneLine(t, err)
		if doc == "" && (err != nil || v.PID != 0 || v.Spec != nil || v.Config != nil) {
			t.Errorf("an empty document gave %+v, %v", v, err)
		}
	})
}
