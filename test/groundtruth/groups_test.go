package groundtruth

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// groupsSpec runs "main" as the image's user app (1000, primary group from
// the image's /etc/passwd) with one declared supplementary group and the
// given supplementalGroupsPolicy.
func groupsSpec(policy string) string {
	return `  securityContext: {runAsUser: 1000, supplementalGroups: [4000], supplementalGroupsPolicy: ` + policy + `}
  containers:
` + matrix.Sleeper
}

// statusIDs reads Uid (real), Gid (real) and Groups of /proc/<pid>/status.
func statusIDs(pid int) (uid, gid int64, groups []int64, err error) {
	k, err := readKernel(pid, map[string]string{})
	if err != nil {
		return 0, 0, nil, err
	}
	first := func(line string) (int64, error) {
		f := strings.Fields(k["status."+line])
		if len(f) == 0 {
			return 0, fmt.Errorf("pid %d: no %s line", pid, line)
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	if uid, err = first("Uid"); err != nil {
		return 0, 0, nil, err
	}
	if gid, err = first("Gid"); err != nil {
		return 0, 0, nil, err
	}
	for _, g := range strings.Fields(k["status.Groups"]) {
		v, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return 0, 0, nil, err
		}
		groups = append(groups, v)
	}
	slices.Sort(groups)
	return uid, gid, groups, nil
}

// checkReportedUser compares the user the kubelet reports in
// status.containerStatuses[].user.linux (filled only when the runtime
// reports it in its CRI ContainerStatus: containerd 2.x does, 1.6 does
// not) with the process's /proc status. It returns whether there was one.
func checkReportedUser(t *testing.T, pod *corev1.Pod, container string, uid, gid int64, groups []int64) bool {
	t.Helper()
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name != container || st.User == nil || st.User.Linux == nil {
			continue
		}
		u := st.User.Linux
		reported := slices.Sorted(slices.Values(u.SupplementalGroups))
		t.Logf("the kubelet reports user.linux uid %d gid %d supplementalGroups %v", u.UID, u.GID, u.SupplementalGroups)
		if u.UID != uid || u.GID != gid || !slices.Equal(reported, groups) {
			t.Errorf("the kubelet reports uid %d gid %d groups %v; /proc shows uid %d gid %d groups %v", u.UID, u.GID, reported, uid, gid, groups)
		}
		return true
	}
	return false
}

// strictSupported tells whether the node says its runtime supports
// supplementalGroupsPolicy: Strict (node.status.features, filled from the
// runtime's CRI RuntimeStatus features).
func strictSupported(ctx context.Context, c *cluster.Cluster) (bool, error) {
	node, err := c.Client().CoreV1().Nodes().Get(ctx, c.NodeName(), metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	f := node.Status.Features
	return f != nil && f.SupplementalGroupsPolicy != nil && *f.SupplementalGroupsPolicy, nil
}

// TestSupplementalGroupsMerge: with supplementalGroupsPolicy: Merge the
// runtime adds the image's /etc/group memberships of the user (app is in
// group extra, 2000) to the declared group and the primary group; the
// audit accepts them (Merge lets the image add groups) and gives no
// finding at all.
func TestSupplementalGroupsMerge(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-groups-merge"
	kp := runIn(t, c, ns, "merge", groupsSpec("Merge"), "main")
	uid, gid, groups, err := statusIDs(kp.pid)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{harness.AppGID, harness.ExtraGID, 4000}
	if uid != harness.AppUID || gid != harness.AppGID || !slices.Equal(groups, want) {
		t.Errorf("uid %d gid %d groups %v, want %d %d %v (the image's primary and extra groups merged with 4000)",
			uid, gid, groups, harness.AppUID, harness.AppGID, want)
	}
	if !checkReportedUser(t, kp.pod, "main", uid, gid, groups) {
		t.Logf("the kubelet reports no status.containerStatuses[].user: the runtime does not fill it in CRI ContainerStatus")
	}
	r := scanNamespace(t, c, ns)
	if len(r.Containers) != 1 || len(r.Findings) != 0 {
		t.Errorf("%d containers audited, findings:%s; want 1 and none", len(r.Containers), dump(r, "merge"))
	}
}

// TestSupplementalGroupsStrict: where the runtime reports the feature
// (node.status.features.supplementalGroupsPolicy), Strict gives exactly the
// primary and the declared groups, and no finding. Where it does not
// (containerd 1.6), the kubelet's admission rejects the pod before any CRI
// call: phase Failed, reason SupplementalGroupsPolicyNotSupported, no
// container, nothing for the audit to judge.
func TestSupplementalGroupsStrict(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns, name = "gt-groups-strict", "strict"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	supported, err := strictSupported(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	pod, err := clusterPod(c, ns, name, groupsSpec("Strict"))
	if err != nil {
		t.Fatal(err)
	}
	if supported {
		kp, err := runPod(ctx, c, pod, "main")
		if err != nil {
			t.Fatal(err)
		}
		uid, gid, groups, err := statusIDs(kp.pid)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{harness.AppGID, 4000}
		if uid != harness.AppUID || gid != harness.AppGID || !slices.Equal(groups, want) {
			t.Errorf("uid %d gid %d groups %v, want %d %d %v (the image's extra group %d left out)",
				uid, gid, groups, harness.AppUID, harness.AppGID, want, harness.ExtraGID)
		}
		if !checkReportedUser(t, kp.pod, "main", uid, gid, groups) {
			t.Errorf("the node supports Strict but the kubelet reports no status.containerStatuses[].user")
		}
		r := scanNamespace(t, c, ns)
		if len(r.Containers) != 1 || len(r.Findings) != 0 {
			t.Errorf("%d containers audited, findings:%s; want 1 and none", len(r.Containers), dump(r, name))
		}
		return
	}
	got, err := c.RunPod(ctx, pod)
	if err == nil {
		t.Fatalf("the node reports no Strict support, yet the pod runs: %+v", got.Status)
	}
	if got == nil || got.Status.Phase != corev1.PodFailed || got.Status.Reason != "SupplementalGroupsPolicyNotSupported" {
		t.Fatalf("pod: %v; want phase Failed, reason SupplementalGroupsPolicyNotSupported", err)
	}
	t.Logf("the kubelet rejects it: %s: %s", got.Status.Reason, got.Status.Message)
	if len(got.Status.ContainerStatuses) != 0 && got.Status.ContainerStatuses[0].ContainerID != "" {
		t.Errorf("a rejected pod has a container: %+v", got.Status.ContainerStatuses)
	}
	r := scanNamespace(t, c, ns)
	if len(r.Containers) != 0 || len(r.Findings) != 0 {
		t.Errorf("audited %+v, findings:%s; want nothing (the pod never ran)", r.Containers, dump(r, name))
	}
}
