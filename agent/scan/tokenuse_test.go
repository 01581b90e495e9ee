package scan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestAutomountedToken(t *testing.T) {
	no := false
	token := corev1.Volume{Name: "kube-api-access-x", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
		Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}}
	secret := corev1.Volume{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "db"}}}
	pod := func(vol corev1.Volume, path string, automount *bool) *corev1.Pod {
		return &corev1.Pod{Spec: corev1.PodSpec{AutomountServiceAccountToken: automount, Volumes: []corev1.Volume{vol},
			Containers: []corev1.Container{{Name: "main", VolumeMounts: []corev1.VolumeMount{{Name: vol.Name, MountPath: path}}}}}}
	}
	for name, tc := range map[string]struct {
		pod  *corev1.Pod
		want bool
	}{
		"the kubelet's automount":             {pod(token, tokenPath, nil), true},
		"automountServiceAccountToken: false": {pod(token, tokenPath, &no), false},
		"a token projected elsewhere":         {pod(token, "/var/run/other", nil), false},
		"a secret volume at the token's path": {pod(secret, tokenPath, nil), false},
		"no volume":                           {&corev1.Pod{}, false},
	} {
		if got := automountedToken(tc.pod); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}
