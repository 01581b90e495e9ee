package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rtaudit/rtaudit/test/internal/cleanup"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// importImages copies the test archives into CRI-O's private
// containers-storage with skopeo, before crio starts (CRI-O has no import
// call, and the lab has no registry).
func (c *CRIO) importImages(ctx context.Context, cacheDir string) error {
	a, err := BuildImages(cacheDir)
	if err != nil {
		return err
	}
	for _, img := range []struct{ archive, name string }{{a.Pause, PauseImage}, {a.Busybox, BusyboxImage}} {
		cmd := exec.CommandContext(ctx, "skopeo", "--policy", c.lay.policy(), "copy", "--quiet",
			"oci-archive:"+img.archive, c.lay.storageRef(img.name))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("harness: skopeo copy %s: %v: %s", img.name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// Stop removes every pod through CRI, stops crio, kills what its
// runtimes still run under the lab's runtime roots and the conmon
// processes of the lab, unmounts what is left under Dir, deletes the
// bridge and cgroup parent and removes Dir. Idempotent.
func (c *CRIO) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *CRIO) stop() error {
	var errs []error
	if c.alive() {
		if err := c.removeAllPods(); err != nil {
			errs = append(errs, err)
		}
	}
	c.closeConn()
	if c.alive() {
		cleanup.Terminate(10*time.Second, c.alive, func(sig syscall.Signal) { _ = syscall.Kill(c.pid, sig) })
	}
	for _, h := range []string{"runc", "crun"} {
		root := c.lay.runtimeRoot(h)
		ids, _ := os.ReadDir(root)
		for _, id := range ids {
			_ = exec.Command(c.lay.wrapper(h), "--root", root, "kill", id.Name(), "KILL").Run()
			_ = exec.Command(c.lay.wrapper(h), "--root", root, "delete", "--force", id.Name()).Run()
		}
	}
	// conmon's arguments name the container's bundle or log under Dir.
	for _, pid := range cleanup.FindProcesses(func(_ int, args []string) bool {
		if filepath.Base(args[0]) != "conmon" {
			return false
		}
		for _, a := range args[1:] {
			if strings.HasPrefix(a, c.opts.Dir+"/") {
				return true
			}
		}
		return false
	}) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := cleanup.UnmountUnder(c.opts.Dir); err != nil {
		errs = append(errs, err)
	}
	cleanup.DeleteLink(c.opts.Bridge)
	removeCgroupParent(c.opts.CgroupParent)
	releaseSlot(c.opts.Dir, c.opts.Bridge)
	if err := os.RemoveAll(c.opts.Dir); err != nil {
		errs = append(errs, fmt.Errorf("harness: remove %s: %w", c.opts.Dir, err))
	}
	return errors.Join(errs...)
}

// removeAllPods kills every container (StopContainer with no grace: CRI-O's
// StopPodSandbox would wait each container's full grace period, which the
// kubelet's pods set to 30 s), then stops and removes every sandbox.
func (c *CRIO) removeAllPods() error {
	rt, err := c.RuntimeService()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ctrs, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
	if err != nil {
		return fmt.Errorf("harness: list containers: %w", err)
	}
	var wg sync.WaitGroup
	for _, ctr := range ctrs.Containers {
		if ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
			continue
		}
		wg.Go(func() {
			_, _ = rt.StopContainer(ctx, &runtimeapi.StopContainerRequest{ContainerId: ctr.Id, Timeout: 0})
		})
	}
	wg.Wait()
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

// CRIOLab is a running private CRI-O with the test images and a launcher.
type CRIOLab struct {
	*CRIO
	Launcher *Launcher
	UpTime   time.Duration
}

// StartCRIOLab starts CRI-O in o.Dir with the test images from cacheDir
// ("" for DefaultCacheDir).
func StartCRIOLab(ctx context.Context, o CRIOOptions, cacheDir string) (*CRIOLab, error) {
	start := time.Now()
	c, err := StartCRIO(ctx, o, cacheDir)
	if err != nil {
		return nil, err
	}
	l, err := c.NewLauncher()
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	return &CRIOLab{CRIO: c, Launcher: l, UpTime: time.Since(start)}, nil
}

type crioRecord struct {
	PID     int
	Options CRIOOptions
}

func (c *CRIO) saveInstance() error {
	data, err := json.Marshal(crioRecord{PID: c.pid, Options: c.opts})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(c.opts.Dir, "instance.json"), data, 0o644)
}

// AttachCRIO returns a handle on a CRI-O started earlier in dir, possibly
// by another process. The daemon may have died; Stop still cleans up.
func AttachCRIO(dir string) (*CRIO, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(abs, "instance.json"))
	if err != nil {
		return nil, fmt.Errorf("harness: no CRI-O instance in %s: %w", abs, err)
	}
	var rec crioRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Options.Dir != abs {
		return nil, fmt.Errorf("harness: %s/instance.json is no CRI-O record of this directory", abs)
	}
	c := &CRIO{opts: rec.Options, lay: crioLayout{dir: abs}, pid: rec.PID}
	c.endpoint = c.Endpoint
	return c, nil
}

// running tells whether the recorded crio still serves this instance.
func (c *CRIO) running() bool {
	return len(pidsWithArg("crio", c.lay.config())) > 0
}

// SweepStaleCRIO stops what dead CRI-O labs left in directories matching
// glob (a test binary killed before its clean-up ran: crio died with it,
// conmon, containers, mounts, bridges and cgroups may remain).
func SweepStaleCRIO(glob string) {
	dirs, _ := filepath.Glob(glob)
	for _, d := range dirs {
		c, err := AttachCRIO(d)
		if err != nil || c.running() {
			continue // not a lab, or alive: another test's
		}
		_ = c.Stop()
	}
}
