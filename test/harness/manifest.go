package harness

import (
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// ParsePod decodes one Pod manifest (YAML or JSON).
func ParsePod(data []byte) (*corev1.Pod, error) {
	var pod corev1.Pod
	if err := yaml.UnmarshalStrict(data, &pod); err != nil {
		return nil, fmt.Errorf("harness: parse pod: %w", err)
	}
	if pod.Kind != "" && pod.Kind != "Pod" {
		return nil, fmt.Errorf("harness: parse pod: kind is %q, want Pod", pod.Kind)
	}
	if pod.Name == "" {
		return nil, fmt.Errorf("harness: parse pod: metadata.name is empty")
	}
	return &pod, nil
}

// LoadPod reads and decodes a Pod manifest file.
func LoadPod(path string) (*corev1.Pod, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	pod, err := ParsePod(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pod, nil
}
