package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/google/uuid"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerPID returns the host PID of a container's init process from the
// CRI verbose ContainerStatus (containerd's info "pid").
func ContainerPID(ctx context.Context, rt runtimeapi.RuntimeServiceClient, id string) (int, error) {
	resp, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id, Verbose: true})
	if err != nil {
		return 0, fmt.Errorf("harness: container status %s: %w", id, err)
	}
	raw, ok := resp.Info["info"]
	if !ok {
		return 0, fmt.Errorf("harness: container %s: verbose status has no info", id)
	}
	var info struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(raw), &info); err != nil {
		return 0, fmt.Errorf("harness: container %s: verbose info: %w", id, err)
	}
	if info.PID == 0 {
		return 0, fmt.Errorf("harness: container %s is not running (state %s)", id, resp.GetStatus().GetState())
	}
	return info.PID, nil
}

// SandboxPID returns the host PID of the pod's pause process.
func (p *Pod) SandboxPID(ctx context.Context) (int, error) {
	resp, err := p.l.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: p.SandboxID, Verbose: true})
	if err != nil {
		return 0, fmt.Errorf("harness: sandbox status %s: %w", p.Spec.Name, err)
	}
	var info struct {
		PID int `json:"pid"`
	}
	if err := json.Unmarshal([]byte(resp.Info["info"]), &info); err != nil || info.PID == 0 {
		return 0, fmt.Errorf("harness: sandbox %s: no pid in verbose info", p.Spec.Name)
	}
	return info.PID, nil
}

// ContainerID returns the CRI ID of a named container.
func (p *Pod) ContainerID(name string) (string, error) {
	id, ok := p.Containers[name]
	if !ok {
		return "", fmt.Errorf("harness: pod %s has no container %q", p.Spec.Name, name)
	}
	return id, nil
}

// PID returns the host PID of a named container's init process.
func (p *Pod) PID(ctx context.Context, container string) (int, error) {
	id, err := p.ContainerID(container)
	if err != nil {
		return 0, err
	}
	return ContainerPID(ctx, p.l.rt, id)
}

// ExecSync runs cmd in the container as the container's user (CRI
// ExecSync) and returns stdout, stderr and the exit code.
func (p *Pod) ExecSync(ctx context.Context, container string, timeout time.Duration, cmd ...string) (stdout, stderr []byte, exit int32, err error) {
	id, err := p.ContainerID(container)
	if err != nil {
		return nil, nil, 0, err
	}
	resp, err := p.l.rt.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: cmd, Timeout: int64(timeout / time.Second)})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("harness: exec in %s/%s: %w", p.Spec.Name, container, err)
	}
	return resp.Stdout, resp.Stderr, resp.ExitCode, nil
}

// ExecAs starts cmd in the container as uid/gid (like ctr task exec --user)
// through the containerd client, with no I/O, and returns its host PID. The
// process lives on after this call; it dies with the container. This is the
// "someone exec'd a root shell into the pod" scenario.
func (p *Pod) ExecAs(ctx context.Context, container string, uid, gid uint32, cmd ...string) (int, error) {
	id, err := p.ContainerID(container)
	if err != nil {
		return 0, err
	}
	return p.l.ExecAs(ctx, id, uid, gid, cmd...)
}

// ExecAs is Pod.ExecAs by container ID.
func (l *Launcher) ExecAs(ctx context.Context, id string, uid, gid uint32, cmd ...string) (int, error) {
	if len(cmd) == 0 {
		return 0, fmt.Errorf("harness: exec in %s: empty command", id)
	}
	if l.cd == nil {
		return 0, fmt.Errorf("harness: exec as %d needs the containerd client", uid)
	}
	cl, err := l.cd.Client()
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx = namespaces.WithNamespace(ctx, CRINamespace)
	ctr, err := cl.LoadContainer(ctx, id)
	if err != nil {
		return 0, fmt.Errorf("harness: load container %s: %w", id, err)
	}
	spec, err := ctr.Spec(ctx)
	if err != nil {
		return 0, fmt.Errorf("harness: spec of %s: %w", id, err)
	}
	task, err := ctr.Task(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("harness: task of %s: %w", id, err)
	}
	proc := *spec.Process
	proc.Args = cmd
	proc.Terminal = false
	proc.User.UID, proc.User.GID = uid, gid
	proc.User.AdditionalGids = nil
	proc.User.Username = ""
	execID := "rtaudit-exec-" + uuid.NewString()[:8]
	pr, err := task.Exec(ctx, execID, &proc, cio.NullIO)
	if err != nil {
		return 0, fmt.Errorf("harness: exec in %s: %w", id, err)
	}
	if err := pr.Start(ctx); err != nil {
		return 0, fmt.Errorf("harness: start exec in %s: %w", id, err)
	}
	pid := int(pr.Pid())
	waitExecve(ctx, pid, cmd[0])
	return pid, nil
}

// waitExecve waits (5 s at most) until pid runs the command: the runtime's
// exec returns while the process may still be the runtime's init stage
// ("runc:[2:INIT]"), which a scan rightly does not judge yet.
func waitExecve(ctx context.Context, pid int, cmd string) {
	want := filepath.Base(cmd)
	if len(want) > 15 { // TASK_COMM_LEN - 1
		want = want[:15]
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
