package expect

// Origin is where a container's declared spec came from, as the report
// records it (declaredFrom).
type Origin string

// The origins.
const (
	// OriginKubeAPI: the API server's pod (--kubeconfig, the agent's
	// informer).
	OriginKubeAPI Origin = "kube-api"
	// OriginManifest: a manifest file (--pods).
	OriginManifest Origin = "manifest"
	// OriginCRI: no declared source knows the container, or none is
	// configured: its own CRI config is the declaration.
	OriginCRI Origin = "cri"
)
