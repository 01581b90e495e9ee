package scan

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

// foreignTask is a running task of a containerd namespace other than the
// CRI's: a container the kubelet cannot see.
type foreignTask struct {
	ref ContainerRef
	pid int
}

// foreignTasks lists the running tasks of every containerd namespace but
// the CRI's, through containerd's own API on the same socket.
func foreignTasks(ctx context.Context, socket string, timeout time.Duration) ([]foreignTask, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := containerd.New(socket, containerd.WithTimeout(timeout))
	if err != nil {
		return nil, fmt.Errorf("containerd API on %s: %w", socket, err)
	}
	defer c.Close()
	nss, err := c.NamespaceService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing containerd namespaces: %w", err)
	}
	var out []foreignTask
	for _, ns := range nss {
		if ns == criNamespace {
			continue
		}
		resp, err := c.TaskService().List(namespaces.WithNamespace(ctx, ns), &tasks.ListTasksRequest{})
		if err != nil {
			return nil, fmt.Errorf("listing tasks of containerd namespace %s: %w", ns, err)
		}
		for _, t := range resp.Tasks {
			if t.Status != task.Status_RUNNING && t.Status != task.Status_PAUSED {
				continue
			}
			out = append(out, foreignTask{
				ref: ContainerRef{ID: t.ID, Namespace: "containerd:" + ns, Container: t.ID},
				pid: int(t.Pid),
			})
		}
	}
	return out, nil
}
