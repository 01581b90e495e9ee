package cri

import (
	"context"
	"path/filepath"
	"testing"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// TestStatusCache: with the cache, a second snapshot of an unchanged
// runtime reads no status and gives the same snapshot; a container that
// stops is read afresh; one that disappears leaves the cache.
func TestStatusCache(t *testing.T) {
	f := newFake()
	loadFixture(t, filepath.Join("testdata", "containerd-2.4.2")).install(f)
	c := dialFake(t, f)
	c.EnableStatusCache()
	ctx := context.Background()
	first, err := c.Snapshot(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	calls := func() int { f.mu.Lock(); defer f.mu.Unlock(); return f.statusCalls }
	before := calls()
	if before != 2 {
		t.Fatalf("first snapshot made %d status calls, want 2 (one sandbox, one container)", before)
	}
	second, err := c.Snapshot(ctx, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := calls() - before; n != 0 {
		t.Errorf("unchanged runtime: %d status calls, want 0", n)
	}
	a, b := first.Containers[0], second.Containers[0]
	if a.ID != b.ID || a.PID != b.PID || a.Config != b.Config || a.Spec != b.Spec || a.Pod != b.Pod || first.Sandboxes[0].Spec != second.Sandboxes[0].Spec {
		t.Errorf("cached snapshot differs: %+v vs %+v", a, b)
	}
	f.mu.Lock()
	f.containers[0].State = runtimeapi.ContainerState_CONTAINER_EXITED
	f.mu.Unlock()
	before = calls()
	if _, err := c.Snapshot(ctx, ListOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if n := calls() - before; n != 1 {
		t.Errorf("a stopped container: %d status calls, want 1 (read afresh)", n)
	}
	f.mu.Lock()
	f.containers = nil
	f.mu.Unlock()
	if _, err := c.Snapshot(ctx, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(c.cache.containers); n != 0 {
		t.Errorf("cache keeps %d containers no longer listed", n)
	}
}
