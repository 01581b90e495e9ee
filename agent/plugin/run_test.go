package plugin

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/rtaudit/rtaudit/agent/internal/kube/kubefake"
)

// fakeKubelet plays the kubelet on the fake API: once the plugin's pod
// exists, it sets the agent container's states in turn.
func fakeKubelet(t *testing.T, cs *fake.Clientset, states ...corev1.ContainerState) {
	t.Helper()
	go func() {
		for {
			list, err := cs.CoreV1().Pods("rtaudit-system").List(context.Background(), metav1.ListOptions{})
			if err == nil && len(list.Items) == 1 {
				p := list.Items[0]
				for _, st := range states {
					p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: agentContainer, State: st}}
					if _, err := cs.CoreV1().Pods(p.Namespace).UpdateStatus(context.Background(), &p, metav1.UpdateOptions{}); err != nil {
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
}

func testPod(t *testing.T) *corev1.Pod {
	t.Helper()
	p, err := Pod(PodOptions{Node: "n1", Args: []string{"scan"}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func noPods(t *testing.T, cs *fake.Clientset) {
	t.Helper()
	list, err := cs.CoreV1().Pods("rtaudit-system").List(context.Background(), metav1.ListOptions{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("pods left: %v %v", list, err)
	}
}

// TestRunPod: the output is streamed and the container's exit code passed
// on; the pod is deleted after success, after a container that cannot
// start and after an interruption.
func TestRunPod(t *testing.T) {
	ctx := context.Background()

	cs := fake.NewClientset()
	fakeKubelet(t, cs, corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}})
	var out, errOut bytes.Buffer
	var started string
	code, err := runPod(ctx, kubefake.New(cs), testPod(t), time.Minute, &out, &errOut, func(name string) { started = name })
	if err != nil || code != 1 || out.String() != "fake logs" || !strings.HasPrefix(started, "rtaudit-") {
		t.Errorf("success: code %d err %v out %q pod %q", code, err, out.String(), started)
	}
	noPods(t, cs)

	cs = fake.NewClientset()
	fakeKubelet(t, cs, corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "no such host"}})
	code, err = runPod(ctx, kubefake.New(cs), testPod(t), time.Minute, &out, &errOut, nil)
	if code != ExitError || err == nil || !strings.Contains(err.Error(), "cannot start: ErrImagePull: no such host") {
		t.Errorf("image error: code %d err %v", code, err)
	}
	noPods(t, cs)

	cs = fake.NewClientset() // no kubelet: the pod never starts
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	code, err = runPod(cctx, kubefake.New(cs), testPod(t), time.Minute, &out, &errOut, nil)
	if code != ExitInterrupted || err != errInterrupted {
		t.Errorf("interrupted: code %d err %v", code, err)
	}
	noPods(t, cs)

	cs = fake.NewClientset()
	code, err = runPod(ctx, kubefake.New(cs), testPod(t), 100*time.Millisecond, &out, &errOut, nil)
	if code != ExitError || err == nil || !strings.Contains(err.Error(), "no result within --timeout 100ms") {
		t.Errorf("timeout: code %d err %v", code, err)
	}
	noPods(t, cs)
}
