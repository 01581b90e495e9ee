package harness

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Users and groups baked into the busybox image's /etc/passwd and /etc/group.
const (
	AppUID     = 1000 // user "app"
	AppGID     = 1000 // group "app"
	ExtraGID   = 2000 // group "extra", lists "app" as a member
	EscalateAt = "/usr/local/bin/escalate"
)

// epoch is the fixed mtime of every archive entry, so archives are
// reproducible and their digests cacheable.
var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Archives are the OCI image-layout tarballs the harness imports.
type Archives struct {
	Busybox string
	Pause   string
}

// BuildImages builds (or finds in cacheDir) the busybox and pause archives.
func BuildImages(cacheDir string) (Archives, error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return Archives{}, fmt.Errorf("harness: %w", err)
	}
	pause, err := buildHelper("pause", cacheDir)
	if err != nil {
		return Archives{}, err
	}
	escalate, err := buildHelper("escalate", cacheDir)
	if err != nil {
		return Archives{}, err
	}
	bb, err := busyboxLayer(escalate)
	if err != nil {
		return Archives{}, err
	}
	bbPath, err := writeArchive(cacheDir, "busybox", BusyboxImage, bb, ocispec.ImageConfig{
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Cmd: []string{"sh"},
	})
	if err != nil {
		return Archives{}, err
	}
	pl, err := pauseLayer(pause)
	if err != nil {
		return Archives{}, err
	}
	pausePath, err := writeArchive(cacheDir, "pause", PauseImage, pl, ocispec.ImageConfig{
		Entrypoint: []string{"/pause"},
		User:       "65535:65535",
	})
	if err != nil {
		return Archives{}, err
	}
	return Archives{Busybox: bbPath, Pause: pausePath}, nil
}

// layerWriter writes a deterministic tar layer.
type layerWriter struct {
	buf bytes.Buffer
	tw  *tar.Writer
}

func newLayer() *layerWriter {
	l := &layerWriter{}
	l.tw = tar.NewWriter(&l.buf)
	return l
}

func (l *layerWriter) dir(name string, mode int64, uid int) error {
	return l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: uid, Gid: uid, ModTime: epoch})
}

func (l *layerWriter) file(name string, mode int64, data []byte) error {
	if err := l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return err
	}
	_, err := l.tw.Write(data)
	return err
}

func (l *layerWriter) symlink(name, target string) error {
	return l.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: epoch})
}

func (l *layerWriter) bytes() ([]byte, error) {
	if err := l.tw.Close(); err != nil {
		return nil, err
	}
	return l.buf.Bytes(), nil
}

const passwd = `root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`

const group = `root:x:0:
app:x:1000:
extra:x:2000:app
nogroup:x:65534:
`

// busyboxLayer lays out busybox-static with a link per applet, users and
// groups, and the setuid-root escalate helper.
func busyboxLayer(escalate string) ([]byte, error) {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return nil, fmt.Errorf("harness: read /bin/busybox (install busybox-static): %w", err)
	}
	out, err := exec.Command("/bin/busybox", "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("harness: busybox --list-full: %w", err)
	}
	esc, err := os.ReadFile(escalate)
	if err != nil {
		return nil, err
	}
	l := newLayer()
	dirs := []struct {
		name string
		mode int64
		uid  int
	}{
		{"bin", 0o755, 0}, {"dev", 0o755, 0}, {"etc", 0o755, 0}, {"home", 0o755, 0},
		{"home/app", 0o755, AppUID}, {"proc", 0o555, 0}, {"root", 0o700, 0}, {"run", 0o755, 0},
		{"sbin", 0o755, 0}, {"sys", 0o555, 0}, {"tmp", 0o1777, 0}, {"usr", 0o755, 0},
		{"usr/bin", 0o755, 0}, {"usr/local", 0o755, 0}, {"usr/local/bin", 0o755, 0},
		{"usr/sbin", 0o755, 0}, {"var", 0o755, 0},
	}
	for _, d := range dirs {
		if err := l.dir(d.name, d.mode, d.uid); err != nil {
			return nil, err
		}
	}
	if err := l.file("bin/busybox", 0o755, bin); err != nil {
		return nil, err
	}
	applets := strings.Fields(string(out))
	sort.Strings(applets)
	for _, a := range applets {
		if a == "bin/busybox" || strings.Count(a, "/") == 0 {
			continue
		}
		if err := l.symlink(a, "/bin/busybox"); err != nil {
			return nil, err
		}
	}
	if err := l.file("etc/passwd", 0o644, []byte(passwd)); err != nil {
		return nil, err
	}
	if err := l.file("etc/group", 0o644, []byte(group)); err != nil {
		return nil, err
	}
	// setuid root: the kernel raises euid to 0 on exec unless no_new_privs.
	if err := l.file(strings.TrimPrefix(EscalateAt, "/"), 0o4755, esc); err != nil {
		return nil, err
	}
	return l.bytes()
}

func pauseLayer(pause string) ([]byte, error) {
	bin, err := os.ReadFile(pause)
	if err != nil {
		return nil, err
	}
	l := newLayer()
	if err := l.file("pause", 0o755, bin); err != nil {
		return nil, err
	}
	return l.bytes()
}

// writeArchive writes a one-layer OCI image layout tarball named after the
// content digest, unless it already exists.
func writeArchive(cacheDir, base, ref string, layer []byte, cfg ocispec.ImageConfig) (string, error) {
	layerDigest := digest.FromBytes(layer)
	config := ocispec.Image{
		Created:  &epoch,
		Platform: ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		Config:   cfg,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layerDigest}},
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return "", err
	}
	manifest := ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    ocispec.Descriptor{MediaType: ocispec.MediaTypeImageConfig, Digest: digest.FromBytes(configJSON), Size: int64(len(configJSON))},
		Layers:    []ocispec.Descriptor{{MediaType: ocispec.MediaTypeImageLayer, Digest: layerDigest, Size: int64(len(layer))}},
	}
	manifestJSON, err := json.Marshal(manifest)
	if err != nil {
		return "", err
	}
	tag := ref[strings.LastIndex(ref, ":")+1:]
	index := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageManifest,
			Digest:    digest.FromBytes(manifestJSON),
			Size:      int64(len(manifestJSON)),
			Platform:  &ocispec.Platform{Architecture: runtime.GOARCH, OS: "linux"},
			Annotations: map[string]string{
				"io.containerd.image.name": ref,
				ocispec.AnnotationRefName:  tag,
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(indexJSON)
	path := filepath.Join(cacheDir, base+"-"+hex.EncodeToString(sum[:])[:16]+".tar")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	l := newLayer()
	if err := l.file("oci-layout", 0o644, []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return "", err
	}
	if err := l.file("index.json", 0o644, indexJSON); err != nil {
		return "", err
	}
	for _, blob := range [][]byte{layer, configJSON, manifestJSON} {
		if err := l.file("blobs/sha256/"+digest.FromBytes(blob).Encoded(), 0o644, blob); err != nil {
			return "", err
		}
	}
	data, err := l.bytes()
	if err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}
