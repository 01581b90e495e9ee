package cri

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Backoff bounds for re-opening a broken event stream.
const (
	minRetry = 200 * time.Millisecond
	maxRetry = 5 * time.Second
)

// errNoEvents means the runtime does not stream container events.
var errNoEvents = errors.New("runtime does not stream container events")

// Watch reports container lifecycle changes on the returned channel until
// ctx ends, then closes it. It streams GetContainerEvents; when the runtime
// does not implement it (containerd 1.6: Unimplemented; CRI-O without
// enable_pod_events: the stream ends at once) it polls ListContainers every
// interval (default 1s) and reports the differences. A broken stream is
// re-opened with backoff, and what changed meanwhile is reported from a
// fresh listing, so events may repeat but are not lost. Start Watch before
// taking a Snapshot so nothing falls between the two.
func (c *Client) Watch(ctx context.Context, interval time.Duration) (<-chan Event, error) {
	if interval <= 0 {
		interval = time.Second
	}
	w := &watcher{c: c, interval: interval, out: make(chan Event, 256)}
	known, err := c.containerStates(ctx)
	if err != nil {
		return nil, err
	}
	w.known = known
	go w.run(ctx)
	return w.out, nil
}

// seen is the last known state of a container.
type seen struct {
	state   runtimeapi.ContainerState
	sandbox string
}

type watcher struct {
	c        *Client
	interval time.Duration
	out      chan Event
	known    map[string]seen
}

func (w *watcher) run(ctx context.Context) {
	defer close(w.out)
	retry := minRetry
	for ctx.Err() == nil {
		start := time.Now()
		err := w.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errNoEvents) {
			w.c.log.Info("container events not streamed by the runtime; polling", "runtime", w.c.info.Name, "interval", w.interval, "reason", err)
			w.poll(ctx)
			return
		}
		if time.Since(start) > maxRetry {
			retry = minRetry // the stream lived: start backing off afresh
		}
		w.c.log.Warn("container event stream broken; re-opening", "in", retry, "error", err)
		if !w.emit(ctx, Event{Type: RuntimeUnreachable, Time: time.Now()}) || !sleep(ctx, retry) {
			return
		}
		retry = min(2*retry, maxRetry)
	}
}

// stream opens GetContainerEvents, reports what changed since the last
// known state, then relays events until the stream ends.
func (w *watcher) stream(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := w.c.rs.GetContainerEvents(ctx, &runtimeapi.GetEventsRequest{})
	if err != nil {
		return w.streamErr(err, 0)
	}
	if err := w.resync(ctx); err != nil {
		return err
	}
	for n := 0; ; n++ {
		ev, err := st.Recv()
		if err != nil {
			return w.streamErr(err, n)
		}
		if !w.apply(ctx, ev) {
			return ctx.Err()
		}
	}
}

// streamErr tells "not supported" from a broken stream.
func (w *watcher) streamErr(err error, received int) error {
	switch {
	case status.Code(err) == codes.Unimplemented:
		return fmt.Errorf("%w: %w", errNoEvents, err)
	case errors.Is(err, io.EOF) && received == 0:
		return fmt.Errorf("%w: the event stream ended at once", errNoEvents)
	}
	return explain("GetContainerEvents", w.c.info.Socket, w.c.timeout, err)
}

// poll reports listing differences every interval until ctx ends.
func (w *watcher) poll(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := w.resync(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			w.c.log.Warn("listing containers failed; still polling", "error", err)
			if !w.emit(ctx, Event{Type: RuntimeUnreachable, Time: time.Now()}) {
				return
			}
		case err == nil && failing:
			w.c.log.Info("listing containers works again")
		}
		failing = err != nil
	}
}

// apply relays one streamed event and updates the known states.
func (w *watcher) apply(ctx context.Context, ev *runtimeapi.ContainerEventResponse) bool {
	e := Event{
		ContainerID:  ev.GetContainerId(),
		PodSandboxID: ev.GetPodSandboxStatus().GetId(),
		Time:         nanos(ev.GetCreatedAt()),
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	var state runtimeapi.ContainerState
	switch ev.GetContainerEventType() {
	case runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT:
		e.Type, state = ContainerCreated, runtimeapi.ContainerState_CONTAINER_CREATED
	case runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT:
		e.Type, state = ContainerStarted, runtimeapi.ContainerState_CONTAINER_RUNNING
	case runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT:
		e.Type, state = ContainerStopped, runtimeapi.ContainerState_CONTAINER_EXITED
	case runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT:
		e.Type = ContainerDeleted
	default:
		return true
	}
	if !e.IsSandbox() { // sandboxes are not in ListContainers: don't track them
		if e.Type == ContainerDeleted {
			delete(w.known, e.ContainerID)
		} else {
			w.known[e.ContainerID] = seen{state: state, sandbox: e.PodSandboxID}
		}
	}
	return w.emit(ctx, e)
}

// resync lists containers and reports the differences from the known states.
func (w *watcher) resync(ctx context.Context) error {
	now, err := w.c.containerStates(ctx)
	if err != nil {
		return err
	}
	for _, e := range diffStates(w.known, now, time.Now()) {
		if !w.emit(ctx, e) {
			return ctx.Err()
		}
	}
	w.known = now
	return nil
}

func (w *watcher) emit(ctx context.Context, e Event) bool {
	select {
	case w.out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// containerStates lists every container's state.
func (c *Client) containerStates(ctx context.Context) (map[string]seen, error) {
	var items []*runtimeapi.Container
	err := c.call(ctx, "ListContainers", func(ctx context.Context) error {
		r, err := c.rs.ListContainers(ctx, &runtimeapi.ListContainersRequest{})
		items = r.GetContainers()
		return err
	})
	if err != nil {
		return nil, err
	}
	m := make(map[string]seen, len(items))
	for _, it := range items {
		m[it.GetId()] = seen{state: it.GetState(), sandbox: it.GetPodSandboxId()}
	}
	return m, nil
}

// diffStates turns two listings into the events that lead from one to the
// other, in a stable order: by container ID, lifecycle order within one.
func diffStates(before, after map[string]seen, at time.Time) []Event {
	var out []Event
	add := func(t EventType, id string, s seen) {
		out = append(out, Event{Type: t, ContainerID: id, PodSandboxID: s.sandbox, Time: at})
	}
	for _, id := range sortedKeys(after) {
		now := after[id]
		prev, existed := before[id]
		if !existed {
			add(ContainerCreated, id, now)
		}
		switch {
		case now.state == runtimeapi.ContainerState_CONTAINER_RUNNING &&
			(!existed || prev.state != runtimeapi.ContainerState_CONTAINER_RUNNING):
			add(ContainerStarted, id, now)
		case now.state == runtimeapi.ContainerState_CONTAINER_EXITED &&
			(!existed || prev.state != runtimeapi.ContainerState_CONTAINER_EXITED):
			add(ContainerStopped, id, now)
		}
	}
	for _, id := range sortedKeys(before) {
		if _, ok := after[id]; !ok {
			add(ContainerDeleted, id, before[id])
		}
	}
	return out
}

func sortedKeys(m map[string]seen) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
