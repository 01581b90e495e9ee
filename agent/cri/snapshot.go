package cri

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/internal/parallel"
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
	var readSbs []*runtimeapi.PodSandbox
	for _, item := range sbs {
		refs[item.GetId()] = sandboxRef{pod: podFromMetadata(item.GetMetadata()), runtimeHandler: item.GetRuntimeHandler()}
		if !opts.All && item.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
			snap.Others = append(snap.Others, item.GetId())
			continue
		}
		readSbs = append(readSbs, item)
	}
	var readCtrs []*runtimeapi.Container
	for _, item := range ctrs {
		if !opts.All && item.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			snap.Others = append(snap.Others, item.GetId())
			continue
		}
		readCtrs = append(readCtrs, item)
	}

	// The verbose statuses, statusWorkers at a time: the runtime answers
	// calls concurrently, and each answer's decoding overlaps the others'
	// round trips. Results keep the listing's order.
	sbOut := make([]Sandbox, len(readSbs))
	ctrOut := make([]Container, len(readCtrs))
	errs := make([]error, len(readSbs)+len(readCtrs))
	sandboxOf := func(id string) (sandboxRef, bool) {
		r, ok := refs[id]
		return r, ok
	}
	parallel.ForEach(len(errs), statusWorkers, func(i int) {
		if i < len(readSbs) {
			item := readSbs[i]
			sb, cached := c.cache.sandbox(item.GetId())
			if !cached || item.GetState() != runtimeapi.PodSandboxState_SANDBOX_READY {
				sb, errs[i] = c.sandbox(ctx, item)
			}
			sbOut[i] = sb
			return
		}
		item := readCtrs[i-len(readSbs)]
		ctr, cached := c.cache.container(item.GetId())
		if !cached || item.GetState() != runtimeapi.ContainerState_CONTAINER_RUNNING {
			ctr, errs[i] = c.container(ctx, item, sandboxOf)
		}
		ctrOut[i-len(readSbs)] = ctr
	})
	if err := firstAbort(errs); err != nil {
		return nil, err
	}
	// Objects that vanished are left out.
	for i, err := range errs {
		switch {
		case i < len(readSbs) && err != nil:
			c.log.Debug("sandbox vanished while listing", "sandbox", readSbs[i].GetId())
		case i < len(readSbs):
			snap.Sandboxes = append(snap.Sandboxes, sbOut[i])
		case err != nil:
			c.log.Debug("container vanished while listing", "container", readCtrs[i-len(readSbs)].GetId())
		default:
			snap.Containers = append(snap.Containers, ctrOut[i-len(readSbs)])
		}
	}
	sortSnapshot(snap)
	c.cache.keep(snap)
	return snap, nil
}

// statusWorkers is how many verbose status calls Snapshot has in flight.
// Measured with containerd 1.6 on 2 cores and 110 pods (231 verbose
// statuses): one call at a time the statuses take 330–450 ms, 200 ms with
// 2 in flight, 145–170 ms with 4 or 8 and 125–150 ms with 16, where the
// runtime's encoding and this process's decoding share the cores.
const statusWorkers = 8

// firstAbort returns why Snapshot gives up, if it does: c.sandbox and
// c.container return an error other than ErrNotFound only once the caller
// has given up. Calls in flight then may fail for reasons of their own:
// the first error naming the cancellation or the deadline is the one
// reported, else the first error.
func firstAbort(errs []error) error {
	var first error
	for _, err := range errs {
		switch {
		case err == nil || errors.Is(err, ErrNotFound):
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout):
			return err
		case first == nil:
			first = err
		}
	}
	return first
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

// ListIDs lists the IDs of every sandbox and container the runtime has, in
// any state, without their statuses: two cheap calls, to tell whether a
// process met after a Snapshot belongs to something the runtime created
// meanwhile.
func (c *Client) ListIDs(ctx context.Context) (map[string]bool, error) {
	ids := map[string]bool{}
	err := c.call(ctx, "ListPodSandbox", func(ctx context.Context) error {
		r, err := c.rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
		for _, sb := range r.GetItems() {
			ids[sb.GetId()] = true
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	err = c.call(ctx, "ListContainers", func(ctx context.Context) error {
		r, err := c.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		for _, ctr := range r.GetContainers() {
			ids[ctr.GetId()] = true
		}
		return err
	})
	return ids, err
}
