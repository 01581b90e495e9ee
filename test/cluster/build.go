package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Version is the Kubernetes release the cluster runs.
const (
	Version        = "v1.37.2"
	stagingVersion = "v0.37.2" // the k8s.io/* staging modules of Version
)

// Binaries are the paths of the built Kubernetes programs.
type Binaries struct {
	APIServer string
	Kubelet   string
	Kubectl   string
}

// BuildTimes records how long each binary took to build (zero when cached).
type BuildTimes map[string]time.Duration

// programs are built in this order; the first two are what Start needs.
var programs = []string{"kube-apiserver", "kubelet", "kubectl"}

// DefaultCacheDir is where built binaries are kept, one directory per
// version, outside the repository so a machine builds them once.
func DefaultCacheDir() string {
	if d := os.Getenv("RTAUDIT_K8S_CACHE"); d != "" {
		return d
	}
	return filepath.Join("/var/cache/rtaudit", "k8s-"+Version)
}

func binariesIn(cacheDir string) Binaries {
	return Binaries{
		APIServer: filepath.Join(cacheDir, "kube-apiserver"),
		Kubelet:   filepath.Join(cacheDir, "kubelet"),
		Kubectl:   filepath.Join(cacheDir, "kubectl"),
	}
}

// Cached reports whether the binaries Start needs are in cacheDir.
func Cached(cacheDir string) bool {
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	b := binariesIn(cacheDir)
	return isExecutable(b.APIServer) && isExecutable(b.Kubelet)
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Build builds kube-apiserver, kubelet and kubectl of Version into cacheDir
// ("" for DefaultCacheDir) unless they are there already. Concurrent callers
// (test packages run in parallel) wait on a lock file instead of building
// twice. A cold build takes minutes; a cached one returns at once.
func Build(ctx context.Context, cacheDir string) (Binaries, BuildTimes, error) {
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	bins := binariesIn(cacheDir)
	times := BuildTimes{}
	if allBuilt(cacheDir) {
		return bins, times, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return bins, times, fmt.Errorf("cluster: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cacheDir, ".lock"))
	if err != nil {
		return bins, times, err
	}
	defer unlock()
	src := filepath.Join(cacheDir, "src")
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		if err := prepareSource(ctx, src); err != nil {
			return bins, times, err
		}
	}
	for _, p := range programs {
		out := filepath.Join(cacheDir, p)
		if isExecutable(out) {
			continue
		}
		start := time.Now()
		if err := goBuild(ctx, src, p, out); err != nil {
			return bins, times, err
		}
		times[p] = time.Since(start)
	}
	return bins, times, nil
}

func allBuilt(cacheDir string) bool {
	for _, p := range programs {
		if !isExecutable(filepath.Join(cacheDir, p)) {
			return false
		}
	}
	return true
}

// lockFile takes an exclusive flock, polling so ctx can cancel the wait.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("cluster: lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("cluster: waiting for another build (%s): %w", path, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// goEnv is the environment of every go command here: outside any
// workspace, free to update go.mod/go.sum of the copied module.
func goEnv() []string {
	return append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
}

// prepareSource downloads k8s.io/kubernetes@Version, copies it to dst and
// points its staging replaces at the published k8s.io modules: the module
// zip omits staging/, which holds nested modules.
func prepareSource(ctx context.Context, dst string) error {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", "k8s.io/kubernetes@"+Version)
	cmd.Dir = os.TempDir()
	cmd.Env = goEnv()
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("cluster: go mod download k8s.io/kubernetes@%s: %v%s", Version, err, stderrOf(err))
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return fmt.Errorf("cluster: go mod download: %w", err)
	}
	if mod.Error != "" || mod.Dir == "" {
		return fmt.Errorf("cluster: go mod download k8s.io/kubernetes@%s: %s", Version, mod.Error)
	}
	tmp := dst + ".tmp"
	_ = os.RemoveAll(tmp)
	if err := copyTree(mod.Dir, tmp); err != nil {
		return fmt.Errorf("cluster: copy %s: %w", mod.Dir, err)
	}
	gomod := filepath.Join(tmp, "go.mod")
	data, err := os.ReadFile(gomod)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	rewritten, n := rewriteStagingReplaces(data, stagingVersion)
	if n == 0 {
		return fmt.Errorf("cluster: %s has no staging replace to rewrite", gomod)
	}
	if err := os.WriteFile(gomod, rewritten, 0o644); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	_ = os.RemoveAll(dst)
	return os.Rename(tmp, dst)
}

var stagingReplace = regexp.MustCompile(`(?m)^(\s*)(k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._-]+\s*$`)

// rewriteStagingReplaces turns "k8s.io/X => ./staging/src/k8s.io/X" into
// "k8s.io/X => k8s.io/X <version>" and counts the lines rewritten.
func rewriteStagingReplaces(gomod []byte, version string) ([]byte, int) {
	n := 0
	out := stagingReplace.ReplaceAllFunc(gomod, func(line []byte) []byte {
		n++
		m := stagingReplace.FindSubmatch(line)
		return []byte(string(m[1]) + string(m[2]) + " => " + string(m[2]) + " " + version)
	})
	return out, n
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			return copyFile(path, target)
		default: // the module cache holds no links or devices
			return nil
		}
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ldflags stamps the version in both copies of it (component-base for the
// servers, client-go for kubectl's client version).
func ldflags() string {
	var b strings.Builder
	b.WriteString("-s -w")
	for _, pkg := range []string{"k8s.io/component-base/version", "k8s.io/client-go/pkg/version"} {
		fmt.Fprintf(&b, " -X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=37 -X %s.gitTreeState=clean", pkg, Version, pkg, pkg, pkg)
	}
	return b.String()
}

// goBuild builds ./cmd/<name> niced, so it shares the machine politely.
func goBuild(ctx context.Context, src, name, out string) error {
	args := []string{"build", "-trimpath", "-ldflags", ldflags(), "-o", out + ".tmp", "./cmd/" + name}
	var cmd *exec.Cmd
	if nice, err := exec.LookPath("nice"); err == nil {
		cmd = exec.CommandContext(ctx, nice, append([]string{"-n", "10", "go"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "go", args...)
	}
	cmd.Dir = src
	cmd.Env = goEnv()
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("cluster: build %s: %v: %s", name, err, lastLines(string(msg), 20))
	}
	return os.Rename(out+".tmp", out)
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
