package scan

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rtaudit/rtaudit/probes"
)

// newborn reports whether p started after the runtime was listed: the
// listing cannot say whose it is (a pod starting during the scan has its
// pause process and its runtime's init before the runtime lists its ID),
// so it is not judged by this scan, and the next scan judges it. Counted
// in a note, so a one-shot scan says what it left for later. A process
// cannot make itself look newer than it is: its start time is the
// kernel's.
func (s *pass) newborn(p *probes.Process) bool {
	if s.listedAt == 0 || p.Started() <= s.listedAt {
		return false
	}
	s.newborns++
	return true
}

// noteNewborns tells the report's reader what newborn left out.
func (s *pass) noteNewborns() {
	if s.newborns > 0 {
		s.r.Notes = append(s.r.Notes, fmt.Sprintf("%d process(es) outside every audited container started during the scan: not judged by it (the next scan judges them)", s.newborns))
	}
}

// A sandbox's pause process runs before its runtime lists the sandbox
// (containerd adds it to its store once RunPodSandbox has set everything
// up: seconds under load), so a young process in a cgroup named like a
// container ID may be a pod being created. settle lists the runtime's IDs
// again, settleDelay apart, up to settleTries times, while a group holds
// such a process; an old hidden group never waits, and one that is still
// unclaimed after that is reported.
const (
	settleDelay = 500 * time.Millisecond
	settleTries = 4
	youngWithin = 10 * time.Second
)

func (s *pass) settle(ctx context.Context, groups []hideout) []hideout {
	for i := 0; i < settleTries && s.anyYoung(groups); i++ {
		select {
		case <-ctx.Done():
			return groups
		case <-time.After(settleDelay):
		}
		groups = s.createdMeanwhile(ctx, groups)
	}
	return groups
}

// anyYoung reports whether a group holds a process that started less than
// youngWithin before the listing in a cgroup named like a container ID.
func (s *pass) anyYoung(groups []hideout) bool {
	if s.listedAt == 0 {
		return false
	}
	for _, g := range groups {
		for _, p := range g.procs {
			if s.listedAt-p.Started() < youngWithin && inIDCgroup(p) {
				return true
			}
		}
	}
	return false
}

// inIDCgroup reports whether one of p's cgroups is named like a container
// ID (64 hex digits), as the runtimes name theirs.
func inIDCgroup(p *probes.Process) bool {
	for _, cg := range p.Cgroups {
		if id := cgroupID(cg.Path); len(id) == 64 && strings.Trim(id, "0123456789abcdef") == "" {
			return true
		}
	}
	return false
}
