package cri

// DefaultEndpoints are the CRI sockets tried, in order, when no endpoint is
// given: containerd, CRI-O (both spellings of its run directory), k3s's
// embedded containerd, and cri-dockerd.
var DefaultEndpoints = []string{
	"unix:///run/containerd/containerd.sock",
	"unix:///run/crio/crio.sock",
	"unix:///var/run/crio/crio.sock",
	"unix:///run/k3s/containerd/containerd.sock",
	"unix:///run/cri-dockerd.sock",
}
