package cluster_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunMain(m)) }

func sleeper(name string) *corev1.Pod {
	no := false
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			AutomountServiceAccountToken:  &no,
			TerminationGracePeriodSeconds: new(int64),
			Containers: []corev1.Container{{
				Name:            "app",
				Image:           harness.BusyboxImage,
				ImagePullPolicy: corev1.PullNever,
				Command:         []string{"sleep", "3600"},
			}},
		},
	}
}

// TestPodRunsThroughKubelet runs a pod through the API and finds the
// kubelet's container through CRI on the cluster's own runtime.
func TestPodRunsThroughKubelet(t *testing.T) {
	c := cluster.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	pod, err := c.RunPod(ctx, sleeper("smoke"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster up in %s (node Ready %s after kubelet start); pod Running in %s",
		c.UpTime.Round(time.Millisecond), c.ReadyTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if pod.Spec.NodeName != c.NodeName() {
		t.Errorf("pod on node %q, want %q", pod.Spec.NodeName, c.NodeName())
	}

	rt, err := c.Runtime().RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	list, err := rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		LabelSelector: map[string]string{"io.kubernetes.pod.uid": string(pod.UID)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Containers) != 1 {
		t.Fatalf("CRI lists %d containers for pod uid %s, want 1", len(list.Containers), pod.UID)
	}
	ctr := list.Containers[0]
	if ctr.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Errorf("container state %s, want RUNNING", ctr.State)
	}
	for k, want := range map[string]string{
		"io.kubernetes.pod.name":       "smoke",
		"io.kubernetes.pod.namespace":  "default",
		"io.kubernetes.container.name": "app",
	} {
		if got := ctr.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	// The kubelet prefixes the ID with the runtime's name: containerd://,
	// cri-o://.
	prefix := map[string]string{harness.RuntimeContainerd: "containerd://", harness.RuntimeCRIO: "cri-o://"}[c.RuntimeName()]
	if got, want := pod.Status.ContainerStatuses[0].ContainerID, prefix+ctr.Id; got != want {
		t.Errorf("API reports container %s, want %s", got, want)
	}

	st, err := rt.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctr.Id, Verbose: true})
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		Pid    int                         `json:"pid"`
		Config *runtimeapi.ContainerConfig `json:"config"`
		Spec   struct {
			Process struct {
				Args []string `json:"args"`
			} `json:"process"`
		} `json:"runtimeSpec"`
	}
	if err := json.Unmarshal([]byte(st.Info["info"]), &info); err != nil {
		t.Fatalf("verbose info: %v", err)
	}
	if got := strings.Join(info.Spec.Process.Args, " "); got != "sleep 3600" {
		t.Errorf("OCI spec runs %q, want sleep 3600", got)
	}
	// containerd's verbose status holds the CRI config the kubelet sent;
	// CRI-O's holds none (its info has no "config").
	if c.RuntimeName() == harness.RuntimeContainerd && (info.Config == nil || strings.Join(info.Config.Command, " ") != "sleep 3600") {
		t.Errorf("CRI config the kubelet sent: %+v, want command sleep 3600", info.Config)
	} else if c.RuntimeName() == harness.RuntimeCRIO && info.Config != nil {
		t.Errorf("CRI-O's verbose status has a CRI config %+v: FACTS.md says it has none", info.Config)
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(info.Pid), "cmdline"))
	if err != nil {
		t.Fatalf("container process %d: %v", info.Pid, err)
	}
	if got := strings.ReplaceAll(strings.TrimRight(string(cmdline), "\x00"), "\x00", " "); got != "sleep 3600" {
		t.Errorf("container process runs %q, want sleep 3600", got)
	}
	if err := c.DeletePod(ctx, "default", "smoke"); err != nil {
		t.Error(err)
	}
}

// TestNodeIsReadyAndUntainted checks the state Start promises.
func TestNodeIsReadyAndUntainted(t *testing.T) {
	c := cluster.Shared(t)
	node, err := c.Client().CoreV1().Nodes().Get(context.Background(), c.NodeName(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, taint := range node.Spec.Taints {
		if taint.Key == corev1.TaintNodeNotReady {
			t.Errorf("node still has taint %v", taint)
		}
	}
	var ip string
	for _, a := range node.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			ip = a.Address
		}
	}
	if ip != c.NodeIP() {
		t.Errorf("node InternalIP %q, want %q", ip, c.NodeIP())
	}
	if _, err := os.Stat(c.Kubeconfig()); err != nil {
		t.Error(err)
	}
}
