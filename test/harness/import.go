package harness

import (
	"context"
	"fmt"
	"os"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

// Client is a containerd Go client on this instance in the CRI namespace.
// The caller closes it.
func (c *Containerd) Client() (*containerd.Client, error) {
	cl, err := containerd.New(c.Address(), containerd.WithDefaultNamespace(CRINamespace))
	if err != nil {
		return nil, fmt.Errorf("harness: containerd client: %w", err)
	}
	return cl, nil
}

// ImportImages imports OCI archives into namespace k8s.io and unpacks them
// for the overlayfs snapshotter, so CRI finds them without a registry.
func (c *Containerd) ImportImages(ctx context.Context, archives ...string) error {
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx = namespaces.WithNamespace(ctx, CRINamespace)
	for _, a := range archives {
		f, err := os.Open(a)
		if err != nil {
			return fmt.Errorf("harness: %w", err)
		}
		imgs, err := cl.Import(ctx, f, containerd.WithImageLabels(map[string]string{"io.cri-containerd.image": "managed"}))
		f.Close()
		if err != nil {
			return fmt.Errorf("harness: import %s: %w", a, err)
		}
		for _, img := range imgs {
			if err := containerd.NewImage(cl, img).Unpack(ctx, "overlayfs"); err != nil {
				return fmt.Errorf("harness: unpack %s: %w", img.Name, err)
			}
		}
	}
	return nil
}

// DefaultCacheDir is where built archives and helper binaries are kept.
func DefaultCacheDir() string {
	if d := os.Getenv("RTAUDIT_HARNESS_CACHE"); d != "" {
		return d
	}
	return "/var/tmp/rtaudit-harness-cache"
}

// PrepareImages builds (or reuses) the archives and imports them.
func (c *Containerd) PrepareImages(ctx context.Context, cacheDir string) error {
	a, err := BuildImages(cacheDir)
	if err != nil {
		return err
	}
	return c.ImportImages(ctx, a.Pause, a.Busybox)
}
