package cri

import (
	"context"
	"fmt"
	"time"

	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/containerd/api/types/task"
	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
)

// criNamespace is the containerd namespace the CRI plugin keeps its
// containers in.
const criNamespace = "k8s.io"

// Task is a running container the runtime holds outside the CRI (a task of
// another containerd namespace: `ctr -n default run`, moby, buildkit): the
// kubelet cannot see it.
type Task struct {
	ID        string
	Namespace string // "containerd:<namespace>"
	PID       int
}

// OtherTasks lists the running tasks of every containerd namespace but the
// CRI's, through containerd's own API on the same socket. Runtimes other
// than containerd have no such namespaces: nil.
func (c *Client) OtherTasks(ctx context.Context) ([]Task, error) {
	if c.info.Name != "containerd" || c.info.Socket == "" {
		return nil, nil
	}
	return containerdTasks(ctx, c.info.Socket, c.timeout)
}

func containerdTasks(ctx context.Context, socket string, timeout time.Duration) ([]Task, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := containerd.New(socket, containerd.WithTimeout(timeout))
	if err != nil {
		return nil, fmt.Errorf("containerd API on %s: %w", socket, err)
	}
	defer client.Close()
	nss, err := client.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing containerd namespaces: %w", err)
	}
	var out []Task
	for _, ns := range nss {
		if ns == criNamespace {
			continue
		}
		resp, err := client.TaskService().List(namespaces.WithNamespace(ctx, ns), &tasks.ListTasksRequest{})
		if err != nil {
			return nil, fmt.Errorf("listing tasks of containerd namespace %s: %w", ns, err)
		}
		for _, t := range resp.Tasks {
			if t.Status != task.Status_RUNNING && t.Status != task.Status_PAUSED {
				continue
			}
			out = append(out, Task{ID: t.ID, Namespace: "containerd:" + ns, PID: int(t.Pid)})
		}
	}
	return out, nil
}
