package groundtruth

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/test/cluster"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rootPropagates tells whether this process's / is a shared or slave
// mount (optional fields of /proc/self/mountinfo), read without the
// product.
func rootPropagates(t *testing.T) bool {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	prop := false
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 6 && fields[4] == "/" {
			prop = false // the last mount on / is the one in effect
			for _, opt := range fields[6:] {
				if opt == "-" {
					break
				}
				if strings.HasPrefix(opt, "shared:") || strings.HasPrefix(opt, "master:") {
					prop = true
				}
			}
		}
	}
	return prop
}

// crioRefusesHostRoot: CRI-O gives a hostPath that contains its storage
// root HostToContainer propagation whatever the kubelet sent (PRIVATE for
// a mount that declares none), so that its storage mounts reach the
// container, and refuses it unless the source's mount is shared or slave.
// This host's / is private: the node-exporter pod's container is never
// created (CreateContainerError, the kubelet retrying), and the audit,
// with nothing running, reports nothing for it.
func crioRefusesHostRoot(t *testing.T, c *cluster.Cluster, ns string) {
	t.Helper()
	if rootPropagates(t) {
		t.Skip("this host's / is a shared or slave mount: CRI-O would run the pod with rslave, which this test does not cover")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	pod, err := clusterPod(c, ns, "node-exporter", nodeExporterSpec(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.DeletePod(context.Background(), ns, pod.Name); err != nil {
			t.Error(err)
		}
	}()
	msg, err := waitEvent(ctx, c, ns, pod.Name, "Failed")
	if err != nil {
		t.Fatal(err)
	}
	if want := `path "/" is mounted on "/" but it is not a shared or slave mount`; !strings.Contains(msg, want) {
		t.Errorf("the kubelet's Failed event %q, want CRI-O's %q", msg, want)
	}
	t.Logf("CRI-O refuses it: %s", msg)
	r := scanNamespace(t, c, ns)
	if len(r.Containers) != 0 || len(r.Findings) != 0 {
		t.Errorf("audited %+v, findings:%s; want nothing", r.Containers, dump(r, pod.Name))
	}
}
