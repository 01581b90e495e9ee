package cri

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestDiffStates(t *testing.T) {
	const (
		created = runtimeapi.ContainerState_CONTAINER_CREATED
		running = runtimeapi.ContainerState_CONTAINER_RUNNING
		exited  = runtimeapi.ContainerState_CONTAINER_EXITED
	)
	before := map[string]seen{
		"a-same":    {running, "s1"},
		"b-starts":  {created, "s1"},
		"c-stops":   {running, "s1"},
		"d-deleted": {exited, "s2"},
		"e-fast":    {created, "s1"},
	}
	after := map[string]seen{
		"a-same":   {running, "s1"},
		"b-starts": {running, "s1"},
		"c-stops":  {exited, "s1"},
		"e-fast":   {exited, "s1"}, // started and stopped between two looks
		"f-new":    {running, "s3"},
		"g-born":   {created, "s3"},
		"h-died":   {exited, "s3"},
	}
	at := time.Unix(100, 0)
	var got []string
	for _, e := range diffStates(before, after, at) {
		if !e.Time.Equal(at) {
			t.Errorf("event time %v, want %v", e.Time, at)
		}
		got = append(got, fmt.Sprintf("%s %s %s", e.Type, e.ContainerID, e.PodSandboxID))
	}
	want := []string{
		"started b-starts s1",
		"stopped c-stops s1",
		"stopped e-fast s1",
		"created f-new s3", "started f-new s3",
		"created g-born s3",
		"created h-died s3", "stopped h-died s3",
		"deleted d-deleted s2",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("diffStates =\n%v\nwant\n%v", got, want)
	}
}

// next reads one event or fails after a deadline.
func next(t *testing.T, ch <-chan Event, within time.Duration) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("event channel closed")
		}
		return e
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return Event{}
}

func expect(t *testing.T, ch <-chan Event, typ EventType, id string, within time.Duration) Event {
	t.Helper()
	e := next(t, ch, within)
	if e.Type != typ || e.ContainerID != id {
		t.Fatalf("event = %s %s, want %s %s", e.Type, e.ContainerID, typ, id)
	}
	return e
}

func TestWatchStream(t *testing.T) {
	f := newFake()
	f.events = make(chan *runtimeapi.ContainerEventResponse, 8)
	c := dialFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := c.Watch(ctx, time.Hour) // an hour: only the stream can deliver
	if err != nil {
		t.Fatal(err)
	}
	sb := &runtimeapi.PodSandboxStatus{Id: "sb1"}
	at := time.Now().Add(-time.Second).UnixNano()
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "sb1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, PodSandboxStatus: sb, CreatedAt: at}
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT, PodSandboxStatus: sb, CreatedAt: at}
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT, PodSandboxStatus: sb, CreatedAt: at}
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT, PodSandboxStatus: sb}
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "c1", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT, PodSandboxStatus: sb}

	e := expect(t, ch, ContainerStarted, "sb1", 2*time.Second)
	if !e.IsSandbox() || e.Time.UnixNano() != at {
		t.Errorf("sandbox event = %+v: want IsSandbox and the runtime's time", e)
	}
	for _, typ := range []EventType{ContainerCreated, ContainerStarted, ContainerStopped, ContainerDeleted} {
		e := expect(t, ch, typ, "c1", 2*time.Second)
		if e.PodSandboxID != "sb1" || e.IsSandbox() || e.Time.IsZero() {
			t.Errorf("event %+v", e)
		}
	}
	cancel()
	for range ch {
	}
}

func TestWatchPollsWhenEventsUnsupported(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*fakeRuntime)
	}{
		{"Unimplemented (containerd 1.6)", func(*fakeRuntime) {}},
		{"stream ends at once (CRI-O without enable_pod_events)", func(f *fakeRuntime) { f.eventsEOF = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			tc.setup(f)
			f.addContainer(&runtimeapi.Container{Id: "old", State: runtimeapi.ContainerState_CONTAINER_RUNNING}, nil)
			c := dialFake(t, f)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := c.Watch(ctx, 20*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			f.addContainer(&runtimeapi.Container{Id: "new", PodSandboxId: "sb", State: runtimeapi.ContainerState_CONTAINER_RUNNING}, nil)
			if e := expect(t, ch, ContainerCreated, "new", 2*time.Second); e.PodSandboxID != "sb" {
				t.Errorf("event %+v", e)
			}
			expect(t, ch, ContainerStarted, "new", time.Second)
			t.Logf("start seen by polling after %v", time.Since(start))
			f.setState("new", runtimeapi.ContainerState_CONTAINER_EXITED)
			expect(t, ch, ContainerStopped, "new", 2*time.Second)
			f.removeContainer("old")
			expect(t, ch, ContainerDeleted, "old", 2*time.Second)
			if f.streamCount() != 1 {
				t.Errorf("%d event streams opened, want 1 (then polling)", f.streamCount())
			}
			cancel()
			for range ch {
			}
		})
	}
}

func TestWatchReopensBrokenStream(t *testing.T) {
	f := newFake()
	f.events = make(chan *runtimeapi.ContainerEventResponse, 8)
	f.streamErr = []error{status.Error(codes.Unavailable, "containerd restarting")}
	c := dialFake(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := c.Watch(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the first stream to have failed, then change things while
	// no stream is open: the re-opened stream reports them from a listing.
	deadline := time.Now().Add(2 * time.Second)
	for f.streamCount() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// The broken stream is said at once: whoever relies on the runtime
	// must not wait for its next call to know.
	expect(t, ch, RuntimeUnreachable, "", 2*time.Second)
	f.addContainer(&runtimeapi.Container{Id: "missed", State: runtimeapi.ContainerState_CONTAINER_RUNNING}, nil)
	expect(t, ch, ContainerCreated, "missed", 3*time.Second)
	expect(t, ch, ContainerStarted, "missed", time.Second)
	f.events <- &runtimeapi.ContainerEventResponse{ContainerId: "live", ContainerEventType: runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT}
	expect(t, ch, ContainerCreated, "live", 2*time.Second)
	if n := f.streamCount(); n != 2 {
		t.Errorf("%d streams opened, want 2", n)
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("event after cancel")
		}
	case <-time.After(2 * time.Second):
		t.Error("channel not closed after cancel")
	}
}

func TestWatchFailsWhenListingFails(t *testing.T) {
	c := dialFake(t, newFake())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Watch(ctx, time.Second); err == nil {
		t.Error("Watch with a cancelled context succeeded")
	}
}
