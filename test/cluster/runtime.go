package cluster

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rtaudit/rtaudit/test/harness"
)

// RuntimeEnv picks the cluster's container runtime when Options.Runtime is
// empty: "containerd" (the default) or "crio" (CRI-O from
// $RTAUDIT_CRIO, its default OCI runtime from $RTAUDIT_CRIO_RUNTIME; make
// test-crio-kubelet sets both).
const RuntimeEnv = "RTAUDIT_CLUSTER_RUNTIME"

// crioDir is the CRI-O instance directory inside the cluster's.
func (l layout) crio() string { return filepath.Join(l.dir, "crio") }

func completeRuntime(o *Options) error {
	o.Runtime = cmp.Or(o.Runtime, os.Getenv(RuntimeEnv), harness.RuntimeContainerd)
	switch o.Runtime {
	case harness.RuntimeContainerd, harness.RuntimeCRIO:
		return nil
	}
	return fmt.Errorf("cluster: runtime %q (%s): want %s or %s", o.Runtime, RuntimeEnv, harness.RuntimeContainerd, harness.RuntimeCRIO)
}

// runtimeAvailable reports why the chosen runtime cannot run here, or nil.
func runtimeAvailable(o Options) error {
	if err := completeRuntime(&o); err != nil {
		return err
	}
	if o.Runtime == harness.RuntimeCRIO {
		return harness.CheckCRIOPrerequisites(harness.CRIOOptions{Binary: o.CRIO, Runc: o.Runc})
	}
	return harness.Available()
}

// startRuntime starts the cluster's CRI runtime with the test images in
// its image store, and records it.
func (c *Cluster) startRuntime(ctx context.Context) error {
	o := c.rec.Options
	c.rec.Runtime = o.Runtime
	if o.Runtime == harness.RuntimeCRIO {
		// CRI-O loads the images into its storage before it starts.
		rt, err := harness.StartCRIO(ctx, harness.CRIOOptions{
			Dir: c.lay.crio(), Binary: o.CRIO, Runc: o.Runc, Detach: o.Detach,
		}, o.ImageCacheDir)
		if err != nil {
			return err
		}
		c.rt, c.rec.RuntimeDir = rt, rt.Dir()
		return nil
	}
	cd, err := harness.StartContainerd(ctx, harness.Options{
		Dir: c.lay.containerd(), Binary: o.Containerd, Runc: o.Runc, Detach: o.Detach,
	})
	if err != nil {
		return err
	}
	c.cd, c.rt = cd, cd
	c.rec.Containerd = cd.Dir()
	return cd.PrepareImages(ctx, o.ImageCacheDir)
}

// attachRuntime finds the runtime a record names, when it left one.
func (c *Cluster) attachRuntime() {
	if c.rt != nil {
		return
	}
	switch {
	case c.rec.Runtime == harness.RuntimeCRIO && c.rec.RuntimeDir != "":
		if rt, err := harness.AttachCRIO(c.rec.RuntimeDir); err == nil {
			c.rt = rt
		}
	case c.rec.Containerd != "":
		if cd, err := harness.Attach(c.rec.Containerd); err == nil {
			c.cd, c.rt = cd, cd
		}
	}
}

// Runtime is the harness handle on the cluster's CRI runtime, containerd
// or CRI-O (CRI clients, its daemon, an exec as any user). Never launch
// pods on it with the harness launcher: the kubelet removes sandboxes it
// did not create.
func (c *Cluster) Runtime() harness.Runtime { return c.rt }

// RuntimeName is the cluster's runtime: "containerd" or "crio".
func (c *Cluster) RuntimeName() string {
	return cmp.Or(c.rec.Runtime, harness.RuntimeContainerd)
}
