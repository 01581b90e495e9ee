package harness

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Lab is a running private containerd with the test images imported and a
// launcher on it.
type Lab struct {
	*Containerd
	Launcher *Launcher
	// UpTime is how long start-up took: containerd ready, images built (or
	// found in the cache) and imported.
	UpTime time.Duration
}

// StartLab starts containerd in o.Dir, prepares the images from cacheDir
// ("" for DefaultCacheDir) and returns a lab. On error nothing is left
// running.
func StartLab(ctx context.Context, o Options, cacheDir string) (*Lab, error) {
	start := time.Now()
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	c, err := StartContainerd(ctx, o)
	if err != nil {
		return nil, err
	}
	if err := c.PrepareImages(ctx, cacheDir); err != nil {
		_ = c.Stop()
		return nil, err
	}
	l, err := NewLauncher(c)
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	return &Lab{Containerd: c, Launcher: l, UpTime: time.Since(start)}, nil
}

// AttachLab returns a lab on an instance started earlier in dir (labctl).
func AttachLab(dir string) (*Lab, error) {
	c, err := Attach(dir)
	if err != nil {
		return nil, err
	}
	if !c.alive() {
		return nil, fmt.Errorf("harness: containerd of %s (pid %d) is not running", dir, c.pid)
	}
	l, err := NewLauncher(c)
	if err != nil {
		return nil, err
	}
	return &Lab{Containerd: c, Launcher: l}, nil
}

// Available reports why a lab cannot start here, or nil.
func Available() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("harness: needs root (euid %d)", os.Geteuid())
	}
	return CheckPrerequisites(Options{})
}
