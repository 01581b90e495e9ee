package image

import (
	"archive/tar"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	// BinaryPath is where the image holds the binary (the Dockerfile's COPY
	// target and ENTRYPOINT).
	BinaryPath = "/usr/local/bin/rtaudit"
	// DefaultRef names the image when the caller has no better name.
	DefaultRef = "rtaudit.local/rtaudit:test"

	// AnnotationImageName is containerd's index annotation naming the image
	// on import (images.AnnotationImageName, not imported to keep this
	// package light).
	AnnotationImageName = "io.containerd.image.name"
	// AnnotationRefName is the OCI image-layout ref annotation; like
	// containerd's own exporter, it holds only the tag.
	AnnotationRefName = "org.opencontainers.image.ref.name"

	source = "https://github.com/rtaudit/rtaudit"
)

// Epoch is the time stamped on every layer entry, the config's created
// field and its history, so the digest depends on the binary alone.
var Epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Entrypoint, Cmd and User are the image config the Dockerfile sets too.
var (
	Entrypoint = []string{BinaryPath}
	Cmd        = []string{"agent"}
	User       = "0:0"
	Env        = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
)

// Options are what the archive records beside the binary.
type Options struct {
	// Ref names the image: a fully qualified tag (DefaultRef when empty).
	Ref string
	// Version is the org.opencontainers.image.version label ("devel" when
	// empty), as the Dockerfile's VERSION build argument. Go records no
	// -ldflags in a -trimpath binary, so it cannot be read back from it.
	Version string
}

// Build writes the OCI image-layout archive of the image holding binary,
// named ref (a fully qualified tag, e.g. DefaultRef), to w.
func Build(binary, ref string, w io.Writer) error {
	idx, err := Index(binary, Options{Ref: ref})
	if err != nil {
		return err
	}
	return WriteArchive(idx, w)
}

// Index returns the image index of the image holding binary, with one
// manifest annotated with o.Ref. binary must be a static Linux ELF
// executable; the image's architecture is taken from it.
func Index(binary string, o Options) (v1.ImageIndex, error) {
	ref := o.Ref
	if ref == "" {
		ref = DefaultRef
	}
	tag, err := parseRef(ref)
	if err != nil {
		return nil, err
	}
	img, err := Image(binary, o.Version)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	return mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add: img,
		Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture},
			Annotations: map[string]string{
				AnnotationImageName: ref,
				AnnotationRefName:   tag.TagStr(),
			},
		},
	}), nil
}

// Image returns the one-layer image holding binary at BinaryPath, labelled
// with version ("devel" when empty).
func Image(binary, version string) (v1.Image, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	arch, err := staticArch(data)
	if err != nil {
		return nil, fmt.Errorf("image: %s: %w", binary, err)
	}
	layerTar, err := binaryLayer(data)
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(9), tarball.WithCompressedCaching)
	if err != nil {
		return nil, fmt.Errorf("image: layer: %w", err)
	}
	created := v1.Time{Time: Epoch}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: arch,
		OS:           "linux",
		Created:      created,
		Config: v1.Config{
			Entrypoint: Entrypoint,
			Cmd:        Cmd,
			User:       User,
			Env:        Env,
			WorkingDir: "/",
			Labels:     labels(binary, version),
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, fmt.Errorf("image: config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "COPY rtaudit " + BinaryPath},
	})
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	return img, nil
}

// WriteArchive writes idx as an OCI image layout (oci-layout, index.json,
// blobs/sha256/...) in a tar stream. go-containerregistry writes layouts to
// directories only; this tars that directory with fixed modes, owners and
// times, in lexical order.
func WriteArchive(idx v1.ImageIndex, w io.Writer) error {
	dir, err := os.MkdirTemp("", "rtaudit-image-")
	if err != nil {
		return fmt.Errorf("image: %w", err)
	}
	defer os.RemoveAll(dir)
	if _, err := layout.Write(dir, idx); err != nil {
		return fmt.Errorf("image: write layout: %w", err)
	}
	tw := tar.NewWriter(w)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: Epoch, Format: tar.FormatPAX}
		if d.IsDir() {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, hdr.Name+"/", 0o755
			return tw.WriteHeader(hdr)
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("unexpected file type %s in layout", rel)
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, fi.Size()
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("image: archive: %w", err)
	}
	return nil
}

// parseRef accepts a fully qualified tag reference only: containerd's CRI
// finds images by their normalized name, so "rtaudit:test" (which it would
// know as docker.io/library/rtaudit:test) is refused rather than guessed.
func parseRef(ref string) (name.Tag, error) {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image: reference %q: give a fully qualified registry/repository:tag like %s: %w", ref, DefaultRef, err)
	}
	return tag, nil
}

// elfArch maps ELF machines to OCI architectures.
var elfArch = map[elf.Machine]string{
	elf.EM_X86_64:  "amd64",
	elf.EM_AARCH64: "arm64",
	elf.EM_ARM:     "arm",
	elf.EM_PPC64:   "ppc64le",
	elf.EM_S390:    "s390x",
	elf.EM_RISCV:   "riscv64",
	elf.EM_386:     "386",
}

// errNotStatic: the image has no libc or dynamic loader.
var errNotStatic = errors.New("dynamically linked (has a PT_INTERP program header): the image has no dynamic loader; build with CGO_ENABLED=0")

// staticArch returns the OCI architecture of a static Linux ELF executable.
func staticArch(data []byte) (string, error) {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return "", fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", fmt.Errorf("ELF type %s is not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", errNotStatic
		}
	}
	arch, ok := elfArch[f.Machine]
	if !ok {
		return "", fmt.Errorf("unsupported ELF machine %s", f.Machine)
	}
	if arch == "ppc64le" && f.ByteOrder.String() != "LittleEndian" {
		arch = "ppc64"
	}
	return arch, nil
}

// binaryLayer is the uncompressed layer: the parent directories and the
// binary, root-owned, at Epoch.
func binaryLayer(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	p := strings.TrimPrefix(BinaryPath, "/")
	var dirs []string
	for d := filepath.Dir(p); d != "."; d = filepath.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: Epoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: p, Mode: 0o755, Size: int64(len(bin)), ModTime: Epoch, Format: tar.FormatPAX}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// labels are the Dockerfile's OCI labels; the revision comes from the
// binary's build info (vcs.revision, stamped when built in a git checkout).
func labels(binary, version string) map[string]string {
	if version == "" {
		version = "devel"
	}
	l := map[string]string{
		"org.opencontainers.image.title":       "rtaudit",
		"org.opencontainers.image.description": "Kubernetes node runtime security auditor (DaemonSet agent)",
		"org.opencontainers.image.source":      source,
		"org.opencontainers.image.version":     version,
	}
	if bi, err := buildinfo.ReadFile(binary); err == nil {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				l["org.opencontainers.image.revision"] = s.Value
			}
		}
	}
	return l
}
