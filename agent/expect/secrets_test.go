package expect

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestPodSecretsAndPorts(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{
		Volumes: []corev1.Volume{
			{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db"}}},
			{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "tls"}}},
			}}}},
			{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		},
		InitContainers: []corev1.Container{{Name: "init", Ports: []corev1.ContainerPort{{ContainerPort: 53, Protocol: corev1.ProtocolUDP}}}},
		Containers: []corev1.Container{{
			Name: "app",
			Env: []corev1.EnvVar{
				{Name: "PLAIN", Value: "x"},
				{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
				{Name: "CM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{Key: "k"}}},
			},
			EnvFrom: []corev1.EnvFromSource{{Prefix: "API_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api"}}}},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "creds", MountPath: "/etc/creds/", SubPath: "password"},
				{Name: "kube-api-access-x", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount"},
				{Name: "data", MountPath: "/data"},
			},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080, HostPort: 18080}},
		}, {Name: "side"}},
	}}
	e, err := FromPod(pod, "app", DefaultsFor("containerd", "v2.4.2"))
	if err != nil {
		t.Fatal(err)
	}
	want := &SecretUse{
		Env:     []SecretEnv{{Name: "DB_PASSWORD", Secret: "db", Key: "password"}},
		EnvFrom: []SecretEnvFrom{{Prefix: "API_", Secret: "api"}},
		Volumes: []SecretVolume{
			{ContainerPath: "/etc/creds", Volume: "creds", Kind: "secret", Secrets: []string{"db"}, SubPath: true},
			{ContainerPath: "/var/run/secrets/kubernetes.io/serviceaccount", Volume: "kube-api-access-x", Kind: "projected", Secrets: []string{"tls"}, ServiceAccountToken: true},
		},
	}
	if diff := cmp.Diff(want, e.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	if got := e.Secrets.EnvNames(); !cmp.Equal(got, []string{"DB_PASSWORD"}) {
		t.Errorf("EnvNames: %v", got)
	}
	wantPorts := []Port{{Container: "app", ContainerPort: 8080, HostPort: 18080, Protocol: "tcp"}, {Container: "init", ContainerPort: 53, Protocol: "udp"}}
	if diff := cmp.Diff(wantPorts, e.Ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		proto string
		port  uint16
		want  bool
	}{{"tcp", 8080, true}, {"tcp", 18080, true}, {"udp", 53, true}, {"tcp", 53, false}, {"tcp", 9090, false}} {
		if got := e.Declares(tc.proto, tc.port); got != tc.want {
			t.Errorf("Declares(%s, %d) = %v", tc.proto, tc.port, got)
		}
	}
	side, err := FromPod(pod, "side", DefaultsFor("containerd", "v2.4.2"))
	if err != nil {
		t.Fatal(err)
	}
	if side.Secrets != nil || !side.Declares("tcp", 8080) {
		t.Errorf("a container with no secret: %+v; the pod's ports are every container's", side.Secrets)
	}
}
