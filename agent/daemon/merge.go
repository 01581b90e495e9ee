package daemon

import (
	"slices"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// merge is last with what part (an audit of the containers ids only) says
// of those containers put in place of what last said of them: their
// summaries, findings, gone and error entries; what last says of
// containers no longer running (running: the IDs part's listing had) is
// dropped. The rest of last — the other containers and the node-level
// findings of its search for hidden processes — stands until the next full
// audit. The notes are part's: the
// caller annotates the result again and applies the waivers anew.
func merge(last, part *scan.Report, ids []string, running map[string]bool) *scan.Report {
	in := func(id string) bool { return slices.Contains(ids, id) || !running[id] }
	out := *part
	out.Containers = append(slices.DeleteFunc(slices.Clone(last.Containers), func(c scan.ContainerSummary) bool { return in(c.ID) }), part.Containers...)
	out.Findings = append(slices.DeleteFunc(slices.Clone(last.Findings), func(f checks.Finding) bool { return f.ContainerID != "" && in(f.ContainerID) }), part.Findings...)
	out.Gone = append(slices.DeleteFunc(slices.Clone(last.Gone), func(g scan.ContainerRef) bool { return in(g.ID) }), part.Gone...)
	out.Errors = append(slices.DeleteFunc(slices.Clone(last.Errors), func(e scan.ContainerError) bool { return in(e.ID) }), part.Errors...)
	checks.Sort(out.Findings)
	return &out
}
