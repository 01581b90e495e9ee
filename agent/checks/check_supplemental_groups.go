package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// supplemental-groups: pod fsGroup + supplementalGroups and
// supplementalGroupsPolicy → CRI supplemental_groups → OCI
// process.user.additionalGids → /proc/<pid>/status Groups. Every declared
// group must be there. With Merge (the default) the runtime adds the
// image's /etc/group memberships (and the kubelet volume GIDs), so only
// the OCI spec bounds a process; with Strict nothing beyond the declared
// groups and the primary group is allowed. The CRI config must carry
// exactly the declared groups whatever the policy. A container expected to
// run as root with CAP_SETGID may set any groups (setgroups(2) asks no
// more): a root daemon whose workers drop to another user and take its
// groups (nginx, su, gosu) stays within its declared power, so such extra
// groups are info.
func init() {
	register(Check{
		ID:          SupplementalGroups,
		Severity:    High,
		Rationale:   "Supplementary groups grant file and device access; an extra group (root's above all) widens it, a missing fsGroup breaks volume access.",
		Remediation: "Declare the groups the workload needs (supplementalGroups, fsGroup) and use supplementalGroupsPolicy: Strict to keep the image's groups out.",
		Evaluate:    evalSupplementalGroups,
	})
}

const groupsCheck = SupplementalGroups

func evalSupplementalGroups(s *Subject) []Finding {
	var declared []int64
	policy := expect.GroupsMerge
	var primary opt[int64]
	if b := s.baseline(); b != nil {
		declared, policy = b.Groups, b.GroupsPolicy
		if b.GID != nil {
			primary = some(*b.GID)
		}
	}
	if c := s.criView(); c != nil {
		if c.GroupsPolicy != policy {
			return []Finding{s.finding(groupsCheck, Medium, LayerCRI, 0, "supplemental_groups_policy", string(policy), string(c.GroupsPolicy),
				fmt.Sprintf("the CRI config has supplementalGroupsPolicy %s where %s says %s", c.GroupsPolicy, s.source(), policy))}
		}
		// The kubelet sends exactly fsGroup + supplementalGroups (plus the
		// GIDs of bound persistent volumes, which the spec does not show):
		// the runtime merges the image's groups later, at the OCI layer.
		limit := append([]int64{}, declared...) // non-nil: an upper bound
		if b := s.baseline(); b != nil && b.VolumeGroups {
			limit = nil
		}
		if f, bad := groupsDiff(s, LayerCRI, nil, "supplemental_groups", declared, c.Groups, limit); bad {
			return []Finding{f}
		}
	}
	var allowed []int64 // nil: no upper bound known
	if u, ok := ociUser(s.OCI); ok {
		oci := make([]int64, 0, len(u.AdditionalGids))
		for _, g := range u.AdditionalGids {
			oci = append(oci, int64(g))
		}
		var limit []int64
		if policy == expect.GroupsStrict {
			limit = withPrimary(declared, int64(u.GID))
		}
		if f, bad := groupsDiff(s, LayerOCI, nil, "process.user.additionalGids", declared, oci, limit); bad {
			return []Finding{f}
		}
		allowed = withPrimary(oci, int64(u.GID))
	} else if policy == expect.GroupsStrict && primary.ok {
		allowed = withPrimary(declared, primary.v)
	}
	mayChoose := s.mayChooseGroups()
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if f, bad := groupsDiff(s, LayerProcess, p, "Groups", declared, s.procGroups(p), allowed); bad {
			if mayChoose {
				f = chosenGroups(f)
			}
			fs = append(fs, f)
		}
	}
	return fs
}

// withPrimary is groups plus the primary group, sorted and unique.
func withPrimary(groups []int64, primary int64) []int64 {
	out := append(slices.Clone(groups), primary)
	slices.Sort(out)
	return slices.Compact(out)
}

// groupsDiff judges got: it must contain every required group and, when
// allowed is not nil, nothing outside allowed. An extra group is the
// finding (high for group 0); only missing ones make an info finding.
func groupsDiff(s *Subject, layer Layer, p *probes.Process, name string, required, got, allowed []int64) (Finding, bool) {
	var missing, extra []int64
	for _, g := range required {
		if !slices.Contains(got, g) {
			missing = append(missing, g)
		}
	}
	if allowed != nil {
		for _, g := range got {
			if !slices.Contains(allowed, g) {
				extra = append(extra, g)
			}
		}
	}
	pid := 0
	var maps []probes.IDMapping
	if p != nil {
		pid, maps = p.PID, s.gidMap(p)
	}
	switch {
	case len(extra) > 0:
		sev := Medium
		if slices.Contains(extra, 0) {
			sev = High
		}
		return s.finding(groupsCheck, sev, layer, pid, name, showGroups(allowed), showGroups(got),
			fmt.Sprintf("%s has supplementary groups %s%s that %s does not allow", where(layer, p), showGroups(extra), hostNote(extra, maps, ","), s.source())), true
	case len(missing) > 0:
		return s.finding(groupsCheck, Info, layer, pid, name, showGroups(required), showGroups(got),
			fmt.Sprintf("%s lacks declared supplementary groups %s%s (less privilege than expected)", where(layer, p), showGroups(missing), hostNote(missing, maps, ","))), true
	}
	return Finding{}, false
}

func showGroups(gs []int64) string {
	if len(gs) == 0 {
		return "none"
	}
	parts := make([]string, len(gs))
	for i, g := range gs {
		parts[i] = fmt.Sprint(g)
	}
	return strings.Join(parts, ",")
}
