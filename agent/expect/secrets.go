package expect

import (
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
)

// SecretUse is how a declared container receives secrets: environment
// variables from secretKeyRef and envFrom secretRef, secret and projected
// volume mounts. It names variables, volumes and secrets, never a value.
type SecretUse struct {
	// Env are the variables env[].valueFrom.secretKeyRef sets.
	Env []SecretEnv
	// EnvFrom are the envFrom[].secretRef sources: every key of the secret
	// becomes a variable (with the prefix), so the names are unknown.
	EnvFrom []SecretEnvFrom
	// Volumes are the container's mounts of secret and projected volumes.
	Volumes []SecretVolume
}

// SecretEnv is one variable set from a secret key.
type SecretEnv struct{ Name, Secret, Key string }

// SecretEnvFrom is one envFrom source naming a secret.
type SecretEnvFrom struct{ Prefix, Secret string }

// SecretVolume is one mount of a volume the kubelet fills with secret
// data on a tmpfs.
type SecretVolume struct {
	ContainerPath string
	Volume        string
	// Kind is "secret" or "projected".
	Kind string
	// Secrets are the secrets it holds (the secret volume's, a projected
	// volume's secret sources).
	Secrets []string
	// ServiceAccountToken: a projected volume with a serviceAccountToken
	// source (the kubelet's kube-api-access-* volume): a bound token.
	ServiceAccountToken bool
	// SubPath: the mount is one file or directory of the volume.
	SubPath bool
}

// Empty reports whether the container receives no secret.
func (u *SecretUse) Empty() bool {
	return u == nil || len(u.Env) == 0 && len(u.EnvFrom) == 0 && len(u.Volumes) == 0
}

// EnvNames are the variable names known to come from secrets.
func (u *SecretUse) EnvNames() []string {
	if u == nil {
		return nil
	}
	var out []string
	for _, e := range u.Env {
		out = append(out, e.Name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// podSecrets reads the container's secret use from the pod spec; nil when
// it receives none.
func podSecrets(pod *corev1.Pod, c *corev1.Container) *SecretUse {
	u := &SecretUse{}
	for _, e := range c.Env {
		if r := e.ValueFrom; r != nil && r.SecretKeyRef != nil {
			u.Env = append(u.Env, SecretEnv{Name: e.Name, Secret: r.SecretKeyRef.Name, Key: r.SecretKeyRef.Key})
		}
	}
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil {
			u.EnvFrom = append(u.EnvFrom, SecretEnvFrom{Prefix: e.Prefix, Secret: e.SecretRef.Name})
		}
	}
	for _, vm := range c.VolumeMounts {
		for _, v := range pod.Spec.Volumes {
			if v.Name != vm.Name {
				continue
			}
			sv := SecretVolume{ContainerPath: path.Clean(vm.MountPath), Volume: v.Name, SubPath: vm.SubPath != "" || vm.SubPathExpr != ""}
			switch {
			case v.Secret != nil:
				sv.Kind, sv.Secrets = "secret", []string{v.Secret.SecretName}
			case v.Projected != nil:
				sv.Kind = "projected"
				for _, s := range v.Projected.Sources {
					if s.Secret != nil {
						sv.Secrets = append(sv.Secrets, s.Secret.Name)
					}
					if s.ServiceAccountToken != nil {
						sv.ServiceAccountToken = true
					}
				}
			default:
				continue
			}
			u.Volumes = append(u.Volumes, sv)
			break
		}
	}
	if u.Empty() {
		return nil
	}
	return u
}
