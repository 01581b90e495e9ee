package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rtaudit/rtaudit/test/internal/cleanup"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Stop removes every pod through CRI, stops containerd, kills the shims and
// containers of this instance only (matched by its socket and its runc and
// crun roots), unmounts what is left under Dir, deletes the CNI bridge and
// the cgroup parent, and removes Dir unless KeepDir. It is idempotent and
// safe to call from t.Cleanup and a signal handler at once.
func (c *Containerd) Stop() error {
	// Concurrent callers wait for the first one to finish.
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Containerd) stop() error {
	c.drain(2 * time.Minute)
	var errs []error
	if c.alive() {
		if err := c.removeAllPods(); err != nil {
			errs = append(errs, err)
		}
	}
	c.closeConn()
	c.stopDaemon()
	c.killContainers()
	killShims(c.lay.socket())
	if err := cleanup.UnmountUnder(c.opts.Dir); err != nil {
		errs = append(errs, err)
	}
	cleanup.DeleteLink(c.opts.Bridge)
	removeCgroupParent(c.opts.CgroupParent)
	releaseSlot(c.opts.Dir, c.opts.Bridge)
	_ = os.Remove(c.lay.pidFile())
	_ = os.Remove(c.lay.instanceFile())
	if !c.opts.KeepDir {
		if err := os.RemoveAll(c.opts.Dir); err != nil {
			errs = append(errs, fmt.Errorf("harness: remove %s: %w", c.opts.Dir, err))
		}
	}
	return errors.Join(errs...)
}

// removeAllPods stops and removes every sandbox, which also tears down the
// pod network namespaces and IP allocations through CNI.
func (c *Containerd) removeAllPods() error {
	rt, err := c.RuntimeService()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	list, err := rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return fmt.Errorf("harness: list sandboxes: %w", err)
	}
	var errs []error
	for _, sb := range list.Items {
		if _, err := rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("harness: stop sandbox %s: %w", sb.Id, err))
			continue
		}
		if _, err := rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: sb.Id}); err != nil {
			errs = append(errs, fmt.Errorf("harness: remove sandbox %s: %w", sb.Id, err))
		}
	}
	return errors.Join(errs...)
}

// stopDaemon stops this instance's containerd: SIGTERM, then SIGKILL
// after 10 seconds.
func (c *Containerd) stopDaemon() {
	if !c.alive() {
		return
	}
	cleanup.Terminate(10*time.Second, c.alive, func(sig syscall.Signal) { _ = syscall.Kill(c.pid, sig) })
}

// killContainers removes whatever runc (and crun) still run under this
// instance's private runtime roots (one directory per namespace).
func (c *Containerd) killContainers() {
	killUnder(c.opts.Runc, c.lay.runcRoot())
	if c.opts.Crun != "" {
		crun := c.opts.Crun
		if _, err := os.Stat(c.lay.crunWrapper()); err == nil {
			crun = c.lay.crunWrapper()
		}
		killUnder(crun, c.lay.crunRoot())
	}
}

// killUnder kills and deletes every container of runtime (runc or crun,
// which share these commands) under root/<namespace>/<id>.
func killUnder(runtime, runtimeRoot string) {
	nsDirs, _ := os.ReadDir(runtimeRoot)
	for _, ns := range nsDirs {
		root := filepath.Join(runtimeRoot, ns.Name())
		ids, _ := os.ReadDir(root)
		for _, id := range ids {
			_ = exec.Command(runtime, "--root", root, "kill", id.Name(), "KILL").Run()
			_ = exec.Command(runtime, "--root", root, "delete", "--force", id.Name()).Run()
		}
	}
}

// killShims kills the containerd-shim processes serving this instance: their
// command line carries "-address <socket>".
func killShims(socket string) {
	for _, pid := range pidsWithArg("containerd-shim", socket) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// processIsContainerd tells whether pid is a containerd serving socket.
func processIsContainerd(pid int, socket string) bool {
	for _, p := range pidsWithArg("containerd", socket) {
		if p == pid {
			return true
		}
	}
	return false
}

// pidsWithArg lists processes whose argv[0] base name starts with prefix and
// whose arguments include arg.
func pidsWithArg(prefix, arg string) []int {
	return cleanup.FindProcesses(func(_ int, args []string) bool {
		return strings.HasPrefix(filepath.Base(args[0]), prefix) &&
			slices.ContainsFunc(args[1:], func(a string) bool { return a == arg || a == "unix://"+arg })
	})
}

// removeCgroupParent removes the (by now empty) cgroup tree of this instance
// from every mounted hierarchy.
func removeCgroupParent(parent string) {
	if parent == "" || parent == "/" {
		return
	}
	for _, dir := range cleanup.CgroupDirs(parent) {
		removeTree(dir)
	}
}

// removeTree rmdirs a cgroup directory tree bottom-up (cgroup directories
// are removed with rmdir, not unlink of their files).
func removeTree(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() {
			removeTree(filepath.Join(dir, e.Name()))
		}
	}
	for i := 0; i < 20; i++ {
		if err := syscall.Rmdir(dir); err == nil || errors.Is(err, syscall.ENOENT) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// SweepStale stops what dead instances left in directories matching glob
// (a test binary killed before its clean-up ran): their containerd is gone
// but shims, containers, mounts, bridges and cgroups may remain.
func SweepStale(glob string) {
	dirs, _ := filepath.Glob(glob)
	for _, d := range dirs {
		c, err := Attach(d)
		if err != nil || c.alive() {
			continue
		}
		_ = c.Stop()
	}
}
