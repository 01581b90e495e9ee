package integration

import (
	"context"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/test/harness"
)

// discover reads a container through rtaudit's own CRI discovery, the way
// the scan does, and checks it agrees with the launcher.
func discover(t *testing.T, lab *harness.Lab, p *harness.Pod, container string) cri.Container {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id, err := p.ContainerID(container)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := cri.Dial(ctx, cri.DialOptions{Endpoint: lab.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	c, err := rt.ContainerByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c.StatusError != nil {
		t.Fatalf("verbose status of %s: %v", id, c.StatusError)
	}
	if c.PID <= 0 || c.Config == nil || c.Spec == nil {
		t.Fatalf("container %s: pid %d, CRI config %v, OCI spec %v: want all from the verbose status", id, c.PID, c.Config != nil, c.Spec != nil)
	}
	if c.Name != container || c.Pod.Name == "" || c.Pod.UID == "" {
		t.Errorf("identity %q of pod %+v, want container %q of a named pod with a UID", c.Name, c.Pod, container)
	}
	return c
}

// TestWatchSeesStart: the event stream (or, on containerd 1.6, the polling
// fallback) reports a container's start within a polling interval or two.
func TestWatchSeesStart(t *testing.T) {
	lab := harness.SharedLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := cri.Dial(ctx, cri.DialOptions{Endpoint: lab.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	events, err := rt.Watch(ctx, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond) // let the poller take its first listing
	p, _ := launch(t, lab, podYAML("watched", "  containers:\n"+sleeper))
	started := time.Now()
	id, err := p.ContainerID("main")
	if err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-events:
			if e.ContainerID == id && e.Type == cri.ContainerStarted {
				t.Logf("start of %s seen %v after the launcher returned", id[:12], time.Since(started).Round(time.Millisecond))
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no started event for %s within 5s", id)
		}
	}
}
