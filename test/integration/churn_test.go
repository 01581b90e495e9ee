package integration

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// churnAudit is what the churn test keeps of one audit.
type churnAudit struct {
	end      time.Time
	drift    map[string]bool // containers with the drift handler's capabilities finding at layer oci
	named    map[string]bool // containers any finding names
	listed   map[string]bool // containers audited, gone or not audited
	gone     int
	errors   int
	hideouts []checks.Finding // undeclared-container findings on the lab's processes
}

// churnPod is one pod of the churn and its life.
type churnPod struct {
	name      string
	drift     bool
	id        string    // the container's ID
	started   time.Time // Run returned: the container runs
	stopping  time.Time // Delete called
	removed   time.Time // Delete returned: the runtime no longer lists it
	launchErr error
	deleteErr error
}

// TestChurn: while pods start and stop all the time (RTAUDIT_CHURN_PODS,
// default 60, over about 40 s, a third of them on the drift handler), the
// agent (CRI-only, resync 2 s) reports every drift container that ran 3 s
// or more at least once; no audit names a container removed before it
// began (before the previous audit ended, as audits run one after the
// other); once the churn stops, the next audit is clean (nothing gone,
// nothing unread, no finding on a removed container, no CRI pod taken for
// a hidden one); and the agent's memory does not grow. During the churn,
// pods created between an audit's CRI listing and its /proc walk are
// taken for hidden ones: a known bug, counted and logged, not asserted.
func TestChurn(t *testing.T) {
	lab := harness.SharedLab(t)
	total := envInt(t, "RTAUDIT_CHURN_PODS", 60)
	const (
		spread   = 36 * time.Second // the starts are spread over this
		ranLong  = 3 * time.Second  // a drift container that ran this long must be reported
		workers  = 8
		lifeBase = 2 * time.Second
	)

	var mu sync.Mutex
	var audits []churnAudit
	a := runAgent(t, lab.Endpoint(), 2*time.Second, func(r *scan.Report) {
		ca := churnAudit{end: time.Now(), drift: map[string]bool{}, named: map[string]bool{}, listed: map[string]bool{},
			gone: len(r.Gone), errors: len(r.Errors), hideouts: labHideouts(r, lab)}
		for _, f := range r.Findings {
			if f.ContainerID != "" {
				ca.named[f.ContainerID] = true
			}
			if f.Check == checks.Capabilities && f.Layer == checks.LayerOCI {
				ca.drift[f.ContainerID] = true
			}
		}
		for _, c := range r.Containers {
			ca.listed[c.ID] = true
		}
		for _, g := range r.Gone {
			ca.listed[g.ID] = true
		}
		for _, e := range r.Errors {
			ca.listed[e.ID] = true
		}
		mu.Lock()
		audits = append(audits, ca)
		mu.Unlock()
	})
	a.waitReadyz(t, 200, 30*time.Second)
	before := measure(t)

	pods := make([]*churnPod, total)
	for i := range pods {
		pods[i] = &churnPod{name: fmt.Sprintf("churn-%d", i), drift: i%3 == 0}
	}
	var left sync.Map // *harness.Pod not deleted yet, for the clean-up
	t.Cleanup(func() {
		left.Range(func(_, v any) bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_ = v.(*harness.Pod).Delete(ctx)
			return true
		})
	})
	live := func(p *churnPod, i int) {
		spec := "  containers:\n" + sleeper
		if p.drift {
			spec = "  runtimeClassName: " + harness.DriftHandler + "\n" + spec
		}
		pod, err := harness.ParsePod([]byte(podYAML(p.name, spec)))
		if err != nil {
			p.launchErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		hp, err := lab.Launcher.Run(ctx, pod)
		if err != nil {
			p.launchErr = err
			return
		}
		left.Store(p.name, hp)
		p.started = time.Now()
		p.id, _ = hp.ContainerID("main")
		// Drift pods live 4 s, the others 1 to 4 s.
		life := lifeBase + time.Duration(i%4)*700*time.Millisecond
		if p.drift {
			life = ranLong + time.Second
		}
		time.Sleep(life)
		p.stopping = time.Now()
		p.deleteErr = hp.Delete(ctx)
		p.removed = time.Now()
		left.Delete(p.name)
	}
	begin := time.Now()
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				live(pods[i], i)
			}
		})
	}
	tick := spread / time.Duration(total)
	for i := range pods {
		next <- i
		time.Sleep(tick)
	}
	close(next)
	wg.Wait()
	churned := time.Since(begin)
	quiet := time.Now()

	// The audit after the churn: the second to end after it stopped began
	// after it stopped.
	deadline := time.Now().Add(30 * time.Second)
	var final churnAudit
	for {
		mu.Lock()
		n := 0
		for _, ca := range audits {
			if ca.end.After(quiet) {
				n++
				final = ca
			}
		}
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no two audits within 30s of the churn's end")
		}
		time.Sleep(100 * time.Millisecond)
	}
	after := measure(t)
	a.stop()

	mu.Lock()
	defer mu.Unlock()
	launched, misses, falseFindings, hideouts, hideoutAudits, gone, unread := 0, 0, 0, 0, 0, 0, 0
	for _, p := range pods {
		if p.launchErr != nil || p.deleteErr != nil {
			t.Errorf("%s: launch %v, delete %v", p.name, p.launchErr, p.deleteErr)
			continue
		}
		launched++
		if !p.drift || p.stopping.Sub(p.started) < ranLong {
			continue
		}
		if !slices.ContainsFunc(audits, func(ca churnAudit) bool { return ca.drift[p.id] }) {
			misses++
			var listedIn []string
			for k, ca := range audits {
				if ca.listed[p.id] {
					listedIn = append(listedIn, fmt.Sprintf("%d (%v after its start)", k, ca.end.Sub(p.started).Round(time.Millisecond)))
				}
			}
			t.Errorf("drift container %s (%.12s) ran %v and was never reported; listed by audits %v", p.name, p.id, p.stopping.Sub(p.started).Round(time.Millisecond), listedIn)
		}
	}
	for k, ca := range audits {
		gone += ca.gone
		unread += ca.errors
		if len(ca.hideouts) > 0 {
			hideoutAudits++
		}
		for _, f := range ca.hideouts {
			// BUG (reported, not asserted): a sandbox or container the
			// runtime creates after the audit's CRI listing, but before
			// its /proc walk, is an undeclared-container finding. The
			// audit after the churn must be clean (asserted below).
			hideouts++
			t.Errorf("audit %d: a CRI pod's process taken for a hidden one (created after the CRI listing): %s", k, f.Message)
		}
		if k == 0 {
			continue
		}
		began := audits[k-1].end // audits run one after the other
		for _, p := range pods {
			if p.id != "" && !p.removed.IsZero() && p.removed.Before(began) && (ca.named[p.id] || ca.listed[p.id]) {
				falseFindings++
				t.Errorf("audit %d names %s (%.12s), removed %v before it began", k, p.name, p.id, began.Sub(p.removed).Round(time.Millisecond))
			}
		}
	}
	for _, p := range pods {
		if p.id != "" && (final.named[p.id] || final.listed[p.id]) {
			t.Errorf("the audit after the churn names removed container %s", p.name)
		}
	}
	if final.gone != 0 || final.errors != 0 || len(final.hideouts) != 0 {
		t.Errorf("the audit after the churn: %d gone, %d not audited, %d lab hideouts; want none", final.gone, final.errors, len(final.hideouts))
	}
	if after.heap > before.heap+32<<20 {
		t.Errorf("heap %.1f MiB before the churn, %.1f MiB after", float64(before.heap)/(1<<20), float64(after.heap)/(1<<20))
	}
	t.Logf("%d pods churned in %v (%d drift), %d audits; misses %d, false findings %d; new CRI pods taken for hidden ones: %d findings in %d audits; gone %d, not audited %d during the churn",
		launched, churned.Round(time.Millisecond), (total+2)/3, len(audits), misses, falseFindings, hideouts, hideoutAudits, gone, unread)
	t.Logf("before the churn: %v; after: %v", before, after)
	if os.Getenv("RTAUDIT_CHURN_VERBOSE") != "" {
		for _, p := range pods {
			t.Logf("%s drift=%v ran %v removed %v", p.name, p.drift, p.stopping.Sub(p.started).Round(time.Millisecond), p.removed.Sub(p.stopping).Round(time.Millisecond))
		}
	}
}
