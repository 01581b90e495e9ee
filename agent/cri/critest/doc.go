// Package critest records the read side of a CRI runtime service into a
// Capture that can be saved as JSON, and replays it as a
// runtimeapi.RuntimeServiceClient, so a whole scan runs in a test without
// a runtime, a socket or root.
//
// A Capture holds the answers a scan asks for (Version, ListPodSandbox,
// verbose PodSandboxStatus per sandbox, ListContainers, verbose
// ContainerStatus per container) as the runtime gave them, in protojson.
// The replay serves those answers only; a call it does not implement
// panics (the client embeds a nil interface), so a test learns at once
// that the code under test asked for more than the capture holds.
//
// It is for tests and capture tools only: product code must not import
// it. It may import agent/cri and the CRI API, nothing of the scan.
package critest
