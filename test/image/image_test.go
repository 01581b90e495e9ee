package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/containerd/v2/core/images/archive"
	"github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// helloBinary builds a tiny static Go program once per test binary.
func helloBinary(t *testing.T) string {
	t.Helper()
	helloOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rtaudit-image-hello-")
		if err != nil {
			helloErr = err
			return
		}
		src := "package main\n\nfunc main() { println(\"hello\") }\n"
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
			helloErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
			helloErr = err
			return
		}
		helloPath = filepath.Join(dir, "hello")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", helloPath, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOFLAGS=", "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			helloErr = errors.New("go build: " + err.Error() + ": " + string(out))
		}
	})
	if helloErr != nil {
		t.Fatalf("build a static test binary: %v", helloErr)
	}
	// A private copy, so a test may touch its mtime.
	data, err := os.ReadFile(helloPath)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "rtaudit")
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

var (
	helloOnce sync.Once
	helloPath string
	helloErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if helloPath != "" {
		os.RemoveAll(filepath.Dir(helloPath))
	}
	os.Exit(code)
}

func build(t *testing.T, binary, ref string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Build(binary, ref, &buf); err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes()
}

// TestReproducible: the same binary gives the same archive byte for byte,
// whatever its mtime and the time of the build; the ref only changes the
// index, never the manifest.
func TestReproducible(t *testing.T) {
	bin := helloBinary(t)
	a := build(t, bin, DefaultRef)
	if err := os.Chtimes(bin, time.Now().Add(time.Hour), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := build(t, bin, DefaultRef)
	if !bytes.Equal(a, b) {
		t.Fatal("two builds of the same binary differ")
	}
	i1, err := Index(bin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	i2, err := Index(bin, Options{Ref: "registry.example/x/rtaudit:other"})
	if err != nil {
		t.Fatal(err)
	}
	m1, m2 := manifestDigest(t, i1), manifestDigest(t, i2)
	if m1 != m2 {
		t.Errorf("manifest digest depends on the ref: %s vs %s", m1, m2)
	}
	t.Logf("manifest %s, archive %d bytes", m1, len(a))
}

func manifestDigest(t *testing.T, idx v1.ImageIndex) v1.Hash {
	t.Helper()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return im.Manifests[0].Digest
}

// untar unpacks the archive and returns its entry names in order.
func untar(t *testing.T, archive []byte, dir string) []string {
	t.Helper()
	var names []string
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if hdr.Uid != 0 || hdr.Gid != 0 || !hdr.ModTime.Equal(Epoch) {
			t.Errorf("%s: uid %d gid %d mtime %v, want root and %v", hdr.Name, hdr.Uid, hdr.Gid, hdr.ModTime, Epoch)
		}
		p := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: unexpected type %c", hdr.Name, hdr.Typeflag)
		}
	}
}

// TestArchive reads the archive back as an OCI layout and checks the
// index annotations, the config, and the one layer's exact contents.
func TestArchive(t *testing.T) {
	bin := helloBinary(t)
	want, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	names := untar(t, build(t, bin, DefaultRef), dir)
	if !slices.Contains(names, "oci-layout") || !slices.Contains(names, "index.json") {
		t.Fatalf("archive entries %v lack oci-layout or index.json", names)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("archive entries not in lexical order: %v", names)
	}

	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read layout: %v", err)
	}
	if err := validate.Index(idx); err != nil {
		t.Fatalf("validate index (digests, sizes, diff IDs): %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex || len(im.Manifests) != 1 {
		t.Fatalf("index: media type %s, %d manifests; want an OCI index of one", im.MediaType, len(im.Manifests))
	}
	desc := im.Manifests[0]
	if diff := cmp.Diff(map[string]string{
		"io.containerd.image.name":          DefaultRef,
		"org.opencontainers.image.ref.name": "test",
	}, desc.Annotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	if desc.MediaType != types.OCIManifestSchema1 || desc.Platform == nil || desc.Platform.OS != "linux" || desc.Platform.Architecture != runtime.GOARCH {
		t.Errorf("manifest descriptor: %s %+v, want an OCI manifest for linux/%s", desc.MediaType, desc.Platform, runtime.GOARCH)
	}

	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(v1.Config{
		Entrypoint: []string{"/usr/local/bin/rtaudit"},
		Cmd:        []string{"agent"},
		User:       "0:0",
		Env:        Env,
		WorkingDir: "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "rtaudit",
			"org.opencontainers.image.description": "Kubernetes node runtime security auditor (DaemonSet agent)",
			"org.opencontainers.image.source":      "https://github.com/rtaudit/rtaudit",
			"org.opencontainers.image.version":     "devel",
		},
	}, cfg.Config); diff != "" {
		t.Errorf("image config (-want +got):\n%s", diff)
	}
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH || !cfg.Created.Time.Equal(Epoch) {
		t.Errorf("config: %s/%s created %v", cfg.OS, cfg.Architecture, cfg.Created.Time)
	}
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if mf.Config.MediaType != types.OCIConfigJSON || len(mf.Layers) != 1 || mf.Layers[0].MediaType != types.OCILayer {
		t.Fatalf("manifest: config %s, layers %+v; want OCI config and one gzip OCI layer", mf.Config.MediaType, mf.Layers)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	type entry struct {
		Name     string
		Type     byte
		Mode     int64
		UID, GID int
		ModTime  time.Time
	}
	var got []entry
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, entry{hdr.Name, hdr.Typeflag, hdr.Mode, hdr.Uid, hdr.Gid, hdr.ModTime.UTC()})
		if hdr.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, want) {
				t.Errorf("%s: content differs from the binary", hdr.Name)
			}
		}
	}
	if diff := cmp.Diff([]entry{
		{"usr/", tar.TypeDir, 0o755, 0, 0, Epoch},
		{"usr/local/", tar.TypeDir, 0o755, 0, 0, Epoch},
		{"usr/local/bin/", tar.TypeDir, 0o755, 0, 0, Epoch},
		{"usr/local/bin/rtaudit", tar.TypeReg, 0o755, 0, 0, Epoch},
	}, got); diff != "" {
		t.Errorf("layer entries (-want +got):\n%s", diff)
	}
}

// TestContainerdImport feeds the archive to containerd's own importer (the
// code behind `ctr images import` and the Go client's Import) with a local
// content store, then resolves the image for this platform the way
// containerd does. Running it in a live containerd/CRI is the e2e test's.
func TestContainerdImport(t *testing.T) {
	bin := helloBinary(t)
	ctx := context.Background()
	store, err := local.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	indexDesc, err := archive.ImportIndex(ctx, store, bytes.NewReader(build(t, bin, DefaultRef)))
	if err != nil {
		t.Fatalf("containerd ImportIndex: %v", err)
	}
	raw, err := content.ReadBlob(ctx, store, indexDesc)
	if err != nil {
		t.Fatal(err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Annotations[images.AnnotationImageName] != DefaultRef {
		t.Fatalf("imported index manifests %+v: want one named %s", idx.Manifests, DefaultRef)
	}
	m, err := images.Manifest(ctx, store, idx.Manifests[0], platforms.Only(ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}))
	if err != nil {
		t.Fatalf("containerd resolves no manifest for linux/%s: %v", runtime.GOARCH, err)
	}
	cfgRaw, err := content.ReadBlob(ctx, store, m.Config)
	if err != nil {
		t.Fatal(err)
	}
	var cfg ocispec.Image
	if err := json.Unmarshal(cfgRaw, &cfg); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Config.Entrypoint, Entrypoint) || !slices.Equal(cfg.Config.Cmd, Cmd) || cfg.Config.User != User {
		t.Errorf("config as containerd reads it: entrypoint %v cmd %v user %q", cfg.Config.Entrypoint, cfg.Config.Cmd, cfg.Config.User)
	}
	for _, l := range m.Layers {
		if _, err := store.Info(ctx, l.Digest); err != nil {
			t.Errorf("layer %s not in the store after import: %v", l.Digest, err)
		}
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		t.Errorf("%d diff IDs for %d layers", len(cfg.RootFS.DiffIDs), len(m.Layers))
	}
}

func TestRejects(t *testing.T) {
	bin := helloBinary(t)
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, binary, ref, want string
	}{
		{"no registry host", bin, "rtaudit:test", "registry to be explicitly defined"},
		{"digest, not tag", bin, "rtaudit.local/rtaudit@sha256:" + strings.Repeat("0", 64), "registry/repository:tag"},
		{"not ELF", notELF, DefaultRef, "not an ELF executable"},
		{"missing", filepath.Join(t.TempDir(), "nope"), DefaultRef, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Build(tc.binary, tc.ref, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build(%s, %s) = %v, want an error containing %q", tc.binary, tc.ref, err, tc.want)
			}
		})
	}
	// A dynamically linked executable (the host's ls on a glibc system).
	for _, p := range []string{"/bin/ls", "/usr/bin/ls"} {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if _, err := staticArch(data); errors.Is(err, errNotStatic) {
			return
		} else if err == nil {
			t.Logf("%s is static here; nothing to check", p)
			return
		} else {
			t.Errorf("staticArch(%s) = %v, want errNotStatic", p, err)
			return
		}
	}
}

func TestVersionLabel(t *testing.T) {
	idx, err := Index(helloBinary(t), Options{Version: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(manifestDigest(t, idx))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Config.Labels["org.opencontainers.image.version"]; got != "v0.1.0" {
		t.Errorf("version label %q, want v0.1.0", got)
	}
}
