package cri

import "sync"

// statusCache keeps the verbose status of running containers and ready
// sandboxes by ID between snapshots. What it keeps cannot change under one
// ID: the CRI config, the OCI spec and the init PID are fixed at creation
// (a restart is a new container ID). Only a clean read (no StatusError) of
// a running container or a ready sandbox is kept; anything not listed
// again is dropped, so the cache never outgrows the node.
type statusCache struct {
	mu         sync.Mutex
	containers map[string]Container
	sandboxes  map[string]Sandbox
}

// EnableStatusCache makes Snapshot re-read the verbose status only of
// containers and sandboxes it has not seen running (ready) before: a
// resync of an unchanged node then costs two list calls. For long-running
// callers (the agent); a one-shot scan does not need it.
func (c *Client) EnableStatusCache() {
	c.cache = &statusCache{containers: map[string]Container{}, sandboxes: map[string]Sandbox{}}
}

func (sc *statusCache) container(id string) (Container, bool) {
	if sc == nil {
		return Container{}, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	c, ok := sc.containers[id]
	return c, ok
}

func (sc *statusCache) sandbox(id string) (Sandbox, bool) {
	if sc == nil {
		return Sandbox{}, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	s, ok := sc.sandboxes[id]
	return s, ok
}

// keep replaces the cache with what snap holds that may be kept.
func (sc *statusCache) keep(snap *Snapshot) {
	if sc == nil {
		return
	}
	containers := make(map[string]Container, len(snap.Containers))
	for _, c := range snap.Containers {
		if c.State == "running" && c.StatusError == nil {
			containers[c.ID] = c
		}
	}
	sandboxes := make(map[string]Sandbox, len(snap.Sandboxes))
	for _, s := range snap.Sandboxes {
		if s.State == "ready" && s.StatusError == nil {
			sandboxes[s.ID] = s
		}
	}
	sc.mu.Lock()
	sc.containers, sc.sandboxes = containers, sandboxes
	sc.mu.Unlock()
}
