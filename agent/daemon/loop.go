package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/agent/waiver"
)

// Reconnection backoff when the runtime is unreachable, and the delay
// before an incomplete audit is tried again.
const (
	minBackoff      = 500 * time.Millisecond
	maxBackoff      = 30 * time.Second
	retryIncomplete = 2 * time.Second
)

// loop connects to the runtime and audits until ctx ends; when the runtime
// fails it reconnects with backoff and audits everything again.
func (a *Agent) loop(ctx context.Context) {
	backoff := minBackoff
	for ctx.Err() == nil {
		audited, err := a.session(ctx)
		if ctx.Err() != nil {
			return
		}
		a.criUp.Store(false)
		a.metrics.criUp.Set(0)
		a.metrics.criErrors.Inc()
		if audited {
			backoff = minBackoff // it had worked: back off afresh
		}
		a.log.Warn("container runtime unreachable; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session is one connection to the runtime: an audit at start, then one
// per burst of container starts and one per resync, until the runtime
// fails (the error: a failed audit, or the watch losing the runtime) or
// ctx ends. audited says whether the first audit completed.
func (a *Agent) session(ctx context.Context) (audited bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client, err := cri.Dial(ctx, a.o.Scan.Runtime)
	if err != nil {
		return false, err
	}
	defer client.Close()
	client.EnableStatusCache()
	a.log.Info("connected to the container runtime", "runtime", client.Info().Name, "version", client.Info().Version, "endpoint", client.Info().Endpoint)
	events, err := client.Watch(ctx, a.o.PollInterval) // before the first audit: nothing falls between
	if err != nil {
		return false, err
	}
	sc := scan.NewScanner(client, a.fs, a.o.Scan)
	a.last = nil
	if err := a.audit(ctx, sc, "start", nil); err != nil {
		return false, err
	}
	resync := time.NewTicker(a.o.Resync)
	defer resync.Stop()
	// An incomplete audit (containers the runtime could not describe, as
	// while it restarts) is tried again soon, not at the next resync; so
	// is the first audit after a reconnect: a restarted runtime restores
	// its containers lazily, and what it lists at once may be partial.
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	if a.incomplete.Load() || a.sessions.Add(1) > 1 {
		retry.Reset(retryIncomplete)
	}
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	var started []time.Time // start events waiting for the debounced audit
	var ids []string        // the containers they started
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case ev, ok := <-events:
			switch {
			case !ok:
				return true, ctx.Err()
			case ev.Type == cri.RuntimeUnreachable:
				return true, errors.New("the runtime's event watch lost it")
			case ev.Type != cri.ContainerStarted || ev.IsSandbox():
				continue // a stop or removal leaves at the next audit (merge)
			}
			if len(ids) == 0 {
				debounce.Reset(a.o.Debounce)
			}
			started = append(started, time.Now())
			ids = append(ids, ev.ContainerID)
		case <-debounce.C:
			err := a.audit(ctx, sc, "event", started, ids...)
			started, ids = started[:0], nil
			if err != nil {
				return true, err
			}
		case <-resync.C:
			if err := a.audit(ctx, sc, "resync", nil); err != nil {
				return true, err
			}
		case <-retry.C:
			if err := a.audit(ctx, sc, "retry", nil); err != nil {
				return true, err
			}
		}
		if a.incomplete.Load() {
			retry.Reset(retryIncomplete)
		}
	}
}

// source is the declared source for the next audit: the pod informer once
// it has synced (then, while the API is unreachable, its last known pods),
// else none (the CRI configs).
func (a *Agent) source() declared.Source {
	if a.pods != nil && a.pods.Synced() {
		return a.pods
	}
	return nil
}

// audit scans the node once and publishes the report; with ids, it audits
// only those containers (just started) and merges what it finds into the
// last full audit. An error means the runtime failed; everything else (a
// container that cannot be read, an API write that fails) is in the report
// or the metrics.
func (a *Agent) audit(ctx context.Context, sc *scan.Scanner, trigger string, started []time.Time, ids ...string) error {
	src := a.source()
	sc.SetDeclared(src)
	begin := time.Now()
	var r *scan.Report
	var err error
	if len(ids) > 0 && a.last != nil {
		var part *scan.Report
		var running map[string]bool
		if part, running, err = sc.ScanFiltered(ctx, scan.Filter{IDs: ids}); err == nil {
			r = merge(a.last, part, ids, running)
		}
	} else {
		r, err = sc.Scan(ctx)
	}
	if err != nil {
		return err
	}
	a.last = r
	end := time.Now()
	a.criUp.Store(true)
	a.metrics.criUp.Set(1)
	a.metrics.scans.WithLabelValues(trigger).Inc()
	a.metrics.scanDuration.Observe(end.Sub(begin).Seconds())
	for _, t := range started {
		a.metrics.eventToFinding.Observe(end.Sub(t).Seconds())
	}
	a.annotate(r, src)
	waiver.Apply(r, a.waivers.list(), a.labels(src), end)
	a.metrics.observe(r)
	if len(r.Errors) == 0 {
		a.metrics.lastSuccess.Set(float64(end.Unix()))
	}
	a.logChanges(ctx, r)
	a.publish(ctx, r, src)
	a.ready.Store(true)
	a.incomplete.Store(len(r.Errors) > 0)
	if a.o.OnAudit != nil {
		a.o.OnAudit(r)
	}
	return nil
}

// annotate adds to the report what its reader must know about the declared
// source, and mirrors it in the metrics.
func (a *Agent) annotate(r *scan.Report, src declared.Source) {
	switch {
	case a.pods == nil:
		a.metrics.declaredFromAPI.Set(0)
	case src == nil:
		a.metrics.declaredFromAPI.Set(0)
		r.Notes = append(r.Notes, "the Kubernetes API's pods of this node are not known yet: containers judged against their own CRI configs")
	case !a.pods.Healthy():
		a.metrics.declaredFromAPI.Set(1)
		r.Notes = append(r.Notes, "the Kubernetes API is unreachable: containers judged against the last known pod specs")
	default:
		a.metrics.declaredFromAPI.Set(1)
	}
	if a.pods != nil {
		a.metrics.apiErrors.Add(float64(a.pods.TakeErrors()))
	}
}

// labels gives waivers the labels of the pods src declares (nil src: none
// known, so no waiver with a podSelector matches).
func (a *Agent) labels(src declared.Source) func(namespace, pod string) (map[string]string, bool) {
	return func(namespace, pod string) (map[string]string, bool) {
		if src == nil {
			return nil, false
		}
		p, ok := src.Lookup("", namespace, pod)
		if !ok {
			return nil, false
		}
		return p.Labels, true
	}
}
