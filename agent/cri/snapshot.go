package cri

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// sandboxRef is what a container borrows from its sandbox.
type sandboxRef struct {
	pod            PodRef
	runtimeHandler string
}

// Snapshot lists sandboxes and containers with their verbose details:
// ready sandboxes and running containers, or everything with opts.All.
// Objects that vanish while being listed are left out; an object whose
// details cannot be read is kept with its StatusError set.
func (c *Client) Snapshot(ctx context.Context, opts ListOptions) (*Snapshot, error) {
	var sbs []*runtimeapi.PodSandbox
	err := c.call(ctx, "ListPodSandbox", func(ctx context.Context) error {
		r, err := c.rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		sbs = r.GetItems()
		return err
	})
	if err != nil {
		return nil, err
	}
	// Every container is listed, whatever its state: those left out (not
	// running) are still the runtime's, and their IDs tell the scan whose
	// processes it meets mid-start or mid-stop.
	var ctrs []*runtimeapi.Container
	err = c.call(ctx, "ListContainers", func(ctx context.Context) error {
		r, err := c.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		ctrs = r.GetContainers()
		return err
	})
	if err != nil {
		return nil, err
	}

	snap := &Snapshot{Runtime: c.info}
	refs := make(map[string]sandboxRef, len(sbs))
	for _, item := range sbs {
		refs[item.GetId()] = sandboxRef{pod: podFromMetadata(item.GetMetadata()), runtimeHandler: item.GetRuntimeHandler()}
		if !opts.All && item.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			snap.Others = append(snap.Others, item.GetId())
			continue
		}
		sb, cached := c.cache.sandbox(item.GetId())
		var err error
		if !cached || item.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			sb, err = c.sandbox(ctx, item)
		}
		if errors.Is(err, ErrNotFound) {
			c.log.Debug("sandbox vanished while listing", "sandbox", item.GetId())
			continue
		}
		if err != nil {
			return nil, err
		}
		snap.Sandboxes = append(snap.Sandboxes, sb)
	}
	for _, item := range ctrs {
		if !opts.All && item.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			snap.Others = append(snap.Others, item.GetId())
			continue
		}
		ctr, cached := c.cache.container(item.GetId())
		var err error
		if !cached || item.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			ctr, err = c.container(ctx, item, func(id string) (sandboxRef, bool) {
				r, ok := refs[id]
				return r, ok
			})
		}
		if errors.Is(err, ErrNotFound) {
			c.log.Debug("container vanished while listing", "container", item.GetId())
			continue
		}
		if err != nil {
			return nil, err
		}
		snap.Containers = append(snap.Containers, ctr)
	}
	sortSnapshot(snap)
	c.cache.keep(snap)
	return snap, nil
}

// ContainerByID reads one container afresh; errors.Is(err, ErrNotFound)
// when it is gone.
func (c *Client) ContainerByID(ctx context.Context, id string) (Container, error) {
	if id == "" {
		return Container{}, errors.New("ContainerByID: empty container ID")
	}
	return c.container(ctx, &runtimeapi.Container{Id: id}, func(sbID string) (sandboxRef, bool) {
		var ref sandboxRef
		err := c.call(ctx, "PodSandboxStatus", func(ctx context.Context) error {
			r, err := c.rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: sbID})
			ref = sandboxRef{pod: podFromMetadata(r.GetStatus().GetMetadata()), runtimeHandler: r.GetStatus().GetRuntimeHandler()}
			return err
		})
		return ref, err == nil
	})
}

// sandbox reads one sandbox's verbose status over its list item.
func (c *Client) sandbox(ctx context.Context, item *runtimeapi.PodSandbox) (Sandbox, error) {
	sb := Sandbox{
		ID:             item.GetId(),
		Pod:            podFromMetadata(item.GetMetadata()),
		State:          sandboxState(item.GetState()),
		CreatedAt:      nanos(item.GetCreatedAt()),
		RuntimeHandler: item.GetRuntimeHandler(),
		Labels:         item.GetLabels(),
		Annotations:    item.GetAnnotations(),
	}
	var resp *runtimeapi.PodSandboxStatusResponse
	err := c.call(ctx, "PodSandboxStatus", func(ctx context.Context) error {
		var err error
		resp, err = c.rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: item.GetId(), Verbose: true})
		return err
	})
	if errors.Is(err, ErrNotFound) || isCanceled(ctx, err) {
		return sb, err
	}
	if err != nil {
		sb.StatusError = err
		return sb, nil
	}
	st := resp.GetStatus()
	if p, ok := podFromLabels(st.GetLabels()); ok {
		sb.Pod = p
	} else if st.GetMetadata() != nil {
		sb.Pod = podFromMetadata(st.GetMetadata())
	}
	sb.State = sandboxState(st.GetState())
	if st.GetCreatedAt() != 0 {
		sb.CreatedAt = nanos(st.GetCreatedAt())
	}
	if st.GetRuntimeHandler() != "" {
		sb.RuntimeHandler = st.GetRuntimeHandler()
	}
	if st.GetLabels() != nil {
		sb.Labels = st.GetLabels()
	}
	if st.GetAnnotations() != nil {
		sb.Annotations = st.GetAnnotations()
	}
	v, err := parseSandboxInfo(resp.GetInfo())
	sb.StatusError = err
	sb.PID, sb.Config, sb.Spec = v.PID, v.Config, v.Spec
	sb.NamespaceOptions = st.GetLinux().GetNamespaces().GetOptions()
	if sb.NamespaceOptions == nil {
		sb.NamespaceOptions = v.Config.GetLinux().GetSecurityContext().GetNamespaceOptions()
	}
	return sb, nil
}

// container reads one container's verbose status over its list item;
// sandbox looks up the sandbox when labels lack the pod identity.
func (c *Client) container(ctx context.Context, item *runtimeapi.Container, sandbox func(id string) (sandboxRef, bool)) (Container, error) {
	ctr := Container{
		ID:          item.GetId(),
		Name:        containerName(item.GetLabels(), item.GetMetadata()),
		Attempt:     item.GetMetadata().GetAttempt(),
		SandboxID:   item.GetPodSandboxId(),
		Image:       item.GetImage().GetImage(),
		ImageRef:    item.GetImageRef(),
		State:       containerState(item.GetState()),
		CreatedAt:   nanos(item.GetCreatedAt()),
		Labels:      item.GetLabels(),
		Annotations: item.GetAnnotations(),
	}
	var resp *runtimeapi.ContainerStatusResponse
	err := c.call(ctx, "ContainerStatus", func(ctx context.Context) error {
		var err error
		resp, err = c.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: item.GetId(), Verbose: true})
		return err
	})
	if errors.Is(err, ErrNotFound) || isCanceled(ctx, err) {
		return ctr, err
	}
	if err != nil {
		ctr.StatusError = err
	} else {
		st := resp.GetStatus()
		if st.GetLabels() != nil {
			ctr.Labels = st.GetLabels()
		}
		if st.GetAnnotations() != nil {
			ctr.Annotations = st.GetAnnotations()
		}
		ctr.Name = containerName(ctr.Labels, cmp.Or(st.GetMetadata(), item.GetMetadata()))
		if st.GetMetadata() != nil {
			ctr.Attempt = st.GetMetadata().GetAttempt()
		}
		ctr.Image = cmp.Or(st.GetImage().GetImage(), ctr.Image)
		ctr.ImageRef = cmp.Or(st.GetImageRef(), ctr.ImageRef)
		ctr.State = containerState(st.GetState())
		if st.GetCreatedAt() != 0 {
			ctr.CreatedAt = nanos(st.GetCreatedAt())
		}
		v, err := parseContainerInfo(resp.GetInfo())
		ctr.StatusError = err
		ctr.SandboxID = cmp.Or(ctr.SandboxID, v.SandboxID)
		ctr.PID, ctr.Config, ctr.Spec, ctr.Privileged = v.PID, v.Config, v.Spec, v.Privileged
	}
	if ctr.State != "running" {
		ctr.PID = 0
	}
	pod, ok := podFromLabels(ctr.Labels)
	if ctr.SandboxID != "" {
		if ref, found := sandbox(ctr.SandboxID); found {
			ctr.RuntimeHandler = ref.runtimeHandler
			if !ok {
				pod = ref.pod
			}
		}
	}
	ctr.Pod = pod
	return ctr, nil
}

// isCanceled reports an error caused by the caller giving up.
func isCanceled(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil
}

func nanos(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func containerState(s runtimeapi.ContainerState) string {
	switch s {
	case runtimeapi.ContainerState_CONTAINER_CREATED:
		return "created"
	case runtimeapi.ContainerState_CONTAINER_RUNNING:
		return "running"
	case runtimeapi.ContainerState_CONTAINER_EXITED:
		return "exited"
	}
	return "unknown"
}

func sandboxState(s runtimeapi.PodSandboxState) string {
	if s == runtimeapi.PodSandboxState_SANDBOX_READY {
		return "ready"
	}
	return "notready"
}

// sortSnapshot orders by namespace, pod, container name, attempt, ID so
// reports are stable.
func sortSnapshot(s *Snapshot) {
	slices.SortFunc(s.Sandboxes, func(a, b Sandbox) int {
		return cmp.Or(strings.Compare(a.Pod.Namespace, b.Pod.Namespace), strings.Compare(a.Pod.Name, b.Pod.Name),
			strings.Compare(a.ID, b.ID))
	})
	slices.SortFunc(s.Containers, func(a, b Container) int {
		return cmp.Or(strings.Compare(a.Pod.Namespace, b.Pod.Namespace), strings.Compare(a.Pod.Name, b.Pod.Name),
			strings.Compare(a.Name, b.Name), cmp.Compare(a.Attempt, b.Attempt), strings.Compare(a.ID, b.ID))
	})
}
