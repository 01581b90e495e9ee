package harness

// The container config, as the kubelet builds it (see translate.go).

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ContainerConfig builds the whole ContainerConfig
// (kuberuntime/kuberuntime_container.go generateContainerConfig,
// kuberuntime_container_linux.go generateLinuxContainerConfig, labels.go).
// imageRef is the resolved image (its ID); mounts are the volume mounts the
// launcher prepared.
func ContainerConfig(pod *corev1.Pod, c *corev1.Container, imageRef string, img ImageUser, node Node, mounts []*runtimeapi.Mount) (*runtimeapi.ContainerConfig, error) {
	sc, err := ContainerSecurityContext(pod, c, img, node)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	var envs []*runtimeapi.KeyValue
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, fmt.Errorf("container %s: env %s: valueFrom is not supported by the harness", c.Name, e.Name)
		}
		v := expand(e.Value, env)
		env[e.Name] = v
		envs = append(envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(v)})
	}
	cfg := &runtimeapi.ContainerConfig{
		Metadata:    &runtimeapi.ContainerMetadata{Name: c.Name},
		Image:       &runtimeapi.ImageSpec{Image: imageRef, UserSpecifiedImage: c.Image},
		Command:     expandAll(c.Command, env),
		Args:        expandAll(c.Args, env),
		WorkingDir:  c.WorkingDir,
		Labels:      containerLabels(pod, c),
		Annotations: containerAnnotations(pod, c),
		Mounts:      mounts,
		LogPath:     filepath.Join(c.Name, "0.log"),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Envs:        envs,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       containerResources(pod, c, node),
			SecurityContext: sc,
		},
	}
	idmapMounts(cfg.Mounts, sc.NamespaceOptions)
	return cfg, nil
}

func containerLabels(pod *corev1.Pod, c *corev1.Container) map[string]string {
	return map[string]string{
		LabelPodName:       pod.Name,
		LabelPodNamespace:  pod.Namespace,
		LabelPodUID:        string(pod.UID),
		LabelContainerName: c.Name,
	}
}

// containerAnnotations carries the annotations of kuberuntime/labels.go
// newContainerAnnotations. The hash is fnv32a over the container's JSON,
// close to (not byte-equal with) kubecontainer.HashContainer.
func containerAnnotations(pod *corev1.Pod, c *corev1.Container) map[string]string {
	h := fnv.New32a()
	data, _ := json.Marshal(c)
	h.Write(data)
	path := c.TerminationMessagePath
	if path == "" {
		path = corev1.TerminationMessagePathDefault
	}
	policy := c.TerminationMessagePolicy
	if policy == "" {
		policy = corev1.TerminationMessageReadFile
	}
	a := map[string]string{
		"io.kubernetes.container.hash":                     strconv.FormatUint(uint64(h.Sum32()), 16),
		"io.kubernetes.container.restartCount":             "0",
		"io.kubernetes.container.terminationMessagePath":   path,
		"io.kubernetes.container.terminationMessagePolicy": string(policy),
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	a["io.kubernetes.pod.terminationGracePeriod"] = strconv.FormatInt(grace, 10)
	if len(c.Ports) > 0 {
		if p, err := json.Marshal(c.Ports); err == nil {
			a["io.kubernetes.container.ports"] = string(p)
		}
	}
	return a
}

// expand replaces $(VAR) with earlier-defined values and $$ with $, the
// kubelet's dependent-variable expansion for literal env values.
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func expandAll(in []string, env map[string]string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, env)
	}
	return out
}

// qosClass is v1qos.GetPodQOS reduced to cpu and memory.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	requests, limits := false, false
	guaranteed := true
	all := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			requests = requests || hasReq
			limits = limits || hasLim
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !requests && !limits:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// containerResources follows calculateLinuxResources and
// qos.GetContainerOOMScoreAdjust for cpu, memory and oom_score_adj.
func containerResources(pod *corev1.Pod, c *corev1.Container, node Node) *runtimeapi.LinuxContainerResources {
	r := &runtimeapi.LinuxContainerResources{CpuShares: 2}
	cpuReq, hasCPUReq := c.Resources.Requests[corev1.ResourceCPU]
	cpuLim, hasCPULim := c.Resources.Limits[corev1.ResourceCPU]
	if !hasCPUReq && hasCPULim {
		cpuReq, hasCPUReq = cpuLim, true
	}
	if hasCPUReq {
		if s := cpuReq.MilliValue() * 1024 / 1000; s > 2 {
			r.CpuShares = s
		}
	}
	if hasCPULim {
		r.CpuPeriod = 100000
		q := cpuLim.MilliValue() * 100000 / 1000
		if q < 1000 {
			q = 1000
		}
		r.CpuQuota = q
	}
	if m, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		r.MemoryLimitInBytes = m.Value()
	}
	switch qosClass(pod) {
	case corev1.PodQOSGuaranteed:
		r.OomScoreAdj = -997
	case corev1.PodQOSBestEffort:
		r.OomScoreAdj = 1000
	default:
		capacity := node.MemoryCapacity
		if capacity <= 0 {
			capacity = 1 << 34
		}
		req := c.Resources.Requests.Memory().Value()
		adj := 1000 - 1000*req/capacity
		if adj < 3 {
			adj = 3
		}
		if adj > 999 {
			adj = 999
		}
		r.OomScoreAdj = adj
	}
	return r
}
