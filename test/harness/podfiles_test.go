package harness

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func podfilesPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns1", UID: "uid-1"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}},
	}
}

func TestHostsFileContent(t *testing.T) {
	pod := podfilesPod()
	pod.Spec.Subdomain = "sub"
	pod.Spec.HostAliases = []corev1.HostAlias{{IP: "10.1.1.1", Hostnames: []string{"a", "b"}}}
	got, err := hostsFileContent(pod, []string{"10.88.0.5"}, "/nonexistent")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n" +
		"10.88.0.5\tweb.sub.ns1.svc.cluster.local\tweb\n\n# Entries added by HostAliases.\n10.1.1.1\ta\tb\n"
	if string(got) != want {
		t.Errorf("hosts file:\n%q\nwant\n%q", got, want)
	}

	node := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(node, []byte("127.0.0.1 node\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pod = podfilesPod()
	pod.Spec.HostNetwork = true
	got, err = hostsFileContent(pod, nil, node)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# Kubernetes-managed hosts file (host network).\n127.0.0.1 node\n"; string(got) != want {
		t.Errorf("host-network hosts file %q, want %q", got, want)
	}
	if _, err := hostsFileContent(pod, nil, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("host network with no node hosts file: no error")
	}
}

func TestHostsMount(t *testing.T) {
	l := &Launcher{pods: t.TempDir()}
	pod := podfilesPod()
	m, err := l.hostsMount(pod, &pod.Spec.Containers[0], []string{"10.88.0.5"})
	if err != nil || m == nil {
		t.Fatalf("hosts mount %v, %v", m, err)
	}
	if m.ContainerPath != "/etc/hosts" || m.Readonly || !m.SelinuxRelabel || m.HostPath != filepath.Join(l.pods, "uid-1", "etc-hosts") {
		t.Errorf("hosts mount %v: want rw, relabelled, from the pod directory", m)
	}
	if fi, err := os.Stat(m.HostPath); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("hosts file: %v, %v; want mode 0644", fi, err)
	}
	if m, err := l.hostsMount(pod, &pod.Spec.Containers[0], nil); m != nil || err != nil {
		t.Errorf("no pod IP, not host network: %v, %v; want no mount", m, err)
	}
	c := corev1.Container{Name: "main", VolumeMounts: []corev1.VolumeMount{{Name: "h", MountPath: "/etc/hosts"}}}
	if m, err := l.hostsMount(pod, &c, []string{"10.88.0.5"}); m != nil || err != nil {
		t.Errorf("container mounts /etc/hosts itself: %v, %v; want no mount", m, err)
	}
}

func TestTerminationMount(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	l := &Launcher{pods: t.TempDir()}
	pod := podfilesPod()
	for _, tc := range []struct{ path, want string }{{"", "/dev/termination-log"}, {"/tmp/done", "/tmp/done"}} {
		c := corev1.Container{Name: "main", TerminationMessagePath: tc.path}
		m, err := l.terminationMount(pod, &c)
		if err != nil {
			t.Fatal(err)
		}
		if m.ContainerPath != tc.want || m.Readonly || !strings.HasPrefix(m.HostPath, filepath.Join(l.pods, "uid-1", "containers", "main")+"/") {
			t.Errorf("termination mount %v: want rw at %s from the pod directory", m, tc.want)
		}
		if fi, err := os.Stat(m.HostPath); err != nil || fi.Mode().Perm() != 0o666 || fi.Size() != 0 {
			t.Errorf("termination file: %v, %v; want empty, mode 0666 whatever the umask", fi, err)
		}
	}
}
