package cri

import (
	"os"
	"path/filepath"
	"testing"
)

// The verbose documents are the largest part of a scan's CPU: these
// benchmarks keep their decoding cost in view (make bench).
func BenchmarkParseContainerInfo(b *testing.B) {
	doc := benchDoc(b, "container_info.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseContainerInfo(map[string]string{infoKey: doc}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSandboxInfo(b *testing.B) {
	doc := benchDoc(b, "sandbox_info.json")
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSandboxInfo(map[string]string{infoKey: doc}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDoc(b *testing.B, name string) string {
	raw, err := os.ReadFile(filepath.Join("testdata", "containerd-1.6.20", name))
	if err != nil {
		b.Fatal(err)
	}
	return string(raw)
}
